"""The rules of an application, as plain functions of
plain values: no database, no broker, no clock (callers pass `today`/`now`).

Functions named `*_refusal` return the Conflict to raise, or None when the
action is allowed; the service raises it, the views turn it into can_* flags.
"""
import re
from datetime import date, datetime, timedelta

from services.common import text
from services.common.clock import paris_today
from services.common.errors import Conflict, ValidationFailed

from . import exceptions as codes

GLOBAL_MAX_APPLICATIONS = 20

# File statuses (statut du dossier)
AT, RE, IN, CO = "AT", "RE", "IN", "CO"
FILE_STATUSES = (AT, RE, IN, CO)
FILE_TRANSITIONS = frozenset({(AT, RE), (RE, IN), (RE, CO), (IN, RE), (IN, CO), (CO, IN)})
TRANSMIT_FROM = (AT, IN)
# What staff may do by hand; AT->RE and IN->RE are the candidate's transmission.
STAFF_FILE_TRANSITIONS = FILE_TRANSITIONS - {(AT, RE), (IN, RE)}

# Piece statuses
P_AT, P_TR, P_VA, P_RE, P_NC = "AT", "TR", "VA", "RE", "NC"
PIECE_STATUSES = (P_AT, P_TR, P_VA, P_RE, P_NC)
PIECE_DONE = (P_TR, P_VA, P_NC)
# Staff review of a piece (VA/RE), from each current status.
STAFF_PIECE_CHANGES = {
    P_TR: {P_VA, P_RE},
    P_VA: {P_VA, P_RE},    # validating twice is harmless (bulk actions)
    P_RE: {P_VA, P_RE},    # RE->RE changes the comment
    P_AT: {P_RE},          # "please send this piece"
    P_NC: {P_RE},          # "you are concerned by this piece"
}
PIECE_REVIEW_FILE_STATUSES = (RE, IN)

# Decisions (avis)
FA, DE, LC, LA, PR = "FA", "DE", "LC", "LA", "PR"
DECISION_CODES = (FA, DE, LC, LA, PR)
COMMENT_MAX, REASON_MAX, PLACE_MAX = 2000, 500, 300
TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")  # 14:30, 9h15


# -- days --------------------------------------------------------------------

