"""gunicorn's access log without secrets: activation, reset, email-change
and email-refusal links carry a token in their path, and the CAS return URL a ticket in its query
string; both would otherwise be written to every access log line (and the
Referer of the next request)."""
import re

from gunicorn import glogging

SECRET_PATH = re.compile(r"(/compte/(?:activer|reinitialiser|email|refuser-email)/)[^/?#\s\"]+")
SECRET_PARAM = re.compile(r"((?:^|[?&;])(?:ticket|token)=)[^&#\s\"]*", re.IGNORECASE)
MASK = "[masqué]"


def mask_secrets(text):
    if not isinstance(text, str):
        return text
    return SECRET_PARAM.sub(r"\g<1>" + MASK, SECRET_PATH.sub(r"\g<1>" + MASK, text))


class MaskingLogger(glogging.Logger):
    """`logger_class` of gateway/gunicorn_conf.py."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_secrets(value) for key, value in atoms.items()}
