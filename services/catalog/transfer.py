"""Import and export of the catalogue: centres, commissions,
formations (with their dates) and piece definitions, as spreadsheet rows (the
gateway reads and writes the CSV and XLSX files; rows here are plain dicts of
text keyed by column).

- Export: the rows of one kind in the actor's scope, with `COLUMNS[kind]`; an
  exported file imports again unchanged.
- Import: every line is checked first with the same functions the single-save
  RPCs use (validation.centre_values, commission_values, formation_values,
  piece_values), then created or updated by its key (a formation's code within
  the active campaign; a piece's scope, owner and code). Any error and nothing
  is written: ValidationFailed with fields {"<line>.<column>": code}, where the
  line is the one of the file (the header is line 1; each row carries its own
  number in `_line`, so blank rows skipped by the reader do not shift it).
- Columns missing from the file keep their current value on an update; an
  empty cell is an empty value.
- A line that would change nothing needs only to be visible to the actor (so a
  manager re-imports an export holding the institution's pieces); every other
  line needs the right to write it.
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from services.common import actors
from services.common.errors import Forbidden, NotFound, ValidationFailed

from . import access, domain, queries, schemas, validation
from . import exceptions as codes
from .models import Centre, Commission, Formation, PieceDefinition

KINDS = ("centres", "commissions", "formations", "pieces")
MB = 1024 * 1024
MAX_LINES = 5000
LINE_KEY = "_line"  # the row's line number in the file, set by the reader

DATE_FIELDS = domain.DATE_FIELDS
COLUMNS = {
    "centres": ("code", "label", "address", "email", "max_applications", "max_file_size_mb",
                "online") + tuple(f"default_{field}" for field in DATE_FIELDS),
    "commissions": ("code", "label", "centre", "address", "email", "phone", "signatory"),
    "formations": ("code", "label", "level", "keywords", "url", "capacity", "enabled",
                   "treatment_type", "commission") + DATE_FIELDS,
    "pieces": ("code", "label", "order", "scope", "owner", "conditional", "shared",
               "treatment_type"),
}
# Columns every file of the kind must have (what a creation cannot do without).
REQUIRED_COLUMNS = {
    "centres": ("code", "label"),
    "commissions": ("code", "label", "centre"),
    "formations": ("code", "label", "level", "treatment_type", "commission"),
    "pieces": ("code", "label", "scope"),
}
FLAG_COLUMNS = {"centres": ("online",), "formations": ("enabled",),
                "pieces": ("conditional", "shared")}
# The column a scope refusal is reported on.
SCOPE_COLUMN = {"centres": "code", "commissions": "centre", "formations": "commission",
                "pieces": "owner"}

TRUE = ("1", "true", "yes", "oui", "vrai", "x", "on")
FALSE = ("0", "false", "no", "non", "faux", "off")


def columns_of(kind):
    """{columns, required} of a kind (what the import page documents)."""
    check_kind(kind)
    return {"columns": list(COLUMNS[kind]), "required": list(REQUIRED_COLUMNS[kind])}


def check_kind(kind):
    if kind not in KINDS:
        raise ValidationFailed(codes.INVALID, "unknown kind", fields={"kind": codes.INVALID_CHOICE})


# -- rows of each kind ----------------------------------------------------------------

def _text(value):
    return "" if value is None else str(value)


def _day(value):
    return "" if value is None else value.isoformat()


def _bit(value):
    return "1" if value else "0"


def _megabytes(size):
    # 10 significant digits: bytes -> MB -> bytes gives the same number back
    return "" if size is None else format(size / MB, ".10g")


def centre_row(centre):
    row = {"code": centre.code, "label": centre.label, "address": _text(centre.address),
           "email": _text(centre.email), "max_applications": _text(centre.max_applications),
           "max_file_size_mb": _megabytes(centre.max_file_size), "online": _bit(centre.online)}
    for field in DATE_FIELDS:
        value = getattr(centre, f"default_{field}")
        row[f"default_{field}"] = _text(value) if field == "confirm_days" else _day(value)
    return row


def commission_row(commission):
    return {"code": commission.code, "label": commission.label,
            "centre": commission.centre.code, "address": _text(commission.address),
            "email": _text(commission.email), "phone": _text(commission.phone),
            "signatory": _text(commission.signatory)}


def formation_row(formation):
    row = {"code": formation.code, "label": formation.label, "level": formation.level,
           "keywords": _text(formation.keywords), "url": _text(formation.url),
           "capacity": _text(formation.capacity), "enabled": _bit(formation.enabled),
           "treatment_type": formation.treatment_type,
           "commission": formation.commission.code if formation.commission else ""}
    for field, value in formation.dates().items():
        row[field] = _text(value) if field == "confirm_days" else _day(value)
    return row


def piece_row(piece):
    return {"code": piece.code, "label": piece.label, "order": _text(piece.order),
            "scope": piece.scope, "owner": _text(schemas.piece_owner(piece)),
            "conditional": _bit(piece.conditional), "shared": _bit(piece.shared),
            "treatment_type": _text(piece.treatment_type)}


# -- export -----------------------------------------------------------------------------

def _visible(centres, centre_code):
    """centres: staff_centres (None = all); centre_code None: the institution's."""
    return centres is None or centre_code is None or centre_code in centres


