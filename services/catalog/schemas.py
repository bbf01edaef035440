"""The JSON-safe dicts the catalog returns (services/README.md, catalog), built
from model rows. Days are YYYY-MM-DD strings."""
from . import domain


def day(value):
    return value.isoformat() if value is not None else None


def campaign(row):
    return {"code": row.code, "label": row.label, "start": day(row.start),
            "end": day(row.end), "login_until": day(row.login_until)}


def centre_summary(row):
    return {"code": row.code, "label": row.label, "email": row.email}


def centre(row):
    return {"code": row.code, "label": row.label, "email": row.email, "address": row.address,
            "max_file_size": row.max_file_size, "max_applications": row.max_applications,
            "online": row.online, "opi_prefix": row.opi_prefix or ""}


def commission(row):
    return {"code": row.code, "label": row.label, "email": row.email, "address": row.address,
            "phone": row.phone, "signatory": row.signatory}


def commission_updated(row):
    """The commission_updated event: its address and alert settings travel with
    it, so applications' copies follow (its alerts reach notifications in them)."""
    return {"code": row.code, "email": row.email, "alerts": dict(row.alerts or {})}


def dates(formation):
    return {field: (value if field == "confirm_days" else day(value))
            for field, value in formation.dates().items()}


def piece_definition(row):
    """What domain.required_pieces works on."""
    return {"code": row.code, "label": row.label, "order": row.order,
            "conditional": row.conditional, "shared": row.shared, "scope": row.scope,
            "treatment_type": row.treatment_type,
            "template_document_id": row.template_document_id,
            "template_filename": row.template_filename}


def piece(definition):
    """A required piece as get_formation returns it (with its template, if any)."""
    return {key: definition[key] for key in ("code", "label", "order", "conditional", "shared",
                                             "template_document_id", "template_filename")}


def piece_admin(row, owner):
    return {"id": row.id, **piece_definition(row), "owner": owner}


def offer_entry(formation):
    """A formation as domain.offer_tree takes it (keywords for the filter only)."""
    return {"code": formation.code, "label": formation.label, "level": formation.level,
            "keywords": formation.keywords, "treatment_type": formation.treatment_type,
            "date_open": day(formation.date_open), "date_close": day(formation.date_close),
            "centre": {"code": formation.centre.code, "label": formation.centre.label}}


def review_settings(row):
    return {"auto_promotion": bool(row.auto_promotion),
            "rank_display": row.rank_display or "real",
            "reminder_days": 2 if row.reminder_days is None else row.reminder_days}


def formation(row, required_pieces):
    return {"code": row.code, "label": row.label, "level": row.level,
            "keywords": row.keywords, "url": row.url, "capacity": row.capacity,
            "enabled": row.enabled, "treatment_type": row.treatment_type,
            **review_settings(row),
            "dates": dates(row), "centre": centre(row.centre),
            # the signature image too: the letters applications has made carry it;
            # its alert settings: the events of its applications carry them to
            # notifications, which mails the commission only when it asked
            "commission": {**commission(row.commission),
                           "signature_document_id": row.commission.signature_document_id,
                           "alerts": dict(row.commission.alerts or {})},
            "campaign": campaign_ref(row.campaign),
            "pieces": [piece(p) for p in required_pieces]}


def campaign_ref(row):
    return {"code": row.code, "label": row.label}


def campaign_admin(row):
    return {**campaign(row), "active": bool(row.active), "archived_at": day(row.archived_at)}


def centre_admin(row):
    defaults = {f"default_{field}": (getattr(row, f"default_{field}") if field == "confirm_days"
                                     else day(getattr(row, f"default_{field}")))
                for field in ("date_open", "date_close", "date_return", "date_jury",
                              "date_publish", "date_confirm", "confirm_days")}
    return {**centre(row), **defaults}


def formation_updated(row, campaign_code):
    """The formation_updated event: the dates, the treatment type and the review
    settings travel with it, so subscribers (applications' copies) follow a
    change without asking back."""
    return {"code": row.code, "campaign": campaign_code, "dates": dates(row),
            "treatment_type": row.treatment_type, "settings": review_settings(row)}


def formation_admin(row):
    return {"code": row.code, "label": row.label, "level": row.level, "keywords": row.keywords,
            "url": row.url, "capacity": row.capacity, "enabled": row.enabled,
            "treatment_type": row.treatment_type, "dates": dates(row), **review_settings(row),
            "centre": row.centre.code if row.centre else None,
            "commission": row.commission.code if row.commission else None}


def commission_admin(row):
    """Its members are kept by accounts (accounts.list_commission_members)."""
    return {**commission(row), "signature_document_id": row.signature_document_id,
            "alerts": dict(row.alerts or {})}


def reference_item(row):
    return {"kind": row.kind, "code": row.code, "label": row.label, "colour": row.colour,
            "order": row.order, "active": row.active}


def piece_owner(row):
    if row.scope == domain.CENTRE:
        return row.centre.code if row.centre else None
    if row.scope == domain.FORMATION:
        return row.formation.code if row.formation else None
    return None
