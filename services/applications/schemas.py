"""Input checks that are not domain rules, and the JSON-safe dicts this service
returns (application, summary) and publishes (event payloads)."""
from datetime import datetime

from services.common import text
from services.common.errors import ValidationFailed

from . import domain
from . import exceptions as codes

# The list's filters: those of queries.FILTER_CLAUSES, the status and the date
# ranges (<name>_from, <name>_to of queries.DATE_FILTERS); a key the list
# does not have is left out.
DATE_FILTERS = ("created", "transmitted", "decided")
STAFF_FILTERS = ("centre", "commission", "formation", "status", "treatment_type", "decision",
                 "validated", "answer", "tag", "q", "name", "number", "email", "candidate",
                 *(f"{name}_{end}" for name in DATE_FILTERS for end in ("from", "to")))
# The sortable columns (queries.STAFF_SORTS, where they are written once).
STAFF_SORTS = ("id", "number", "candidate", "email", "formation", "formation_code", "centre",
               "commission", "treatment_type", "status", "created", "transmitted", "decision",
               "pending", "decided", "rank", "confirmed", "withdrawn")
TREATMENT_TYPES = ("AC", "AD", "AT")
# A filter chosen from a list: its choices.
FILTER_CHOICES = {
    "status": domain.FILE_STATUSES + ("cancelled",),
    "treatment_type": TREATMENT_TYPES,
    "decision": domain.DECISION_CODES + ("none",),
    "validated": ("yes", "no"),
    "answer": ("confirmed", "withdrawn", "none"),
}
PER_PAGE_MAX = 200
COMMENT_MAX = 2000


def iso(value):
    return value.isoformat() if value is not None else None


# -- inputs ------------------------------------------------------------------------

def list_filters(filters):
    """The list's filters, checked: known keys only, empty ones left out,
    choices among their lists, days as ISO dates (-> date), texts short."""
    if filters is not None and not isinstance(filters, dict):
        raise ValidationFailed(codes.INVALID, "filters are a mapping", {"filters": "invalid"})
    filters = {k: (str(v).strip() if v is not None else "") for k, v in dict(filters or {}).items()
               if k in STAFF_FILTERS}
    filters = {k: v for k, v in filters.items() if v}
    errors = {}
    for name, choices in FILTER_CHOICES.items():
        if name in filters and filters[name] not in choices:
            errors[name] = "invalid_choice"
    for name, value in filters.items():
        if len(value) > 100:
            errors[name] = "too_long"
        elif name.endswith(("_from", "_to")):
            try:
                filters[name] = datetime.strptime(value, "%Y-%m-%d").date()
            except (TypeError, ValueError):
                errors[name] = "invalid_date"
    if "candidate" in filters and not 0 < (_positive(filters["candidate"]) or 0) < 2 ** 31:
        errors["candidate"] = "invalid"
    if errors:
        raise ValidationFailed(codes.INVALID, "invalid filters", errors)
    return filters


def _positive(value):
    """An int >= 1 (a bool is not one), or None."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 1 and not isinstance(value, bool) else None


def list_page(page, per_page, sort):
    """(page, per_page, sort) of the staff list: pages from 1, at most
    PER_PAGE_MAX rows, sort one of STAFF_SORTS, "-" first for descending."""
    page, per_page = _positive(page), _positive(per_page)
    if page is None:
        raise ValidationFailed(codes.INVALID, "a page number from 1", {"page": "invalid"})
    if per_page is None or per_page > PER_PAGE_MAX:
        raise ValidationFailed(codes.INVALID, f"1 to {PER_PAGE_MAX} per page",
                               {"per_page": "invalid"})
    if sort is not None and (not isinstance(sort, str) or sort.lstrip("-") not in STAFF_SORTS
                             or sort.count("-") > 1):
        raise ValidationFailed(codes.INVALID, "unknown sort", {"sort": "invalid_choice"})
    return page, per_page, sort or None


def stats_scope(centre, formation):
    """(centre, formation) codes the dashboard is narrowed to, None for all."""
    values = []
    for name, value in (("centre", centre), ("formation", formation)):
        if value is not None and (not isinstance(value, str) or len(value) > 40):
            raise ValidationFailed(codes.INVALID, "a code", {name: "invalid"})
        values.append((value or "").strip() or None)
    return tuple(values)


def piece_review(status, comment):
    """(status, comment) of a staff piece review: VA or RE, RE needs a comment."""
    if status not in (domain.P_VA, domain.P_RE):
        raise ValidationFailed(codes.INVALID, "VA or RE", {"status": "invalid_choice"})
    comment = (str(comment).strip() or None) if comment is not None else None
    if status == domain.P_RE and not comment:
        raise ValidationFailed(codes.INVALID, "a refusal needs a comment", {"comment": "required"})
    if comment and text.has_control(comment, multiline=True):
        raise ValidationFailed(codes.INVALID, "control character in the comment",
                               {"comment": codes.CONTROL_CHARACTER})
    if comment and len(comment) > COMMENT_MAX:
        raise ValidationFailed(codes.INVALID, "comment too long", {"comment": "too_long"})
    return status, text.newlines(comment) if comment else comment


def file_status(status):
    if status not in domain.FILE_STATUSES:
        raise ValidationFailed(codes.INVALID, "unknown status", {"status": "invalid_choice"})
    return status


OFFER_MAX = 10000  # formations in one apply_status call (the offer has a few thousand)


def offer_leaves(formations):
    """The formations of an offer page, as apply_status takes them: a list of
    {code, centre, date_open, date_close} (the leaves of catalog.get_offer and
    their centre's code)."""
    def invalid():
        return ValidationFailed(codes.INVALID, "a list of {code, centre, date_open, date_close}",
                                {"formations": "invalid"})
    if not isinstance(formations, list) or len(formations) > OFFER_MAX:
        raise invalid()
    leaves = []
    for item in formations:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str) \
                or not isinstance(item.get("centre"), str):
            raise invalid()
        try:
            dates = {k: domain.parse_day(item.get(k)) for k in ("date_open", "date_close")}
        except (TypeError, ValueError):
            raise invalid() from None
        leaves.append({"code": item["code"], "centre": item["centre"], **dates})
    return leaves


