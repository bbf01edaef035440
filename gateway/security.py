"""Sessions, CSRF and access checks. The services check again (actor in
every RPC); the gateway refuses early and never renders another's data.

The session cookie is signed, not encrypted: it holds only opaque values (the
id of a login session kept by accounts, Flask-WTF's CSRF token, the language), never
a name or an address. Who is logged in is asked of accounts (check_session)
at most once per request; a positive answer is kept SESSION_CHECK_SECONDS in
this process, so a session ended at accounts (logout, new password, new
address, account deleted, staff user disabled) stops working within that
time, from a copied cookie too."""
import functools
import secrets
import threading
import time
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from services.common import logs
from services.common.actors import ANONYMOUS
from services.common.errors import Forbidden, NotFound

from .i18n import label

IDEMPOTENCY_FIELD = "idempotency_key"
IDEMPOTENCY_KEY_MAX = 100


def new_idempotency_key():
    """A fresh value for one rendered form (the `csrf()` macro puts it in):
    that form sent again (a double click, a reload of an error page, a retry)
    carries the same value, and the service applies it once."""
    return secrets.token_urlsafe(16)


def idempotency_key():
    """The key of the posted form (or an API client's Idempotency-Key header),
    None without one: the command then runs as before, unprotected. A key is
    not made up here from the request: two identical requests without one may
    well be meant twice (the same entry added twice, the same file again)."""
    value = (request.form.get(IDEMPOTENCY_FIELD) or request.headers.get("Idempotency-Key")
             or "").strip()
    return value if 0 < len(value) <= IDEMPOTENCY_KEY_MAX else None


SESSION_ID = "sid"
_UNKNOWN = object()


def now():
    return time.monotonic()


class SessionCache:
    """check_session's positive answers in this process, for `seconds`: most
    pages then cost no RPC to know who is there. Ended sessions are never kept."""
    LIMIT = 10000

    def __init__(self, seconds):
        self.seconds = seconds
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, session_id):
        entry = self._entries.get(session_id)
        if entry is None or now() >= entry[0]:
            return None
        return entry[1]

    def put(self, session_id, who):
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.LIMIT:
                moment = now()
                self._entries = {k: e for k, e in self._entries.items() if e[0] > moment}
                if len(self._entries) >= self.LIMIT:
                    self._entries = {}
            self._entries[session_id] = (now() + self.seconds, who)

    def drop(self, session_id):
        with self._lock:
            self._entries.pop(session_id, None)


def _cache():
    return current_app.extensions["sessions"]


def _accounts():
    return current_app.extensions["remote"].accounts


def session_id():
    """The id of this browser's login session, for the accounts RPCs that
    need to know which session asks (a fresh CAS login, the session kept)."""
    return session.get(SESSION_ID)


def actor():
    """Who is logged in, as accounts says now; None for a visitor."""
    who = g.get("actor", _UNKNOWN)
    if who is _UNKNOWN:
        g.actor = None  # accounts not answering: the error page shows as to a visitor
        who = g.actor = _checked_actor()
        logs.bind(g.get("request_id"), (who or ANONYMOUS)["kind"])
    return who


def caller():
    """Who asks, on a page anyone may open: the logged-in user, else an
    anonymous visitor (the services accept either on their public methods)."""
    return actor() or ANONYMOUS


def refresh_actor():
    """Forget this process's copy of who is logged in: after a change to the
    user's own data (their preferences), the next request asks accounts."""
    sid = session.get(SESSION_ID)
    if sid:
        _cache().drop(sid)
    g.pop("actor", None)


def _checked_actor():
    for stale in ("actor", "actor_at"):  # cookies from before: an identity in clear
        if stale in session:
            session.pop(stale)
    sid = session.get(SESSION_ID)
    if not sid:
        return None
    who = _cache().get(sid)
    if who is not None:
        return who
    try:
        who = _accounts().check_session(ANONYMOUS, sid)["actor"]
    except NotFound:  # ended, expired, or its user disabled or gone
        forget()
        g.session_ended = True
        return None
    _cache().put(sid, who)
    return who


def login(who):
    """Start a fresh session (no fixation): the cookie keeps only the id of
    the session accounts opened for this login, and the language. A session
    this browser had ends."""
    who = dict(who)
    sid = who.pop("session_id", None)
    if not sid:
        raise RuntimeError("accounts opened no session for this login")
    if session.get(SESSION_ID):
        logout()
    lang = session.get("lang")
    session.clear()
    session[SESSION_ID] = sid
    if lang:
        session["lang"] = lang
    session.permanent = True
    g.pop("csrf_token", None)  # Flask-WTF's cache of the token the cleared session had
    generate_csrf()  # a fresh one, never the one from before the login
    g.actor = who
    _cache().put(sid, who)


def refresh():
    """Who is logged in is asked again at the next request (it changed)."""
    sid = session.get(SESSION_ID)
    if sid:
        _cache().drop(sid)
    g.pop("actor", None)


def logout():
    """Ends the login session at accounts (a copied cookie no longer works)
    and forgets it here."""
    sid, who = session.get(SESSION_ID), actor()
    if sid and who:
        try:
            _accounts().end_session(who, sid)
        except (NotFound, Forbidden):  # ended meanwhile
            pass
    forget()


def forget():
    """Forgets the session here only (accounts ended it already)."""
    sid = session.get(SESSION_ID)
    if sid:
        _cache().drop(sid)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.pop("csrf_token", None)  # a form rendered next gets a token of the session left
    g.actor = None


def candidate_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        who = actor()
        if not who or who.get("kind") != "candidate":
            flash(label("session.ended" if g.get("session_ended") else "login.required"), "info")
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
            if g.get("session_ended"):
                flash(_("Votre session a pris fin (déconnexion, nouveau mot de passe, changement d'adresse mail ou compte désactivé). Reconnectez-vous."), "info")
            return redirect(url_for("staff.login", next=request.path))
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
