"""The gateway under test with the services faked (they are outside its
boundary): a fake remote answering each RPC as the test says, the fake
accounts keeping login sessions as the real one does, browsers logged in as a
candidate or a staff member, and the answers several page tests share.
The `app` fixture (tests/gateway/conftest.py) is `gateway_app()`."""
import html
import re
import secrets

from flask_babel import force_locale
from itsdangerous import URLSafeTimedSerializer

from gateway import create_app
from gateway.labels import LABELS
from services.accounts.dossier.form_schema import choice_lists, form_schema
from services.accounts.staff.capabilities import capabilities
from services.common.actors import STAFF_ROLES
from services.common.errors import NotFound
from tests.support.actors import candidate, staff

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CANDIDATE = candidate(7, dossier_number="22PB7Y36", email="a@b.fr", first_name="Léa",
                      last_name="Martin", lang="fr")


def page_text(answer):
    return html.unescape(answer.get_data(as_text=True))


# The fake accounts' login sessions, as the real one keeps them: id -> actor.
SESSIONS = {}
LOGINS = ("authenticate_candidate", "authenticate_staff", "authenticate_cas")


def opened(who):
    """A login's answer: the actor and the id of its new session; a staff
    actor carries the capabilities accounts computes from its role."""
    session_id = secrets.token_urlsafe(8)
    if who.get("kind") == "staff":
        who = {**capabilities(who.get("role")), **who}
    SESSIONS[session_id] = dict(who)
    return {**who, "session_id": session_id}


def check_session(actor, session_id):
    if session_id not in SESSIONS:
        raise NotFound("session_ended", "no such live session")
    return {"actor": SESSIONS[session_id], "expires_at": "2027-03-10T21:00:00+00:00"}


def end_session(actor, session_id):
    SESSIONS.pop(session_id, None)
    return {"ended": True}


def catalogue_rights(actor):
    """The catalog's answer for each role (services/catalog/access.py)."""
    role = actor.get("role")
    writer, lists = role in ("admin", "scol", "manager"), role in ("admin", "scol")
    return {"can_manage_campaigns": role == "admin", "can_create_centre": lists,
            "can_create_commission": writer, "can_create_formation": writer,
            "can_create_piece": writer, "can_edit_lists": lists, "can_import": writer}


# Unless a test answers them itself: the gateway asks who a session is on
# (most) requests, and ends it at logout; staff pages ask the catalog what the
# user may create (the navigation, the catalogue's forms) and its tags; the staff
# application page asks for the refusal motives (none unless a test gives some).
SESSION_RPCS = {"check_session": check_session, "end_session": end_session,
                "catalogue_rights": catalogue_rights,
                # the staff list and application pages show the catalogue's tags
                "list_reference": lambda actor, kind, include_inactive=False: [],
                # a candidate's application page lists each piece's files (none here)
                "list_piece_files": lambda actor, application_id: {}}