def apply_answer(refusal):
    """can_apply's answer: allowed, else the refusal's code and fields."""
    if refusal is None:
        return {"allowed": True, "reason": None, "fields": {}}
    return {"allowed": False, "reason": refusal.code, "fields": dict(refusal.fields or {})}


# -- decisions -----------------------------------------------------------------------

def refresh_review(application, treatment_type, settings):
    """A formation_updated's treatment type (followed until staff validate it)
    and review settings into the application's copy."""
    if treatment_type in domain.TREATMENT_TYPES and domain.follows_formation_treatment(
            application.treatment_validated_at, application.cancelled):
        if application.treatment_type != treatment_type:
            application.treatment_type = treatment_type
    if isinstance(settings, dict):
        formation = dict(application.formation or {})
        formation.update({k: settings[k] for k in domain.DEFAULT_SETTINGS if k in settings})
        if treatment_type in domain.TREATMENT_TYPES:
            formation["treatment_type"] = treatment_type
        application.formation = formation


def same_decision(decision, code, fields):
    """Whether `decision` is `code` with these fields (domain.decision_data)."""
    return decision is not None and decision.code == code and all(
        getattr(decision, name) == value for name, value in fields.items())


def decision_for_candidate(decision, application=None):
    """The last validated decision as the candidate sees it; the waiting-list
    rank as the formation shows it (none, entered, real)."""
    if decision is None:
        return None
    rank = decision.rank
    if application is not None and decision.code == domain.LC:
        rank = domain.displayed_rank(application.settings["rank_display"], decision.rank,
                                     application.rank_real)
    return {"code": decision.code, "comment": decision.comment, "reason": decision.reason,
            "rank": rank, "convocation": decision.convocation,
            "validated_at": iso(decision.validated_at)}


def decision_for_staff(decision):
    if decision is None:
        return None
    return {"id": decision.id, "code": decision.code, "comment": decision.comment,
            "reason": decision.reason, "rank": decision.rank,
            "convocation": decision.convocation, "entered_by": decision.entered_by,
            "entered_at": iso(decision.entered_at), "validated_by": decision.validated_by,
            "validated_at": iso(decision.validated_at), "reason_code": decision.reason_code,
            "automatic": bool(decision.automatic)}


# -- application -------------------------------------------------------------------

def candidate_part(application):
    c = application.candidate or {}
    return {"id": application.candidate_id, "dossier_number": c.get("dossier_number"),
            "email": c.get("email"), "civility": c.get("civility"),
            "first_name": c.get("first_name"), "last_name": c.get("last_name"),
            "lang": c.get("lang")}


def formation_part(application):
    f = application.formation or {}
    return {"code": f.get("code"), "label": f.get("label"), "level": f.get("level"),
            "treatment_type": f.get("treatment_type"), "dates": f.get("dates") or {},
            "centre": f.get("centre") or {}, "commission": f.get("commission") or {},
            "campaign": f.get("campaign") or {}}


def refresh_dates(application, dates, as_of):
    """The formation's dates (staff may move them) into the application's copy,
    unless the copy holds a newer change already: events may arrive out of
    order. as_of: ISO time the dates were read at (an event's occurred_at)."""
    formation = dict(application.formation or {})
    known = formation.get("dates_as_of")
    if known and as_of and datetime.fromisoformat(known) > datetime.fromisoformat(as_of):
        return False
    formation["dates"], formation["dates_as_of"] = dict(dates or {}), as_of
    application.formation = formation  # a new dict: the JSONB column is written
    return True


