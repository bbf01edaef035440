"""Typed remote errors -> HTTP answers and form messages (docs/architecture.md)."""
import logging

from flask import render_template
from flask_babel import gettext as _
from nameko.exceptions import RpcTimeout
from werkzeug.exceptions import HTTPException

from services.common.errors import (Conflict, DomainError, Forbidden, NotFound, Unavailable,
                                    ValidationFailed)

from .i18n import error_text, label
from .rpc import RpcPoolExhausted

log = logging.getLogger(__name__)

# What a 503 asks a client (a browser, a load balancer) to wait before retrying.
RETRY_AFTER_SECONDS = 10


def field_errors(exc):
    """{field: message in the user's language}."""
    return {field: error_text(code) for field, code in (exc.fields or {}).items()}


def message_for(exc):
    """One sentence for a refused command: the field problems when there are some."""
    if isinstance(exc, ValidationFailed) and exc.fields:
        return " ".join(dict.fromkeys(error_text(code) for code in exc.fields.values()))
    return error_text(exc.code)


def register(app):
    @app.errorhandler(NotFound)
    def not_found(exc):
        return render_template("error.html", message=_("Cette page n'existe pas ou vous n'y avez pas accès.")), 404

    @app.errorhandler(Forbidden)
    def forbidden(exc):
        return render_template("error.html", message=error_text(exc.code)), 403

    @app.errorhandler(ValidationFailed)
    def invalid(exc):
        return render_template("error.html", message=message_for(exc)), 422

    @app.errorhandler(Conflict)
    def conflict(exc):
        return render_template("error.html", message=message_for(exc)), 409

    @app.errorhandler(DomainError)
    def domain(exc):
        return render_template("error.html", message=message_for(exc)), 400

    @app.errorhandler(HTTPException)
    def http_error(exc):
        key = f"error.{exc.code}"
        message = label(key) if key in ("error.404", "error.403", "error.413", "error.400") else exc.description
        return render_template("error.html", message=message), exc.code

    @app.errorhandler(Unavailable)
    @app.errorhandler(RpcTimeout)
    @app.errorhandler(RpcPoolExhausted)
    @app.errorhandler(ConnectionError)
    @app.errorhandler(OSError)
    def unavailable(exc):
        if isinstance(exc, Unavailable):  # a service said so in time: no traceback to keep
            log.warning("unavailable: %s", exc)
        else:
            log.exception("a service did not answer")
        answer = render_template("error.html", message=_("Le service est momentanément indisponible. Réessayez dans quelques instants ; rien de ce que vous aviez enregistré n'est perdu."))
        return answer, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unexpected error")
        return render_template("error.html", message=_("Le service est momentanément indisponible. Réessayez dans quelques instants ; rien de ce que vous aviez enregistré n'est perdu.")), 500
