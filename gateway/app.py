import logging
import secrets
from urllib.parse import urlsplit

from flask import (Flask, g, has_request_context, redirect, render_template, request,
                   session)
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from services.common import logs
from services.common.breaker import Guards
from services.common.dates import date_input, file_size, format_date

from . import errors, security, settings
from .cache import CachedRemote
from .i18n import LANGUAGES, current_language, label, select_locale
from .rpc import Remote, RpcPool, RpcPoolExhausted


def assign_request_id():
    """One id per HTTP request, kept from a well-formed X-Request-ID (a proxy's),
    sent with every RPC of the request and logged by every service it reaches."""
    incoming = request.headers.get(logs.REQUEST_ID_HEADER, "")
    g.request_id = incoming if logs.well_formed(incoming) else logs.new_request_id()
    logs.bind(g.request_id)  # the request's log lines carry it (the actor's kind once known)


def release_log_context(exc=None):
    logs.bind()


def rpc_context():
    if has_request_context() and "request_id" in g:
        return {logs.REQUEST_ID: g.request_id}
    return {logs.REQUEST_ID: logs.new_request_id()}  # outside a request: a fresh one


def content_security_policy(cas_url=None):
    """The policy of HTML pages: scripts and styles from our own static files
    only (no inline code, so markup slipped into a page cannot run)."""
    form_action = "'self'"
    cas = urlsplit(cas_url or "")
    if cas.netloc:  # a CAS user's logout form is redirected there; form-action covers redirects
        form_action += f" {cas.scheme}://{cas.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'self'; "
            f"form-action {form_action}")


def create_app(overrides=None):
    app = Flask(__name__)
    app.config.update(settings.load())
    app.config.update(overrides or {})
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["APP_ENV"] != "development"
    logging.basicConfig(level=logging.INFO)
    settings.check_secrets(app.config)
    # development without SECRET_KEY: sessions last as long as the process
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or secrets.token_hex(32)
    if app.config["TRUSTED_PROXIES"]:
        # request.remote_addr becomes the address the proxies saw, and
        # request.is_secure what the client used (HSTS behind a TLS proxy);
        # links are built from PUBLIC_URL, so no host or prefix is taken.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=0, x_port=0, x_prefix=0)
    guards = Guards("gateway", app.config["CIRCUIT_FAILURES"], app.config["CIRCUIT_RESET_SECONDS"],
                    app.config["RPC_CONCURRENCY"], app.config["CONCURRENCY_WAIT_SECONDS"],
                    local_errors=(RpcPoolExhausted,))
    pool = RpcPool(app.config["NAMEKO"], size=app.config["RPC_POOL_SIZE"],
                   timeout=app.config["RPC_TIMEOUT"], guards=guards, context=rpc_context)
    app.extensions["rpc_pool"] = pool
    app.extensions["remote"] = Remote(pool)
    if app.config["READ_CACHE"]:
        app.extensions["remote"] = CachedRemote(
            app.extensions["remote"], app.config["NAMEKO"]["AMQP_URI"],
            ttl=app.config["READ_CACHE_TTL_SECONDS"], maxsize=app.config["READ_CACHE_MAX_ENTRIES"],
            heartbeat=app.config["READ_CACHE_HEARTBEAT_SECONDS"])
    app.extensions["sessions"] = security.SessionCache(app.config["SESSION_CHECK_SECONDS"])

    app.before_request(assign_request_id)  # first: a refused request has one too
    app.teardown_request(release_log_context)
    # French is the source language (msgids); English is gateway/translations.
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Paris")
    Babel(app, locale_selector=select_locale)
    # Every POST, PUT, PATCH and DELETE carries the session's token (the
    # `csrf_token` field, or an X-CSRF-Token header); templates call csrf_token().
    # The token lives as long as the session, as a form left open for hours
    # must still post; no Referer check on HTTPS, which a proxy may rewrite.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", False)
    CSRFProtect(app)
    errors.register(app)

    @app.errorhandler(CSRFError)
    def csrf_refused(exc):
        return render_template("error.html", message=label("error.csrf")), 400

    # a missing value shows as an empty field or cell, never as the text "None"
    app.jinja_env.finalize = lambda value: "" if value is None else value
    app.jinja_env.filters["date"] = lambda v: format_date(v, current_language())
    app.jinja_env.filters["datetime"] = lambda v: format_date(v, current_language(), with_time=True)
    app.jinja_env.filters["date_input"] = date_input
    app.jinja_env.filters["filesize"] = lambda v: file_size(v, current_language())
    app.jinja_env.filters["role_option"] = lambda role: [role, label(f"role.{role}")]
    # globals, not context: imported macros see them too
    app.jinja_env.globals.update(label=label, idempotency_key=security.new_idempotency_key)

    @app.context_processor
    def globals_for_templates():
        return {
            "actor": security.actor(),
            "lang": current_language(),
            "institution": {
                "name": app.config["INSTITUTION_NAME"],
                "email": app.config["INSTITUTION_CONTACT_EMAIL"],
                "phone": app.config["INSTITUTION_CONTACT_PHONE"],
            },
            "dev_mode": app.config["APP_ENV"] == "development",
            "cas_enabled": bool(app.config.get("CAS_URL")),
        }

    @app.get("/langue/<code>")
    def choose_language(code):
        if code in LANGUAGES:
            session["lang"] = code
        back = request.referrer or ""
        return redirect(back if back.startswith(request.host_url) else "/")

    @app.after_request
    def request_id_header(response):
        if "request_id" in g:  # for the client, a proxy, and the access log
            response.headers[logs.REQUEST_ID_HEADER] = g.request_id
        return response

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy",
                                        content_security_policy(app.config.get("CAS_URL")))
        if request.endpoint != "static" and security.actor():
            # someone's dossier or staff data must not stay in a shared browser's cache
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        return response

    from .views import (account, admin, admin_mails, candidate, catalogue, catalogue_transfer,
                        dev, health, public, staff, staff_candidates)
    for blueprint in (health.bp, public.bp, candidate.bp, account.bp, staff.bp,
                      staff_candidates.bp, admin.bp, admin_mails.bp, catalogue.bp,
                      catalogue_transfer.bp, dev.bp):
        app.register_blueprint(blueprint)
    return app