def refresh_commission_contact(application, commission, as_of):
    """The commission's email and alert settings as the catalog has them now into
    the application's copy (a commission may ask for alerts after candidates
    applied); only for the same commission: the rest of the copy stays as made.
    as_of: ISO time they were read at; a newer copy is kept (events may arrive
    out of order)."""
    formation = dict(application.formation or {})
    current = dict(formation.get("commission") or {})
    if not isinstance(commission, dict) or commission.get("code") != current.get("code"):
        return False
    known = formation.get("commission_as_of")
    if known and as_of and datetime.fromisoformat(known) > datetime.fromisoformat(as_of):
        return False
    fresh = {"email": commission.get("email"), "alerts": dict(commission.get("alerts") or {})}
    formation["commission_as_of"] = as_of
    formation["commission"] = {**current, **fresh}
    application.formation = formation  # a new dict: the JSONB column is written
    return True


def history_entry(change, staff):
    # Candidates see that the office acted, not which staff member did.
    by = change.by if staff or change.by_kind == "candidate" else (
        "gestionnaire" if change.by_kind == "staff" else "système")
    entry = {"from_status": change.from_status, "to_status": change.to_status,
             "by": by, "at": iso(change.at)}
    if staff:
        entry["by_kind"], entry["comment"] = change.by_kind, change.comment
    return entry


def application_view(application, staff, today):
    """The full application; the candidate's view has no unvalidated decision
    and no staff-only data."""
    a = application
    deadline = a.return_deadline
    statuses = a.piece_statuses
    validated = a.last_validated
    code = validated.code if validated else None
    archived = a.archived_at is not None  # read-only: no action is offered
    view = {
        "id": a.id, "status": a.status, "cancelled": a.cancelled,
        "cancelled_at": iso(a.cancelled_at), "archived": archived,
        "candidate": candidate_part(a), "formation": formation_part(a),
        "created_at": iso(a.created_at), "transmitted_at": iso(a.transmitted_at),
        "return_deadline": iso(deadline),
        "pieces": [{"code": p.code, "label": p.label, "order": p.order,
                    "conditional": p.conditional, "shared": p.shared, "status": p.status,
                    "comment": p.comment, "filename": p.filename,
                    "has_file": p.document_id is not None,
                    **({"reviewed_by": p.reviewed_by, "reviewed_at": iso(p.reviewed_at)}
                       if staff else {}),
                    "template_filename": a.piece_template(p.code).get("template_filename"),
                    "can_change": not archived
                    and domain.can_change_piece(a.status, p.status, a.cancelled)}
                   for p in a.pieces],
        "missing": list(domain.missing_pieces(statuses)),
        "can_transmit": not archived and domain.transmit_refusal(
            a.status, a.cancelled, deadline, today, statuses) is None,
        "can_cancel": not archived and domain.cancel_refusal(
            a.status, a.cancelled, bool(a.decisions)) is None,
        "decision": decision_for_candidate(validated, a),
        "can_confirm": not archived and domain.confirm_refusal(
            code, a.confirmed_at, a.withdrawn_at, a.cancelled, a.confirm_deadline_applying,
            today) is None,
        "can_withdraw": not archived
        and domain.withdraw_refusal(code, a.withdrawn_at, a.cancelled) is None,
        "confirmed_at": iso(a.confirmed_at), "withdrawn_at": iso(a.withdrawn_at),
        "confirm_deadline": iso(a.confirm_deadline_applying),
        "opi_code": a.opi_code,
        "history": [history_entry(c, staff) for c in a.history],
    }
    if staff:
        view["decisions"] = [decision_for_staff(d) for d in a.decisions]
        view["pending_decision"] = decision_for_staff(a.pending_decision)
        view["return_deadline_override"] = iso(a.return_deadline_override)
        view["confirm_deadline_override"] = iso(a.confirm_deadline_override)
        view.update(treatment_type=a.treatment_type,
                    treatment_validated_at=iso(a.treatment_validated_at),
                    treatment_validated_by=a.treatment_validated_by,
                    rank_real=a.rank_real, version=a.version, settings=a.settings)
    return view