def export_rows(session, actor, kind):
    """{kind, columns, rows} of one kind, in the actor's scope (every staff role
    reads; managers, committee and readonly users their centres only)."""
    check_kind(kind)
    centres = actors.staff_centres(actor)
    if kind == "centres":
        found = session.scalars(select(Centre).order_by(Centre.code)).all()
        rows = [centre_row(c) for c in found if _visible(centres, c.code)]
    elif kind == "commissions":
        found = session.scalars(select(Commission).options(joinedload(Commission.centre))
                                .order_by(Commission.code)).all()
        rows = [commission_row(c) for c in found if _visible(centres, c.centre.code)]
    elif kind == "formations":
        campaign = queries.active_campaign(session)
        found = [] if campaign is None else session.scalars(
            select(Formation).options(joinedload(Formation.centre),
                                      joinedload(Formation.commission))
            .where(Formation.campaign_id == campaign.id).order_by(Formation.code)).all()
        rows = [formation_row(f) for f in found if _visible(centres, f.centre.code)]
    else:
        campaign = queries.active_campaign(session)
        found = session.scalars(
            select(PieceDefinition).options(
                joinedload(PieceDefinition.centre),
                joinedload(PieceDefinition.formation).joinedload(Formation.centre))
            .order_by(PieceDefinition.scope, PieceDefinition.order, PieceDefinition.code)).all()
        rows = [piece_row(p) for p in found
                if (p.formation is None or (campaign is not None
                                            and p.formation.campaign_id == campaign.id))
                and _visible(centres, access.piece_centre(p))]
    return {"kind": kind, "columns": list(COLUMNS[kind]), "rows": rows}


# -- import: checking -------------------------------------------------------------------

class Line:
    """A checked line: what it will do (`action` created, updated or unchanged)."""

    def __init__(self, number, key, action, existing, values, links=None):
        self.number, self.key, self.action = number, key, action
        self.existing, self.values, self.links = existing, values, links or {}


def _line_number(row, index):
    number = row.get(LINE_KEY) if isinstance(row, dict) else None
    if isinstance(number, int) and not isinstance(number, bool) and number >= 2:
        return number
    return index + 2  # rows given without numbers: one per line after the header


def _cells(row):
    """The row's cells as stripped text (the line number left out)."""
    return {str(k).strip().lower(): ("" if v is None else str(v).strip())
            for k, v in (row if isinstance(row, dict) else {}).items() if k != LINE_KEY}


def check_header(kind, rows):
    """Unknown or missing columns are errors of line 1 (the header)."""
    header = set()
    for row in rows:
        header |= set(_cells(row))
    header.discard("")
    errors = {f"1.{c}": codes.UNKNOWN_COLUMN for c in sorted(header - set(COLUMNS[kind]))}
    errors.update({f"1.{c}": codes.MISSING_COLUMN for c in REQUIRED_COLUMNS[kind]
                   if c not in header})
    validation.raise_errors(errors)
    return header


def _flags(kind, data, errors):
    for column in FLAG_COLUMNS.get(kind, ()):
        value = data.get(column, "").lower()
        if value in TRUE:
            data[column] = "1"
        elif value in FALSE:
            data[column] = "0"
        else:  # empty: the default, or the current value on an update
            data.pop(column, None)
            if value:
                errors[column] = codes.INVALID_FLAG


def _merge(base, data):
    """An update keeps what the line does not say (columns the file does not
    have, empty yes/no cells)."""
    if base is None:
        return data
    return {**{k: v for k, v in base.items() if k not in data}, **data}


def _unchanged(existing, values, fields=None):
    return existing is not None and all(getattr(existing, field) == values[field]
                                        for field in (fields or values))


