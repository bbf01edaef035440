"""The portal's languages, French first, English second.

Texts are marked where they are shown, French being the source language:
`_("Texte")` in views and templates, `lazy_gettext` at import time; the English
catalogue is gateway/translations/en/LC_MESSAGES/messages.po (`make
translations`). Services answer with stable codes (error codes, statuses,
decisions...): `label(code)` and `error_text(code)` turn them into the user's
language through gateway/labels.py."""
from flask import has_request_context, request, session
from flask_babel import get_locale

from .labels import LABELS

LANGUAGES = ("fr", "en")


def select_locale():
    """Flask-Babel's locale: the language chosen on the site (/langue/<code>),
    else the browser's preference among ours, else French."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "fr"


def current_language():
    if not has_request_context():
        return "fr"
    locale = get_locale()
    return locale.language if locale and locale.language in LANGUAGES else "fr"


def label(key, **values):
    """The text of a code looked up at run time (`label("status." ~ s)`), in the
    user's language; the code itself when unknown."""
    text = LABELS.get(key)
    if text is None:
        return key
    return str(text) % values if values else str(text)


def error_text(code):
    return label(f"err.{code}") if f"err.{code}" in LABELS else label("err.invalid")
