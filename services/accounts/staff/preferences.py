"""A staff user's own choices in the portal (the list's columns, ...): small
JSON values by key, stored on their row and read back with their actor."""
import json
import re

from services.common.errors import ValidationFailed

from .. import exceptions as codes

KEY = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
MAX_KEYS = 20
MAX_VALUE_CHARS = 2000  # a column choice is a few hundred


def updated(preferences, key, value):
    """The preferences with `key` set to `value` (None takes it out), checked."""
    if not isinstance(key, str) or not KEY.match(key):
        raise ValidationFailed(codes.INVALID, "a preference key", {"key": "invalid"})
    try:
        size = len(json.dumps(value))
    except (TypeError, ValueError):
        raise ValidationFailed(codes.INVALID, "a JSON value", {"value": "invalid"}) from None
    if size > MAX_VALUE_CHARS:
        raise ValidationFailed(codes.INVALID, "value too long", {"value": "too_long"})
    result = dict(preferences or {})
    if value is None:
        result.pop(key, None)
    else:
        result[key] = value
    if len(result) > MAX_KEYS:
        raise ValidationFailed(codes.INVALID, "too many preferences", {"key": "too_many"})
    return result