def _check_centre(session, data, known):
    existing = known.get(data.get("code", "").upper())
    data = _merge(existing and centre_row(existing), data)
    values = validation.centre_values(data)  # the file gives the size in megabytes
    action = "unchanged" if _unchanged(existing, values) else \
        "updated" if existing else "created"
    return Line(None, values["code"], action, existing, values), {values["code"]}


COMMISSION_FIELDS = ("code", "label", "address", "email", "phone", "signatory")


def _check_commission(session, data, known):
    existing = known.get(data.get("code", "").upper())
    data = _merge(existing and commission_row(existing), data)
    if existing is not None:  # not columns of the file: kept as they are
        data.update(signature_document_id=existing.signature_document_id,
                    alerts=dict(existing.alerts or {}))
    values, centre = validation.commission_values(session, data)
    validation.check_commission_centre(session, existing, centre)
    same = _unchanged(existing, values, COMMISSION_FIELDS) and existing.centre_id == centre.id
    action = "unchanged" if same else "updated" if existing else "created"
    scope = {centre.code} | ({existing.centre.code} if existing else set())
    return Line(None, values["code"], action, existing, values, {"centre": centre}), scope


def _check_formation(session, data, known):
    existing = known.get(data.get("code", "").upper())
    data = _merge(existing and formation_row(existing), data)
    values, commission = validation.formation_values(
        session, data, defaults_from_centre=existing is None,
        current_level=existing.level if existing else None)
    same = _unchanged(existing, values) and existing.commission_id == commission.id
    action = "unchanged" if same else "updated" if existing else "created"
    scope = {commission.centre.code} | ({existing.centre.code} if existing else set())
    return Line(None, values["code"], action, existing, values,
                {"commission": commission}), scope


PIECE_FIELDS = ("code", "label", "order", "conditional", "shared", "treatment_type")


def _find_piece(session, scope, owner, code):
    query = select(PieceDefinition).where(PieceDefinition.scope == scope,
                                          PieceDefinition.code == code)
    if scope == domain.CENTRE:
        query = query.where(PieceDefinition.centre_id == owner.id)
    elif scope == domain.FORMATION:
        query = query.where(PieceDefinition.formation_id == owner.id)
    return session.scalars(query).first()


def _check_piece(session, data, known):
    base = None
    if not {"order", "conditional", "shared", "treatment_type"} <= set(data):
        try:  # columns left out keep the current definition's values
            probe, owner, _ = validation.piece_values(session, {**data, "order": "0"})
            current = _find_piece(session, probe["scope"], owner, probe["code"])
            base = current and piece_row(current)
        except ValidationFailed:
            pass  # reported below
    data = _merge(base, data)
    values, owner, centre_code = validation.piece_values(session, data)
    existing = _find_piece(session, values["scope"], owner, values["code"])
    action = "unchanged" if _unchanged(existing, values, PIECE_FIELDS) else \
        "updated" if existing else "created"
    key = (values["scope"], owner.code if owner is not None else "", values["code"])
    return Line(None, key, action, existing, values, {"owner": owner}), {centre_code}


def _known(session, kind):
    """The rows a line may update, by code, read once for the whole file (a few
    hundred lines: no query per line for them)."""
    if kind == "centres":
        return {c.code: c for c in session.scalars(select(Centre))}
    if kind == "commissions":
        return {c.code: c for c in session.scalars(
            select(Commission).options(joinedload(Commission.centre)))}
    if kind == "formations":  # the active campaign's: a code is unique within a campaign
        campaign = queries.active_campaign(session)
        return {f.code: f for f in session.scalars(
            select(Formation).options(joinedload(Formation.centre),
                                      joinedload(Formation.commission))
            .where(Formation.campaign_id == campaign.id))}
    return {}


CHECKS = {"centres": _check_centre, "commissions": _check_commission,
          "formations": _check_formation, "pieces": _check_piece}


def _key_of(kind, data):
    """What identifies the line in the file (for duplicate lines), before checking."""
    code = data.get("code", "").upper()
    if kind == "pieces":
        scope = data.get("scope", "")
        return (scope, data.get("owner", "").upper() if scope != domain.INSTITUTION else "", code)
    return code


