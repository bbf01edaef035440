"""Error codes raised by the accounts service (with the services.common.errors
classes). The gateway translates each code for the user.

ValidationFailed (bad input; `fields` maps each wrong field to one of the field codes):
    invalid             the form has wrong fields (see `fields`)
    bad_credentials     login refused; the same code whatever the cause (unknown login,
                        wrong password, account not activated), so nobody can probe
                        which accounts exist
  field codes:
    required, too_long, invalid_email, email_mismatch, email_taken, password_weak,
    password_mismatch, invalid_date, birth_date_out_of_range, invalid_choice,
    invalid_postal_code, invalid_year, invalid_ine, same_email (email change to the
    current address), unknown_postal_code, commune_mismatch (commune not of that
    postal code / département), ine_taken (INE of another dossier of the
    campaign), invalid_number, field_locked, control_character (a line break,
    tab or invisible/bidi control character in a one-line field; other than a
    line break in a multi-line one: services.common.text); a new password that
    passes the rule (10 characters, lower, upper, digit, special) but is easy to
    guess (zxcvbn, passwords.guessable) gets the reason why:
    password_personal (the user's names, email, login or dossier number),
    password_common (a common password or a variant), password_pattern (a
    sequence, repetition or keyboard walk), password_date (a date or year),
    password_words (common words or names, the platform's name),
    password_guessable (otherwise too short to be safe)

NotFound:
    not_found           no such candidate (also: a candidate asking for someone else)
    token_invalid       activation token unknown or already used

Conflict (the state forbids the action):
    token_expired       the activation link is past its expiry
    section_locked      a dossier section saved before the previous one is complete
    personal_locked     a candidate changing personal information after applying
    dossier_incomplete  check_ready_to_apply with incomplete sections
                        (fields {section: incomplete})

    login_throttled     too many failed logins: wait fields["retry_after"] seconds
    registration_throttled  too many registrations from one client address: wait
                        fields["retry_after"] seconds
    already_activated   resend_activation for an account already activated
    account_has_transmitted  delete_my_account with an application transmitted
    field_locked        a candidate changing a read-only field (fields {field: field_locked})
    cas_email_taken     CAS first login whose address a web account already uses
    cas_disabled        CAS_URL not configured
    cannot_demote_self  an administrator disabling or demoting themself
    reauthentication_required  an internal student (no password) changing their
                        address or deleting their account without a CAS login of
                        the last few minutes (fields {minutes})
    old_email_taken     refusing an email change whose former address another
                        (activated) account now uses
    campaign_closed     a candidate logging in after the active campaign's
                        login_until day (fields {login_until: YYYY-MM-DD})
  staff administration field codes: unknown_centre, login_taken

NotFound (more): entry_not_found (list entry), student_not_found (CAS user not in
the student-records extract), session_ended (check_session: the session was
ended, has expired or never existed, or its user is disabled or gone).
ValidationFailed: cas_ticket_invalid; field code wrong_password (current_password:
not the account's password, for an email change or a deletion).

Forbidden: forbidden, read_only (services.common.actors).
"""
from services.common import text

INVALID = "invalid"
BAD_CREDENTIALS = "bad_credentials"

REQUIRED = "required"
TOO_LONG = "too_long"
INVALID_EMAIL = "invalid_email"
EMAIL_MISMATCH = "email_mismatch"
EMAIL_TAKEN = "email_taken"
PASSWORD_WEAK = "password_weak"
PASSWORD_MISMATCH = "password_mismatch"
CONTROL_CHARACTER = text.CONTROL_CHARACTER
# A new password easy to guess, and why (passwords.guessable)
PASSWORD_PERSONAL = "password_personal"
PASSWORD_COMMON = "password_common"
PASSWORD_PATTERN = "password_pattern"
PASSWORD_DATE = "password_date"
PASSWORD_WORDS = "password_words"
PASSWORD_GUESSABLE = "password_guessable"
INVALID_DATE = "invalid_date"
BIRTH_DATE_OUT_OF_RANGE = "birth_date_out_of_range"
INVALID_CHOICE = "invalid_choice"
INVALID_POSTAL_CODE = "invalid_postal_code"
INVALID_YEAR = "invalid_year"
INVALID_INE = "invalid_ine"

NOT_FOUND = "not_found"
TOKEN_INVALID = "token_invalid"

TOKEN_EXPIRED = "token_expired"
SECTION_LOCKED = "section_locked"
PERSONAL_LOCKED = "personal_locked"
DOSSIER_INCOMPLETE = "dossier_incomplete"
SAME_EMAIL = "same_email"
LOGIN_THROTTLED = "login_throttled"
REGISTRATION_THROTTLED = "registration_throttled"
ALREADY_ACTIVATED = "already_activated"
ACCOUNT_HAS_TRANSMITTED = "account_has_transmitted"
UNKNOWN_POSTAL_CODE = "unknown_postal_code"
COMMUNE_MISMATCH = "commune_mismatch"
INE_TAKEN = "ine_taken"
INVALID_NUMBER = "invalid_number"
FIELD_LOCKED = "field_locked"
ENTRY_NOT_FOUND = "entry_not_found"
# CAS (authenticate_cas)
CAS_TICKET_INVALID = "cas_ticket_invalid"
STUDENT_NOT_FOUND = "student_not_found"
CAS_EMAIL_TAKEN = "cas_email_taken"
CAS_DISABLED = "cas_disabled"
# Staff administration
UNKNOWN_CENTRE = "unknown_centre"
LOGIN_TAKEN = "login_taken"
CANNOT_DEMOTE_SELF = "cannot_demote_self"
CAMPAIGN_CLOSED = "campaign_closed"
# Login sessions and changes that take the current password (or a fresh CAS login)
SESSION_ENDED = "session_ended"
WRONG_PASSWORD = "wrong_password"
REAUTHENTICATION_REQUIRED = "reauthentication_required"
OLD_EMAIL_TAKEN = "old_email_taken"
INCOMPLETE = "incomplete"

# Staff limited to some centres, about a candidate who applied to none of them.
OUT_OF_SCOPE = "out_of_scope"

# Commission members: set_commission_members, and the commissions of
# create_staff/update_staff checked against the catalogue.
UNKNOWN_COMMISSION = "unknown_commission"  # field commissions: not a catalogue commission
COMMISSION_NOT_FOUND = "commission_not_found"  # NotFound
UNKNOWN_LOGIN = "unknown_login"  # field members: no staff user has that login
NOT_COMMITTEE = "not_committee"  # field members: that user's role is not committee
PRESIDENT_REQUIRED = "president_required"  # field members: a commission has one president
ONE_PRESIDENT = "one_president"  # field members: more than one president