class FakeService:
    """`calls` records (method, arguments, the actor first). As the real
    client does, a call whose first argument is not an actor is refused."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __getattr__(self, method):
        if method in SESSION_RPCS and method not in self.answers:
            return SESSION_RPCS[method]

        def call(*args, **kwargs):
            if not args or not isinstance(args[0], dict) or not args[0].get("kind"):
                raise TypeError(f"{method}: the first argument of an RPC is the actor")
            self.calls.append((method, args))
            answer = self.answers[method]
            if isinstance(answer, Exception):
                raise answer
            result = answer(*args) if callable(answer) else answer
            return opened(result) if method in LOGINS else result
        return call


class FakeRemote:
    def __init__(self, **services):
        self.services = {name: FakeService(answers) for name, answers in services.items()}

    def __getattr__(self, name):
        return self.services[name]


def gateway_app(**config):
    """The gateway in development mode, with the form secret the helpers sign with."""
    return create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development",
                       **config})


def fake(app, **services):
    services.setdefault("accounts", {})  # a staff session's actor is asked of it
    services.setdefault("catalog", {})   # and staff pages what the catalogue allows
    services.setdefault("notifications", {"list_mails": []})  # the staff page's mails
    remote = FakeRemote(**services)
    app.extensions["remote"] = remote
    return remote


def token(client, path="/"):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def signed(raw, secret="test"):
    """What a page's form carries for the session's CSRF token `raw` (Flask-WTF
    signs it with the app's SECRET_KEY)."""
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


# The form token of a browser logged in by login_as.
TOK = signed("tok")


def login_as(client, who):
    """The browser of someone logged in: its cookie holds a session id and its CSRF token."""
    with client.session_transaction() as session:
        session["sid"] = opened(who)["session_id"]
        session["csrf_token"] = "tok"


def login_candidate(client):
    login_as(client, CANDIDATE)


def as_staff(client, role="scol", centres=()):
    login_as(client, staff(role, centres, id=3))


PRODUCTION_SECRETS = {"SECRET_KEY": "s" * 40, "ACTOR_SIGNING_KEY": "a" * 40,
                      "NAMEKO": {"AMQP_URI": "amqp://gateway:" + "p" * 20 + "@127.0.0.1:5672/"}}

# The gateway's session clock (gateway.security.now) starts here under the
# `clock` fixture.
START = 1_800_000_000


# -- answers of the faked services ---------------------------------------------

DOSSIER = {"candidate": {"id": 7, "dossier_number": "22PB7Y36", "email": "a@b.fr"},
           "personal": {"birth_name": "Martin", "first_name": "Léa", "civility": "MME"},
           "address": {}, "bac": {}, "internal": [{"year": "2024", "code": "L3INFO",
                                                   "label": "Licence Informatique", "result": "ADM"}],
           "external": [{"id": "e1", "year": "2022", "country": "FR", "diploma_type": "Licence",
                         "label": "Licence de physique", "obtained": "O"}],
           "internships": [], "experience": [],
           "complete": {"personal": True, "address": True, "bac": True},
           "open": {s: True for s in ("personal", "address", "bac", "internal", "external",
                                      "internships", "experience")},
           "readonly": {"personal": ["birth_name", "first_name"], "bac": False, "internal": True},
           "personal_locked": False, "ready_to_apply": True, "pending_email": None}
REFERENCE = {"countries": [["FR", "France"]], "bac_series": [["S", "S"]], "mentions": [],
             "civilities": [["M", "Monsieur"], ["MME", "Madame"]],
             "departments": [["69", "Rhône"]], "nationalities": [["FR", "française"]],
             "obtained": [["O", "Oui"], ["N", "Non"], ["E", "En cours"]],
             # the forms' schema as accounts publishes it
             "form": form_schema(), **choice_lists(), "staff_roles": list(STAFF_ROLES)}
APPLICATION = {
    "id": 5, "status": "AT", "formation": {"code": "MINFO1", "label": "Master Informatique",
                                           "centre": None},
    "pieces": [{"code": "CV", "label": "CV", "status": "AT", "can_change": True,
                "has_file": False, "conditional": False}],
    "missing": ["CV"], "can_cancel": True, "cancelled": False, "archived": False,
    "decision": None, "history": []}
CENTRE = {"code": "SCI", "label": "UFR Sciences", "email": "s@u.fr", "address": None,
          "max_file_size": 2 * 1024 * 1024, "max_applications": None, "online": True,
          "can_edit": True}
CHANGE = {"at": "2027-03-10T09:00:00+00:00", "by_name": "Claire Scol", "section": "personal",
          "entry_id": None, "before": {"birth_name": "Martin"}, "after": {"birth_name": "Martin-Petit"}}


def staff_services(app, **accounts):
    """What the staff's candidate pages ask: Léa's dossier, her application, her mails."""
    return fake(app, accounts={
        "get_dossier": DOSSIER, "reference_data": REFERENCE, "list_dossier_changes": [CHANGE],
        "search_candidates": [{"id": 7, "dossier_number": "22PB7Y36", "last_name": "Martin",
                               "first_name": "Léa", "email": "lea@example.org", "ine": None,
                               "activated": True, "origin": "web"}],
        "save_dossier_section": DOSSIER, "create_account_for": {"candidate_id": 8,
                                                                "dossier_number": "27AAAA22"},
        "resend_activation": {"sent": True}, "delete_account": {"deleted": True}, **accounts},
        applications={"list_applications": {"items": [{
            "id": 5, "candidate": {"id": 7}, "cancelled": False, "status": "RE",
            "formation": {"code": "MINFO1", "label": "Master Info"}}],
            "total": 1, "page": 1, "per_page": 200}},
        notifications={"list_mails": [{"created_at": "2027-03-10T09:00:00+00:00", "code": "STATUS_RE",
                                       "subject": "Candidature reçue", "status": "sent", "body": "…"}]})


# -- words ---------------------------------------------------------------------

# The French text of each code (the msgids need no catalogue).
FR = {key: str(text) for key, text in LABELS.items()}


def words_in(lang):
    """{code: its text in `lang`}."""
    app = create_app({"SECRET_KEY": "test", "APP_ENV": "development"})
    with app.test_request_context(), force_locale(lang):
        return {key: str(text) for key, text in LABELS.items()}