def _check_scope(actor, kind, line, centre_codes):
    """Forbidden if the actor may not write the line; an unchanged line only has
    to be visible to them."""
    if line.action == "unchanged":
        centres = actors.staff_centres(actor)
        if all(_visible(centres, c) for c in centre_codes):
            return
    if kind == "pieces":
        access.require_piece_scope(actor, line.values["scope"], next(iter(centre_codes)))
        return
    if kind == "centres" and line.existing is None:
        access.require_role(actor, actors.CENTRAL_OFFICE)
        return
    for centre_code in sorted(centre_codes):
        access.require_formation_scope(actor, centre_code)


def check_import(session, actor, kind, rows):
    """Every line of the rows checked before anything changes: -> [Line], or
    ValidationFailed with every error as {"<line>.<column>": code}."""
    check_kind(kind)
    # who may import at all; each line is then checked like its single save (a
    # centre is created by the central office, changed by it or its managers)
    access.require_role(actor, actors.CATALOGUE_EDITORS)
    if not isinstance(rows, list):
        rows = []
    rows = [(index, row) for index, row in enumerate(rows) if any(_cells(row).values())]
    if not rows:
        raise ValidationFailed(codes.INVALID, "empty file", fields={"file": codes.EMPTY_FILE})
    if len(rows) > MAX_LINES:
        raise ValidationFailed(codes.INVALID, "too many lines",
                               fields={"file": codes.TOO_MANY_LINES})
    check_header(kind, [row for _, row in rows])
    if kind == "formations" and queries.active_campaign(session) is None:
        raise NotFound(codes.NO_ACTIVE_CAMPAIGN, "no campaign is active")
    known = _known(session, kind)
    planned, errors, seen = [], {}, set()
    for index, row in rows:
        number = _line_number(row, index)
        data = {k: v for k, v in _cells(row).items() if k in COLUMNS[kind]}
        line_errors = {}
        _flags(kind, data, line_errors)
        key = _key_of(kind, data)
        if data.get("code") and key in seen:
            line_errors["code"] = codes.DUPLICATE_LINE
        seen.add(key)
        try:  # checked even with a wrong yes/no cell: every error of the line is told
            line, centre_codes = CHECKS[kind](session, data, known)
            _check_scope(actor, kind, line, centre_codes)
        except ValidationFailed as exc:
            for column, problem in (exc.fields or {"code": exc.code}).items():
                line_errors.setdefault(column, problem)
        except Forbidden as exc:  # another centre's line, or not for this role at all
            institution = kind == "pieces" and data.get("scope") == domain.INSTITUTION
            line_errors["scope" if institution else SCOPE_COLUMN[kind]] = \
                codes.NOT_IN_YOUR_CENTRES if exc.code == "out_of_scope" else exc.code
        else:
            line.number = number
            if not line_errors:
                planned.append(line)
        errors.update({f"{number}.{column}": problem for column, problem in line_errors.items()})
    validation.raise_errors(errors)
    return planned


# -- import: writing --------------------------------------------------------------------

def apply(session, kind, lines, campaign=None):
    """Writes the checked lines (nothing is flushed or committed here); ->
    the codes of the formations created or changed (for their events)."""
    changed_formations = []
    for line in lines:
        if line.action == "unchanged":
            continue
        values = dict(line.values)
        if kind == "centres":
            row = line.existing or Centre()
        elif kind == "commissions":
            row = line.existing or Commission()
            if line.existing is not None:  # the file does not carry these
                values = {k: values[k] for k in COMMISSION_FIELDS}
            row.centre = line.links["centre"]
        elif kind == "formations":
            row = line.existing or Formation(campaign_id=campaign.id)
            commission = line.links["commission"]
            row.commission, row.centre = commission, commission.centre
            changed_formations.append(values["code"])
        else:
            row = line.existing or PieceDefinition()
            if line.existing is not None:  # its template file stays
                values = {k: values[k] for k in PIECE_FIELDS}
            else:
                owner = line.links["owner"]
                row.scope = values["scope"]
                row.centre = owner if values["scope"] == domain.CENTRE else None
                row.formation = owner if values["scope"] == domain.FORMATION else None
        for field, value in values.items():
            setattr(row, field, value)
        if line.existing is None:
            session.add(row)
    return changed_formations


def summary(kind, lines, dry_run):
    counts = {action: sum(1 for line in lines if line.action == action)
              for action in ("created", "updated", "unchanged")}
    return {"kind": kind, "lines": len(lines), **counts, "dry_run": bool(dry_run),
            "changes": [{"line": line.number, "action": line.action,
                         "code": line.key if isinstance(line.key, str) else line.key[2],
                         **({"owner": line.key[1]} if isinstance(line.key, tuple) else {})}
                        for line in lines if line.action != "unchanged"]}
