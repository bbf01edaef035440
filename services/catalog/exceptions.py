"""Error codes of the catalog service (with the services.common.errors classes).
The gateway translates each code for the user.

NotFound:
    formation_not_found   get_formation with an unknown code
    no_active_campaign    get_active_campaign while no campaign is active

ValidationFailed (catalogue data, domain.check_dates / check_max_file_size; used
by the seed today, by the administration screens later):
    invalid_dates with fields {field: required | invalid_date | date_order |
        confirm_rule_required | confirm_rule_conflict | invalid}
        date_order: the date is before the previous one in
            date_open <= date_close <= date_return <= date_jury <= date_publish <= date_confirm
        confirm_rule_required: neither date_confirm nor confirm_days
        confirm_rule_conflict: both date_confirm and confirm_days
    invalid with fields {max_file_size: invalid | too_large (above 10 MB)}

Administration:
    invalid with fields {field: required | too_long | invalid | invalid_date |
        date_order | invalid_choice | unknown_commission | code_taken |
        control_character ...};
        control_character: a line break, tab or invisible/bidi control
            character in a one-line field (labels, signatory, phone, keywords,
            piece labels, reference items), any control but a line break in an
            address (services.common.text);
        bulk changes: {"<formation code>.<field>": code}
NotFound: campaign_not_found, centre_not_found, formation_not_found
    url: invalid_url (only http:// or https:// addresses with a host)
    level: invalid_choice (not an active item of the diploma-level list, when it has items)
NotFound: campaign_not_found, centre_not_found, formation_not_found (a formation
    code is looked up in the active campaign, or the campaign given), piece_not_found
Conflict: campaign_archived (an archived campaign cannot be changed or activated,
    nor its formations and their pieces)
Forbidden: forbidden, read_only, out_of_scope (services.common.actors)
"""
from services.common import text

FORMATION_NOT_FOUND = "formation_not_found"
NO_ACTIVE_CAMPAIGN = "no_active_campaign"

INVALID = "invalid"
INVALID_DATES = "invalid_dates"
REQUIRED = "required"
INVALID_DATE = "invalid_date"
DATE_ORDER = "date_order"
CONFIRM_RULE_REQUIRED = "confirm_rule_required"
CONFIRM_RULE_CONFLICT = "confirm_rule_conflict"
TOO_LARGE = "too_large"

CAMPAIGN_NOT_FOUND = "campaign_not_found"
CENTRE_NOT_FOUND = "centre_not_found"
CAMPAIGN_ARCHIVED = "campaign_archived"
UNKNOWN_COMMISSION = "unknown_commission"
CODE_TAKEN = "code_taken"
INVALID_CHOICE = "invalid_choice"
TOO_LONG = "too_long"
CONTROL_CHARACTER = text.CONTROL_CHARACTER
DUPLICATE_LINE = "duplicate_line"
ONE_PRESIDENT = "one_president"
COMMISSION_NOT_FOUND = "commission_not_found"
PIECE_NOT_FOUND = "piece_not_found"
FORMATION_HAS_APPLICATIONS = "formation_has_applications"  # Conflict: delete_formation
INVALID_URL = "invalid_url"  # ValidationFailed field: formation url not http(s)
COMMISSION_HAS_FORMATIONS = "commission_has_formations"  # field centre: it keeps its centre

# Import of the catalogue (transfer.py): ValidationFailed fields {"<line>.<column>": code}
# (line 1 = the header) or {"file": code}.
UNKNOWN_COLUMN = "unknown_column"  # the header names a column the kind does not have
MISSING_COLUMN = "missing_column"  # a column every file of the kind needs is absent
EMPTY_FILE = "empty_file"  # no line under the header
TOO_MANY_LINES = "too_many_lines"  # more than transfer.MAX_LINES lines
INVALID_FLAG = "invalid_flag"  # a yes/no cell that is neither (1/0, oui/non, yes/no...)
NOT_IN_YOUR_CENTRES = "not_in_your_centres"  # the line concerns a centre outside the actor's
