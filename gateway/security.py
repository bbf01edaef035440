"""Sessions, CSRF and access checks. The services check again (actor in
every RPC); the gateway refuses early and never renders another's data."""
import functools
import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from services.common.actors import ANONYMOUS
from services.common.errors import Forbidden, NotFound

from .i18n import t

CSRF_FIELD = "csrf_token"


def csrf_token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf():
    """before_request: every state-changing request carries the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent, expected):
        return render_template("error.html", message=t("error.csrf")), 400
    return None


def actor():
    return session.get("actor")


def caller():
    """Who asks, on a page anyone may open: the logged-in user, else an
    anonymous visitor (the services accept either on their public methods)."""
    return actor() or ANONYMOUS


def login(actor_data):
    """Start a fresh session (no fixation): keep only the language."""
    lang = session.get("lang")
    session.clear()
    session["actor"] = actor_data
    session["actor_at"] = now()  # fresh from accounts (refresh_staff_actor)
    if lang:
        session["lang"] = lang
    session.permanent = True
    csrf_token()


def now():
    return int(time.time())


def refresh_staff_actor():
    """The staff actor lives in the signed session cookie: every
    STAFF_ACTOR_TTL seconds it is asked again of accounts, so that a changed
    role, centres or commissions apply and a disabled or removed user is
    logged out within that time (one RPC per TTL per session). None, or the
    redirect to the staff login when the session ends."""
    who = actor()
    checked = session.get("actor_at")
    if isinstance(checked, int) and now() - checked < current_app.config["STAFF_ACTOR_TTL"]:
        return None
    try:
        fresh = current_app.extensions["remote"].accounts.refresh_staff_actor(who)
    except (NotFound, Forbidden):
        logout()
        flash(t("staff.session_ended"), "info")
        return redirect(url_for("staff.login"))
    session["actor"], session["actor_at"] = fresh, now()
    return None


def logout():
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def candidate_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        who = actor()
        if not who or who.get("kind") != "candidate":
            flash(t("login.required"), "info")
            return redirect(url_for("public.home", next=request.path))
        return view(*args, **kwargs)
    return wrapper


def staff_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        who = actor()
        if not who or who.get("kind") != "staff":
            if who:  # a candidate on a staff page
                abort(403)
            return redirect(url_for("staff.login", next=request.path))
        ended = refresh_staff_actor()
        if ended is not None:
            return ended
        return view(*args, **kwargs)
    return wrapper


def dev_only(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_app.config["APP_ENV"] != "development":
            abort(404)
        return view(*args, **kwargs)
    return wrapper


def is_local_path(target):
    """A path of this site: no scheme, no host, one leading "/", no backslash
    (browsers read "/\\evil.example" as "//evil.example") nor control character."""
    if not isinstance(target, str) or "\\" in target or any(ord(c) < 32 for c in target):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return (not parts.scheme and not parts.netloc and target.startswith("/")
            and not target.startswith("//"))


def safe_next(default):
    """Only local paths as redirect targets."""
    target = request.args.get("next") or request.form.get("next") or ""
    return target if is_local_path(target) else default


def client_address():
    """The client's address for login and registration throttling. Behind
    TRUSTED_PROXIES proxies, ProxyFix (app.py) has set it from the entry the
    proxy appended to X-Forwarded-For; entries a client writes are ignored."""
    return request.remote_addr or ""
