"""Error codes raised by the applications service (with the services.common.errors
classes). The gateway translates each code for the user.

Conflict (the state forbids the action):
    applications_closed     today is outside the formation's date_open..date_close
    campaign_not_open       the formation belongs to a campaign that is not the active
                            one (prepared, or archived)
    already_applied         an active application to this formation exists
    too_many_applications   the centre's or the institution's maximum is reached
                            (fields {scope: centre|global, limit: "<n>"}, for a centre
                            also centre and centre_label)
    piece_locked            the piece cannot change in the current file status
    piece_not_conditional   "non concerné" on a mandatory piece
    upload_superseded       finish_piece_upload of an upload another one replaced
                            (started later, or kept first): its file is deleted
    already_transmitted     transmit on a file that is not AT/IN
    return_deadline_passed  transmit after the return deadline
    pieces_missing          transmit with pieces not TR/VA/NC (fields {code: status})
    cannot_cancel           cancel of a transmitted/decided/cancelled application
    application_cancelled   any change to a cancelled application
    invalid_transition      file or piece status change not in the allowed table
    pieces_refused          file set CO while a piece is refused
    decision_not_allowed    decision entered/validated on a file that is not CO
    nothing_to_validate     no entered decision waiting for validation
    cannot_confirm          confirm without a validated FA, or twice, or after withdrawal
    confirm_deadline_passed confirm after the confirmation deadline
    cannot_withdraw         withdraw without a validated FA, or twice
    not_confirmed           admission letter before confirmation
    treatment_undecided     validating the treatment type of an AT formation
    treatment_already_validated  validating it twice
    centre_online           a paper file received for a centre whose files are online
    stale_application       a staff form sent with a version the application has left
                            (another change came in between)
    no_letter               get_letter / preview_letter when the decision brings no such
                            letter (none validated, another code, not confirmed)
Also propagated unchanged from other services: dossier_incomplete (accounts),
formation_not_found (catalog), the documents ValidationFailed codes.

NotFound: not_found (application; also another candidate's), piece_not_found, no_file.
Forbidden: forbidden, read_only, out_of_scope (services.common.actors).
ValidationFailed: invalid with fields {field: required | invalid | invalid_choice |
invalid_date | rank_invalid | too_long | control_character}; date_in_past (an
override date before today, fields {field: date_in_past}); file_missing (upload
ticket unknown). control_character: a line break, tab or invisible/bidi control
character in a one-line field (decision reason, convocation), any control but a
line break in a comment (services.common.text): these texts are mailed.
"""
from services.common import text

APPLICATIONS_CLOSED = "applications_closed"
CAMPAIGN_NOT_OPEN = "campaign_not_open"
ALREADY_APPLIED = "already_applied"
TOO_MANY_APPLICATIONS = "too_many_applications"
PIECE_LOCKED = "piece_locked"
PIECE_NOT_CONDITIONAL = "piece_not_conditional"
UPLOAD_SUPERSEDED = "upload_superseded"
ALREADY_TRANSMITTED = "already_transmitted"
RETURN_DEADLINE_PASSED = "return_deadline_passed"
PIECES_MISSING = "pieces_missing"
CANNOT_CANCEL = "cannot_cancel"
CONTROL_CHARACTER = text.CONTROL_CHARACTER
APPLICATION_CANCELLED = "application_cancelled"
INVALID_TRANSITION = "invalid_transition"
PIECES_REFUSED = "pieces_refused"
DECISION_NOT_ALLOWED = "decision_not_allowed"
NOTHING_TO_VALIDATE = "nothing_to_validate"
CANNOT_CONFIRM = "cannot_confirm"
CONFIRM_DEADLINE_PASSED = "confirm_deadline_passed"
CANNOT_WITHDRAW = "cannot_withdraw"
NOT_CONFIRMED = "not_confirmed"

NOT_FOUND = "not_found"
PIECE_NOT_FOUND = "piece_not_found"
NO_FILE = "no_file"

INVALID = "invalid"
FILE_MISSING = "file_missing"
NO_TEMPLATE = "no_template"  # NotFound: get_piece_template for a piece without one
CAMPAIGN_ARCHIVED = "campaign_archived"  # Conflict: a write on an archived campaign's application
TREATMENT_UNDECIDED = "treatment_undecided"
TREATMENT_ALREADY_VALIDATED = "treatment_already_validated"
CENTRE_ONLINE = "centre_online"
STALE_APPLICATION = "stale_application"
DATE_IN_PAST = "date_in_past"
# Letters: the decision (or its absence) brings no such letter now
NO_LETTER = "no_letter"