def summary(application, staff):
    a = application
    f = a.formation or {}
    centre, commission = f.get("centre") or {}, f.get("commission") or {}
    validated = a.last_validated
    c = candidate_part(a)
    item = {
        "id": a.id, "status": a.status, "cancelled": a.cancelled,
        "archived": a.archived_at is not None,
        "formation": {"code": f.get("code"), "label": f.get("label"), "level": f.get("level")},
        "centre": {"code": centre.get("code"), "label": centre.get("label")},
        "commission": {"code": commission.get("code"), "label": commission.get("label")},
        "candidate": {k: c[k] for k in ("id", "dossier_number", "first_name", "last_name",
                                        "email")},
        "created_at": iso(a.created_at), "transmitted_at": iso(a.transmitted_at),
        "return_deadline": iso(a.return_deadline),
        "decision": decision_for_candidate(validated, a),
        "confirmed_at": iso(a.confirmed_at), "withdrawn_at": iso(a.withdrawn_at),
        "confirm_deadline": iso(a.confirm_deadline_applying), "opi_code": a.opi_code,
    }
    if staff:
        item["pending_decision"] = decision_for_staff(a.pending_decision)
    return item


def staff_list_item(row):
    """One row of the staff list (queries.LIST_COLUMNS): what the list shows."""
    r = row._mapping
    return {
        "id": r["id"], "status": r["status"], "cancelled": r["cancelled"],
        "archived": r["archived"],
        **{k: iso(r[k]) for k in ("created_at", "transmitted_at", "confirmed_at",
                                  "withdrawn_at", "decided_at")},
        "formation": {"code": r["formation_code"], "label": r["formation_label"],
                      "treatment_type": r["treatment_type"]},
        "centre": {"code": r["centre_code"], "label": r["centre_label"]},
        "commission": {"code": r["commission_code"], "label": r["commission_label"]},
        "candidate": {"id": r["candidate_id"], "dossier_number": r["dossier_number"],
                      "first_name": r["first_name"], "last_name": r["last_name"],
                      "email": r["email"]},
        "decision": {"code": r["decision"], "rank": r["rank"]} if r["decision"] else None,
        "pending_decision": {"code": r["pending"]} if r["pending"] else None,
    }


def stats(names, rows):
    """application_stats' answer: a row per (campaign, centre, formation) and the totals."""
    def figures(values):
        values = dict(zip(names, values))
        return {
            "total": values["total"], "cancelled": values["cancelled"],
            "status": {s: values[f"status_{s}"] for s in domain.FILE_STATUSES},
            "decision": {d: values[f"decision_{d}"] for d in domain.DECISION_CODES},
            **{k: values[k] for k in ("validated", "pending", "confirmed", "withdrawn")}}
    items = [{"campaign": campaign, "centre": {"code": centre, "label": centre_label},
              "formation": {"code": code, "label": label}, "capacity": capacity,
              **figures(values)}
             for campaign, centre, centre_label, code, label, capacity, *values in rows]
    totals = [sum(row[6 + i] for row in rows) for i in range(len(names))]
    capacities = [i["capacity"] for i in items]
    return {"rows": items, "totals": {"capacity": sum(c or 0 for c in capacities),
                                      **figures(totals)}}


# -- events ------------------------------------------------------------------------

def event(application, **extra):
    """What every application event carries; `candidate` (the snapshot's contact)
    is there so a subscriber can write to the candidate without asking anyone."""
    f = application.formation or {}
    centre, commission = f.get("centre") or {}, f.get("commission") or {}
    c = candidate_part(application)
    payload = {
        "application_id": application.id, "candidate_id": application.candidate_id,
        "campaign": application.campaign_code,
        "formation": {"code": f.get("code"), "label": f.get("label")},
        "centre": {k: centre.get(k) for k in ("code", "label", "email")},
        # its address and alert settings: notifications mails the commission
        # only about what it asked for (alerts.transmitted...), or once a day
        "commission": {**{k: commission.get(k) for k in ("code", "label", "email")},
                       "alerts": dict(commission.get("alerts") or {})},
        "candidate": {k: c[k] for k in ("dossier_number", "email", "civility", "first_name",
                                        "last_name", "lang")},
    }
    payload.update(extra)
    return payload


def refused_pieces(application):
    return [{"code": p.code, "label": p.label, "comment": p.comment}
            for p in application.pieces if p.status == domain.P_RE]


def admission_letter(application, decision):
    a, f = application, application.formation or {}
    c, commission, centre = a.candidate or {}, f.get("commission") or {}, f.get("centre") or {}
    return {
        "application_id": a.id, "candidate_id": a.candidate_id,
        "candidate": {"civility": c.get("civility"), "first_name": c.get("first_name"),
                      "last_name": c.get("last_name"), "dossier_number": c.get("dossier_number")},
        "formation": {"code": f.get("code"), "label": f.get("label")},
        "commission": {k: commission.get(k) for k in ("label", "address", "signatory")},
        "centre": {k: centre.get(k) for k in ("label", "email")},
        "validated_at": iso(decision.validated_at), "confirmed_at": iso(a.confirmed_at),
    }