def parse_day(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def deadline_passed(deadline, today) -> bool:
    """A deadline day is still allowed; the day after is not."""
    return deadline is not None and today > deadline


# -- applying ------------------------------------------------------------------

def window_open(dates: dict, today: date, enabled: bool = True) -> bool:
    """Candidates apply only between date_open and date_close (both included);
    a formation without both dates, or disabled, is closed."""
    opens, closes = parse_day(dates.get("date_open")), parse_day(dates.get("date_close"))
    return bool(enabled) and opens is not None and closes is not None and opens <= today <= closes


def limit_reached(active_in_centre: int, active_total: int, centre_max=None):
    """Which maximum a new application would go beyond, or None. Both apply:
    the centre's own (counted in that centre) when it sets one, and the
    institution's 20 (counted in every centre). The caller counts only the
    current campaign's applications, cancelled ones left out."""
    if centre_max and active_in_centre >= int(centre_max):
        return "centre", int(centre_max)
    if active_total >= GLOBAL_MAX_APPLICATIONS:
        return "global", GLOBAL_MAX_APPLICATIONS
    return None


def limit_refusal(active_in_centre: int, active_total: int, centre: dict):
    """The Conflict saying which limit is reached and its number (fields scope,
    limit, and for a centre its code and label), or None."""
    centre = centre or {}
    reached = limit_reached(active_in_centre, active_total, centre.get("max_applications"))
    if reached is None:
        return None
    scope, limit = reached
    fields = {"scope": scope, "limit": str(limit)}
    if scope == "centre":
        fields.update(centre=centre.get("code") or "", centre_label=centre.get("label") or "")
    return Conflict(codes.TOO_MANY_APPLICATIONS,
                    f"maximum of {limit} applications reached ({scope})", fields=fields)


def apply_refusal(*, campaign_open, window_open, already_applied, active_in_centre,
                  active_total, centre):
    """Why a candidate whose dossier is ready may not apply, in the order the
    candidate is told: the campaign, the formation's window, an application
    already there, the limits. None when they may."""
    if not campaign_open:
        return Conflict(codes.CAMPAIGN_NOT_OPEN, "the formation's campaign is not the active one")
    if not window_open:
        return Conflict(codes.APPLICATIONS_CLOSED, "outside the application window")
    if already_applied:
        return Conflict(codes.ALREADY_APPLIED, "already applied to this formation")
    return limit_refusal(active_in_centre, active_total, centre)


def campaign_open(campaign: dict, active_code) -> bool:
    """Only the active campaign's formations take applications (a prepared or
    an archived campaign's do not): the formation's campaign code must be the
    active campaign's (None when no campaign is active)."""
    code = (campaign or {}).get("code")
    return active_code is not None and code is not None and str(code) == str(active_code)


def return_deadline(override, dates: dict):
    """The per-application override set by staff wins over the formation's date."""
    return parse_day(override) or parse_day((dates or {}).get("date_return"))


# -- pieces ----------------------------------------------------------------------

def missing_pieces(statuses: dict) -> dict:
    """{piece code: status} of the pieces that stop a transmission."""
    return {code: status for code, status in statuses.items() if status not in PIECE_DONE}


def can_change_piece(file_status: str, piece_status: str, cancelled: bool = False) -> bool:
    """Before transmission every piece not validated by staff; in an incomplete
    file only the refused ones (and those emptied to replace a refused file)."""
    if cancelled:
        return False
    if file_status == AT:
        return piece_status != P_VA
    if file_status == IN:
        return piece_status in (P_RE, P_AT)
    return False


def piece_status_refusal(file_status: str, piece_status: str, new_status: str):
    if file_status not in PIECE_REVIEW_FILE_STATUSES:
        return Conflict(codes.INVALID_TRANSITION, "pieces are reviewed on RE or IN files")
    if new_status not in STAFF_PIECE_CHANGES.get(piece_status, ()):
        return Conflict(codes.INVALID_TRANSITION, f"piece {piece_status} -> {new_status}")
    return None


# -- file status -----------------------------------------------------------------

def transition_allowed(from_status: str, to_status: str) -> bool:
    return (from_status, to_status) in FILE_TRANSITIONS


def transmit_refusal(status, cancelled, deadline, today, piece_statuses: dict):
    if cancelled:
        return Conflict(codes.APPLICATION_CANCELLED, "application cancelled")
    if status not in TRANSMIT_FROM:
        return Conflict(codes.ALREADY_TRANSMITTED, "already transmitted")
    if deadline_passed(deadline, today):
        return Conflict(codes.RETURN_DEADLINE_PASSED, f"return deadline was {deadline}")
    missing = missing_pieces(piece_statuses)
    if missing:
        return Conflict(codes.PIECES_MISSING, "pieces missing", fields=missing)
    return None


def file_status_refusal(from_status, to_status, piece_statuses: dict):
    """Staff moves: RE->IN, RE->CO, IN->CO, CO->IN; never complete with a refused piece."""
    if (from_status, to_status) not in STAFF_FILE_TRANSITIONS:
        return Conflict(codes.INVALID_TRANSITION, f"{from_status} -> {to_status}")
    if to_status == CO:
        refused = {c: s for c, s in piece_statuses.items() if s == P_RE}
        if refused:
            return Conflict(codes.PIECES_REFUSED, "refused pieces", fields=refused)
    return None


def cancel_refusal(status, cancelled, has_decision):
    if cancelled or status != AT or has_decision:
        return Conflict(codes.CANNOT_CANCEL, "only a file not transmitted and not decided")
    return None


# -- decisions -------------------------------------------------------------------

def _text(value, limit, field, errors, multiline=False):
    """Mailed to the candidate: control characters refused (services.common.text)."""
    if value is None:
        return None
    value = str(value).strip()
    if text.has_control(value, multiline):
        errors[field] = codes.CONTROL_CHARACTER
    elif len(value) > limit:
        errors[field] = "too_long"
    return (text.newlines(value) if multiline else value) or None


def _rank(value):
    if isinstance(value, bool):
        return None
    try:
        rank = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return rank if rank >= 1 else None


def decision_data(code, data, today=None) -> dict:
    """The stored fields of a decision: FA/LA optional comment, DE reason*, LC
    rank* (integer >= 1), PR convocation date* time* place*. Fields that do not
    belong to the code are dropped. ValidationFailed("invalid", fields) otherwise."""
    if code not in DECISION_CODES:
        raise ValidationFailed(codes.INVALID, "unknown decision code", {"code": "invalid_choice"})
    data, errors = dict(data or {}), {}
    result = {"comment": _text(data.get("comment"), COMMENT_MAX, "comment", errors,
                               multiline=True),
              "reason": None, "rank": None, "convocation": None}
    if code == DE:
        result["reason"] = _text(data.get("reason"), REASON_MAX, "reason", errors)
        if not result["reason"]:
            errors.setdefault("reason", "required")
    elif code == LC:
        raw = data.get("rank")
        if raw in (None, ""):
            errors["rank"] = "required"
        else:
            result["rank"] = _rank(raw)
            if result["rank"] is None:
                errors["rank"] = "rank_invalid"
    elif code == PR:
        result["convocation"] = _convocation(data, errors)
        day = result["convocation"]["date"]
        if today is not None and "date" not in errors and date.fromisoformat(day) < today:
            errors["date"] = codes.DATE_IN_PAST
    if errors:
        raise ValidationFailed(codes.INVALID, "decision data invalid", errors)
    return result


def _convocation(data, errors):
    day = _text(data.get("date"), 10, "date", errors)
    hour = _text(data.get("time"), 5, "time", errors)
    place = _text(data.get("place"), PLACE_MAX, "place", errors)
    if not day:
        errors["date"] = "required"
    else:
        try:
            day = date.fromisoformat(day).isoformat()
        except ValueError:
            errors["date"] = "invalid_date"
    if not hour:
        errors["time"] = "required"
    else:
        match = TIME_PATTERN.match(hour)
        if match:
            hour = f"{int(match.group(1)):02d}:{match.group(2)}"
        else:
            errors["time"] = "invalid"
    if not place:
        errors.setdefault("place", "required")
    return {"date": day, "time": hour, "place": place}


def decision_refusal(file_status, cancelled, treatment_type=None, treatment_validated=False):
    """A decision is entered and validated only on a complete (CO) file, or on
    any file of an AD formation once its treatment type is validated."""
    if not cancelled and treatment_type == AD and treatment_validated:
        return None
    if cancelled or file_status != CO:
        return Conflict(codes.DECISION_NOT_ALLOWED, "decisions only on complete files")
    return None


# -- confirmation ----------------------------------------------------------------

def confirm_deadline(dates: dict, validated_at: datetime):
    """The formation's date_confirm, else N days after the FA was validated
    (Paris calendar), else no deadline."""
    fixed = parse_day((dates or {}).get("date_confirm"))
    if fixed:
        return fixed
    days = (dates or {}).get("confirm_days")
    if days:
        return paris_today(validated_at) + timedelta(days=int(days))
    return None


PROMOTED_MIN_DAYS = 7  # a promoted candidate's least time to answer


def promotion_deadline(dates: dict, promoted_at: datetime):
    """A promoted candidate's confirmation deadline: the formation's rule from
    the moment of promotion, but never fewer than PROMOTED_MIN_DAYS days (a
    fixed date may be past or near by then)."""
    floor = paris_today(promoted_at) + timedelta(days=PROMOTED_MIN_DAYS)
    deadline = confirm_deadline(dates, promoted_at)
    return deadline if deadline is not None and deadline >= floor else floor


def confirm_refusal(decision_code, confirmed_at, withdrawn_at, cancelled, deadline, today):
    if cancelled or decision_code != FA or confirmed_at or withdrawn_at:
        return Conflict(codes.CANNOT_CONFIRM, "needs a validated FA not yet answered")
    if deadline_passed(deadline, today):
        return Conflict(codes.CONFIRM_DEADLINE_PASSED, f"confirmation deadline was {deadline}")
    return None


def withdraw_refusal(decision_code, withdrawn_at, cancelled):
    """After a validated FA, confirmed or not; once."""
    if cancelled or decision_code != FA or withdrawn_at:
        return Conflict(codes.CANNOT_WITHDRAW, "needs a validated FA not yet withdrawn")
    return None


# -- treatment type ----------------------------------------------------------------

AC, AD = "AC", "AD"  # accès contrôlé, accès direct (AT: not decided yet)
TREATMENT_TYPES = (AC, AD, AT)


def treatment_refusal(treatment_type, validated_at, cancelled):
    """Staff validate the treatment type once; AT (not decided) cannot be."""
    if cancelled:
        return Conflict(codes.APPLICATION_CANCELLED, "application cancelled")
    if validated_at is not None:
        return Conflict(codes.TREATMENT_ALREADY_VALIDATED, "treatment type already validated")
    if treatment_type not in (AC, AD):
        return Conflict(codes.TREATMENT_UNDECIDED, "the formation's treatment type is AT")
    return None


def follows_formation_treatment(validated_at, cancelled) -> bool:
    """The application's treatment type follows its formation's until validated."""
    return validated_at is None and not cancelled


# -- review settings, deadlines that apply ----------------------------------------------

RANK_DISPLAYS = ("none", "entered", "real")
DEFAULT_SETTINGS = {"auto_promotion": False, "rank_display": "real", "reminder_days": 2}


def review_settings(formation: dict) -> dict:
    """The formation's review settings (defaults for a snapshot taken without them)."""
    formation = formation or {}
    settings = dict(DEFAULT_SETTINGS)
    for key in settings:
        if formation.get(key) is not None:
            settings[key] = formation[key]
    if settings["rank_display"] not in RANK_DISPLAYS:
        settings["rank_display"] = "real"
    return settings


def applying_deadline(override, deadline):
    """The per-application override set by staff wins."""
    return parse_day(override) or parse_day(deadline)


def override_day(value, today, field):
    """A staff override date: None (removed) or a day not before today."""
    if value in (None, ""):
        return None
    try:
        day = parse_day(value)
    except (TypeError, ValueError):
        raise ValidationFailed(codes.INVALID, "not a date", {field: "invalid_date"}) from None
    if day < today:
        raise ValidationFailed(codes.DATE_IN_PAST, "the date is in the past",
                               {field: codes.DATE_IN_PAST})
    return day


REMINDER_DAYS_MAX = 60  # as the catalog caps a formation's reminder_days


def reminder_due(deadline, days, today) -> bool:
    """A reminder goes `days` days before the deadline (and until it, for a job
    that did not run that day); none after it."""
    if deadline is None or days is None:
        return False
    return deadline - timedelta(days=int(days)) <= today <= deadline


def displayed_rank(display, entered, real):
    """The waiting-list rank a candidate sees: none, the entered one or the real one."""
    if display == "none":
        return None
    if display == "entered":
        return entered
    return real if real is not None else entered


# -- waiting list --------------------------------------------------------------------

def waiting_ranks(entries) -> dict:
    """{application id: real rank 1..n} of a formation's waiting list: entries
    (id, entered rank, validated at) of its validated LC applications still in
    the running, in the order of the entered rank, then of validation, then of id."""
    ordered = sorted(entries, key=lambda e: (e[1] if e[1] is not None else float("inf"),
                                             e[2], e[0]))
    return {entry[0]: position for position, entry in enumerate(ordered, start=1)}


def promotion_choice(ranks: dict):
    """The application promoted when a place frees up: rank 1, or None."""
    return next((app_id for app_id, rank in ranks.items() if rank == 1), None)


def promotes(decision_code, settings: dict) -> bool:
    """A withdrawal frees a place to promote into when the candidate was admitted
    (validated FA) and the formation promotes automatically."""
    return decision_code == FA and bool(settings.get("auto_promotion"))


# -- enrolment code (code OPI) ----------------------------------------------------------

OPI_DIGITS = 6


def opi_code(prefix, number: int) -> str:
    """The centre's prefix and the sequence's number, zero-padded: CTR000123."""
    return f"{(prefix or '').strip().upper()}{int(number):0{OPI_DIGITS}d}"


# -- paper files -----------------------------------------------------------------------

def paper_file_refusal(status, cancelled, online):
    """Staff receive a paper file (AT -> RE) only in a centre not online."""
    if cancelled:
        return Conflict(codes.APPLICATION_CANCELLED, "application cancelled")
    if online is not False:
        return Conflict(codes.CENTRE_ONLINE, "this centre's files are sent online")
    if status != AT:
        return Conflict(codes.INVALID_TRANSITION, f"{status} -> RE")
    return None


def version_refusal(expected, current):
    """A form read before another change: refused rather than overwrite it."""
    if expected in (None, ""):
        return None
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise ValidationFailed(codes.INVALID, "a version number",
                               {"expected_version": "invalid"}) from None
    if expected != current:
        return Conflict(codes.STALE_APPLICATION, "the application changed since it was read")
    return None
