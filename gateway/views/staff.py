"""The staff review portal (/gestion): list (columns, filters, sort, pages,
exports), detail, pieces, status, decisions, dashboard."""
import csv
import io

from flask import (Blueprint, Response, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _

from services.common.dates import format_date, parse_date_input, posted_date
from services.common.errors import Conflict, ValidationFailed

from .. import dossier_forms, security
from .. import staff_list as listing
from ..rpc import optional, remote
from ..errors import message_for
from ..i18n import current_language, error_text, label
from ..tabular import neutralised

from .candidate import stream_download
from .public import throttled_message

bp = Blueprint("staff", __name__, url_prefix="/gestion")

DECISION_FIELDS = ("comment", "reason", "rank", "date", "time", "place")
PER_PAGE = listing.PER_PAGE


@bp.before_request
def require_staff():
    if request.endpoint in ("staff.login",):
        return None
    return security.staff_required(lambda: None)()


def me():
    return security.actor()


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    form, error, status = {}, None, 200
    if request.method == "POST":
        form = {"login": request.form.get("login", "").strip()}
        try:
            who = remote().accounts.authenticate_staff(
                security.caller(),
                form["login"], request.form.get("password", ""), security.client_address())
        except ValidationFailed:
            error, status = _("Utilisateur ou mot de passe incorrect."), 401
        except Conflict as exc:  # login_throttled
            error, status = throttled_message(exc), 429
        else:
            security.login(who)
            return redirect(security.safe_next(url_for("staff.applications")))
    return render_template("staff/login.html", form=form, error=error), status


@bp.post("/deconnexion")
def logout():
    security.logout()
    return redirect(url_for("staff.login"))


def find(filters, page, per_page=PER_PAGE, sort=None):
    """list_applications of a view; filters the service refuses (a day that
    is not one...) are left out and named: (answer, filters kept, refused)."""
    try:
        return remote().applications.list_applications(me(), filters, page=page,
                                                       per_page=per_page, sort=sort), filters, {}
    except ValidationFailed as exc:
        refused = {k: v for k, v in (exc.fields or {}).items() if k in filters}
        if not refused:
            raise
        kept = {k: v for k, v in filters.items() if k not in refused}
        return remote().applications.list_applications(me(), kept, page=page,
                                                       per_page=per_page, sort=sort), kept, refused


def scope_choices():
    """The centres the filters offer (the actor's), and a committee member's
    commissions (the others type a commission's code: no call more per page)."""
    centres = remote().catalog.list_centres(me())
    mine = me().get("centres") or []
    if not me().get("can_see_all_centres"):
        centres = [c for c in centres if c["code"] in mine]
    return centres, list(me().get("commissions") or [])


@bp.get("/")
def applications():
    filters = listing.filters_from(request.args)
    sort = listing.sort_from(request.args)
    found, filters, refused = find(filters, listing.page_from(request.args), sort=sort)
    centres, commissions = scope_choices()

    def list_url(endpoint="staff.applications", **changes):
        """This list's address with the filters and sort kept and `changes`
        applied; page 1 and empty values are left out."""
        args = {**listing.list_args(filters, sort, found["page"]), **changes}
        return url_for(endpoint, **{k: v for k, v in args.items()
                                    if v and not (k == "page" and v == 1)})

    def open_url(application_id):
        """The detail's address, carrying this view (previous / next follow it);
        its page always, even the first: the detail knows it was opened from a list."""
        return url_for("staff.application", application_id=application_id,
                       **view_of(filters, sort, found["page"]))

    days = listing.alert_days()
    return render_template(
        "staff/applications.html", applications=found["items"], filters=filters,
        refused=refused, centres=centres, commissions=commissions, total=found["total"],
        page=found["page"], pages=max(1, -(-found["total"] // found["per_page"])),
        sort=sort or listing.DEFAULT_SORT, list_url=list_url,
        columns=listing.chosen_columns(me()), all_columns=list(listing.COLUMNS),
        choices=listing.FILTER_CHOICES, cell=listing.cell_text, heading=listing.heading,
        alert_days=days, overdue=lambda item: listing.overdue(item, days),
        date_filters=listing.DATE_FILTERS, open_url=open_url)


@bp.post("/colonnes")
def save_columns():
    """The columns the user chose, kept with their preferences (every
    device, every session); back to the list they were on."""
    columns = listing.posted_columns(request.form)
    if request.form.get("reset") or not columns:
        columns = None  # back to the default columns
    remote().accounts.save_preferences(me(), listing.PREFERENCE, columns)
    security.refresh_actor()
    flash(_("Colonnes enregistrées."), "success")
    return redirect(security.safe_next(url_for("staff.applications")))


def export_view():
    filters = listing.filters_from(request.args)
    sort = listing.sort_from(request.args)
    columns = listing.chosen_columns(me())
    rows = listing.every_row(remote().applications.list_applications, me(), filters, sort)
    return columns, rows


@bp.get("/candidatures.csv")
def export_csv():
    columns, rows = export_view()
    return Response(stream_with_context(listing.csv_lines(columns, rows)),
                    content_type="text/csv; charset=utf-8", headers=_attachment("csv"))


@bp.get("/candidatures.xlsx")
def export_xlsx():
    columns, rows = export_view()
    handle = listing.xlsx_file(columns, rows)
    return Response(listing.file_chunks(handle), content_type=listing.XLSX_TYPE,
                    headers=_attachment("xlsx"))


def _attachment(extension):
    return {"Content-Disposition": f'attachment; filename="{listing.export_name(extension)}"',
            "Cache-Control": "private, no-store"}


@bp.get("/candidatures/<int:application_id>")
def application(application_id):
    return application_page(application_id)


def application_page(application_id, **extra):
    """The application's staff page; `extra`: what a form refused brings back
    (the text as typed, its error), so nothing typed is lost."""
    data = remote().applications.get_application(me(), application_id)
    accounts = remote().accounts
    dossier = accounts.get_dossier(me(), data["candidate"]["id"])
    reference = accounts.reference_data(me())
    mails = optional(remote().notifications.list_mails, me(), data["candidate"]["id"])
    motives = optional(remote().catalog.list_reference, me(), "motive")  # the DE form's choices
    args = view_args()
    return render_template(
        "staff/application.html", app=data, dossier=dossier,
        sections=dossier_sections(dossier, reference), mails=about(mails, data),
        audit=audit_trail(data), neighbours=neighbours(application_id, args),
        list_args=args, treatment=data.get("treatment_type")
        or (data.get("formation") or {}).get("treatment_type"), motives=motives, **extra)


def view_of(filters, sort, page):
    return {**listing.list_args(filters, sort), "page": page}


def view_args():
    """The list's view the detail was opened from (filters, sort, page), kept
    in its address: previous / next and the way back follow it. {} when it
    was not opened from the list (no page in its address)."""
    if "page" not in request.args:
        return {}
    return view_of(listing.filters_from(request.args), listing.sort_from(request.args),
                   listing.page_from(request.args))


def neighbours(application_id, args):
    """{previous, next}: (id, view args) of the applications before and after
    this one in the list's view, None at either end or when it is not in the
    view (any more); reads the view's page, and the page before or after at
    its edges."""
    if not args:  # not opened from the list: no view to walk
        return {"previous": None, "next": None}
    filters = {k: v for k, v in args.items() if k in listing.LIST_FILTERS}
    sort, page = args.get("sort"), args.get("page", 1)
    try:
        found, filters, _ = find(filters, page, sort=sort)
    except ValidationFailed:
        return {"previous": None, "next": None}
    ids = [item["id"] for item in found["items"]]
    page = found["page"]
    if application_id not in ids:
        return {"previous": None, "next": None}
    index, result = ids.index(application_id), {}
    for name, step in (("previous", -1), ("next", 1)):
        at = index + step
        if 0 <= at < len(ids):
            result[name] = (ids[at], view_of(filters, sort, page))
            continue
        other = page + step
        if other < 1 or (other - 1) * PER_PAGE >= found["total"]:
            result[name] = None
            continue
        items = find(filters, other, sort=sort)[0]["items"]
        result[name] = (items[0 if step > 0 else -1]["id"], view_of(filters, sort, other)) \
            if items else None
    return result


def dossier_sections(dossier, reference):
    """The dossier's personal, address and bac sections as the page shows
    them: [(section, [(field label, value text)])], choices by their label
    (Madame, not MME), days as days, never a key or a code."""
    sections = []
    for section in ("personal", "address", "bac"):
        values = (dossier or {}).get(section) or {}
        shown = []
        for field in dossier_forms.form_fields(reference, section):
            value = values.get(field["name"])
            if value in (None, "", []):
                continue
            if field.get("options"):
                value = dict(field["options"]).get(value, value)
            elif field.get("type") == "date":
                value = format_date(value, current_language())
            elif isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            shown.append((field["label"], value))
        sections.append((section, shown))
    return sections


def about(mails, application):
    """The candidate's mails about this application: those naming it, when
    mails carry their application; else every mail of the candidate."""
    if mails is None:
        return None
    if any("application_id" in m for m in mails):
        return [m for m in mails if m.get("application_id") in (None, application["id"])]
    return mails


def audit_trail(data):
    """Who did what on the application, oldest first: file statuses, piece
    reviews, decisions entered and validated, the candidate's answer."""
    events = []
    for change in data.get("history") or []:
        if change.get("from_status"):
            what = _("Statut du dossier : %(before)s → %(after)s",
                     before=label("status." + change["from_status"]),
                     after=label("status." + change["to_status"]))
        else:
            what = _("Candidature créée (%(status)s)", status=label("status." + change["to_status"]))
        events.append({"at": change.get("at"), "what": what, "by": change.get("by"),
                       "comment": change.get("comment")})
    for piece in data.get("pieces") or []:
        if piece.get("reviewed_at"):
            events.append({"at": piece["reviewed_at"], "by": piece.get("reviewed_by"),
                           "what": _("Pièce « %(piece)s » : %(status)s", piece=piece["label"],
                                     status=label("piece." + piece["status"])),
                           "comment": piece.get("comment")})
    for decision in data.get("decisions") or []:
        name = label("decision." + decision["code"])
        events.append({"at": decision.get("entered_at"), "by": decision.get("entered_by"),
                       "what": _("Avis saisi : %(decision)s", decision=name),
                       "comment": decision.get("comment")})
        if decision.get("validated_at"):
            what = _("Avis validé automatiquement : %(decision)s", decision=name) \
                if decision.get("automatic") else _("Avis validé : %(decision)s", decision=name)
            events.append({"at": decision["validated_at"], "by": decision.get("validated_by"),
                           "what": what})
    if data.get("confirmed_at"):
        events.append({"at": data["confirmed_at"], "by": _("le candidat"),
                       "what": _("Candidature confirmée")})
    if data.get("withdrawn_at"):
        events.append({"at": data["withdrawn_at"], "by": _("le candidat"),
                       "what": _("Désistement")})
    return sorted(events, key=lambda e: e["at"] or "")


def back_to(application_id, message, category="success"):
    flash(message, category)
    return redirect(url_for("staff.application", application_id=application_id, **view_args()))


def do(application_id, command, *args, **kwargs):
    """One command on the application (`remote().applications.<method>`); the
    version the form was read at, when it carries one (a stale form is refused)."""
    if request.form.get("version"):
        kwargs["expected_version"] = request.form["version"]
    try:
        command(me(), application_id, *args, idempotency_key=security.idempotency_key(),
                **kwargs)
    except (Conflict, ValidationFailed) as exc:
        return back_to(application_id, message_for(exc), "error")
    return back_to(application_id, _("Modification enregistrée."))


@bp.get("/candidatures/<int:application_id>/pieces/<piece_code>")
def view_piece(application_id, piece_code):
    link = remote().applications.get_piece_download(me(), application_id, piece_code)
    return stream_download(link)


@bp.post("/candidatures/<int:application_id>/pieces/<piece_code>/statut")
def set_piece_status(application_id, piece_code):
    return do(application_id, remote().applications.set_piece_status, piece_code,
              request.form.get("status", ""), request.form.get("comment", "").strip() or None)


@bp.post("/candidatures/<int:application_id>/statut")
def set_file_status(application_id):
    return do(application_id, remote().applications.set_file_status, request.form.get("status", ""))


@bp.post("/candidatures/<int:application_id>/avis")
def enter_decision(application_id):
    data = {k: request.form.get(k, "").strip() for k in DECISION_FIELDS}
    data = {k: v for k, v in data.items() if v}
    if "date" in data:  # typed as the page's hint says (22/11/2026), or ISO from a date picker
        data["date"] = parse_date_input(data["date"])
        if data["date"] is None:
            return back_to(application_id, error_text("invalid_date"), "error")
    return do(application_id, remote().applications.enter_decision, request.form.get("code", ""), data)


@bp.post("/candidatures/<int:application_id>/avis/valider")
def validate_decision(application_id):
    return do(application_id, remote().applications.validate_decision)


@bp.get("/candidatures/<int:application_id>/lettre-admission")
def admission_letter(application_id):
    link = remote().applications.get_admission_letter(me(), application_id)
    return stream_download(link, attachment=True)


@bp.post("/candidatures/<int:application_id>/type-traitement/valider")
def validate_treatment(application_id):
    return do(application_id, remote().applications.validate_treatment)


@bp.post("/candidatures/<int:application_id>/dates")
def set_overrides(application_id):
    """Both dates as typed (22/11/2026); an emptied field removes the override."""
    return do(application_id, remote().applications.set_overrides,
              return_deadline=posted_date(request.form.get("return_deadline", "")),
              confirm_deadline=posted_date(request.form.get("confirm_deadline", "")))


@bp.post("/candidatures/<int:application_id>/dossier-papier")
def receive_paper_file(application_id):
    return do(application_id, remote().applications.receive_paper_file)
# -- dashboard ----------------------------------------------------------------------------

STATUSES = ("AT", "RE", "IN", "CO")
DECISIONS = ("FA", "DE", "LC", "LA", "PR")


def dashboard_figures():
    """application_stats for the centre and formation in the address (within
    the actor's scope: the service checks it)."""
    centre = request.args.get("centre", "").strip() or None
    formation = request.args.get("formation", "").strip() or None
    return centre, formation, remote().applications.application_stats(
        me(), centre=centre, formation=formation)


@bp.get("/tableau-de-bord")
def dashboard():
    centre, formation, stats = dashboard_figures()
    centres, _commissions = scope_choices()
    totals = stats["totals"]
    charts = [
        (_("Dossiers par statut"), [(label("status." + s), totals["status"][s]) for s in STATUSES]),
        (_("Décisions validées"), [(label("decision." + d), totals["decision"][d])
                                   for d in DECISIONS]),
        (_("Suite des décisions"), [(_("Avis à valider"), totals["pending"]),
                                    (_("Confirmées"), totals["confirmed"]),
                                    (_("Désistements"), totals["withdrawn"]),
                                    (_("Annulées"), totals["cancelled"])]),
        (_("Confirmés et capacité d'accueil par formation"),
         [(row["formation"]["label"] or row["formation"]["code"], row["confirmed"],
           row["capacity"]) for row in stats["rows"]]),
    ]
    # each chart's scale: its largest figure (a capacity included)
    charts = [(title, bars, max([1, *(v or 0 for bar in bars for v in bar[1:])]))
              for title, bars in charts]
    return render_template("staff/dashboard.html", stats=stats, charts=charts, centres=centres,
                           centre=centre, formation=formation, statuses=STATUSES,
                           scope_args={k: v for k, v in (("centre", centre),
                                                         ("formation", formation)) if v},
                           decisions=DECISIONS)


def dashboard_columns():
    return [_("Campagne"), _("Centre"), _("Code formation"), _("Formation"), _("Capacité d'accueil"),
            _("Candidatures"), *(label("status." + s) for s in STATUSES),
            *(label("decision." + d) for d in DECISIONS), _("Décisions validées"),
            _("Avis à valider"), _("Confirmées"), _("Désistements"), _("Annulées")]


def dashboard_line(row):
    return [row.get("campaign"), (row.get("centre") or {}).get("code"), row["formation"]["code"],
            row["formation"]["label"], row["capacity"], row["total"],
            *(row["status"][s] for s in STATUSES), *(row["decision"][d] for d in DECISIONS),
            row["validated"], row["pending"], row["confirmed"], row["withdrawn"],
            row["cancelled"]]


@bp.get("/tableau-de-bord.csv")
def dashboard_csv():
    _centre, _formation, stats = dashboard_figures()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([neutralised(c) for c in dashboard_columns()])
    for row in stats["rows"]:
        writer.writerow([neutralised(v) for v in dashboard_line(row)])
    total = stats["totals"]
    writer.writerow([neutralised(v) for v in dashboard_line(
        {**total, "campaign": _("Total"), "centre": {"code": ""},
         "formation": {"code": "", "label": ""}})])
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"),
                    content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tableau-de-bord.csv"',
                             "Cache-Control": "private, no-store"})
