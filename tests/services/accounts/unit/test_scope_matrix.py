"""Roles x accounts RPCs: every RPC of the accounts
service that acts for someone (the candidate's own dossier and account, staff
help: search, dossier reads and corrections, accounts on a candidate's behalf,
deletion; staff administration), called by every kind of actor on candidates
inside and outside their scope, against the real test database.

- admin, scol: every candidate; a manager: the candidates who applied to one
  of their centres (or whom they created); readonly: reads within their centres;
- committee (president or not): reads the dossiers of candidates who
  TRANSMITTED an application to their commission, and changes nothing here
  ("read the applications ..., enter decisions");
- creating accounts for candidates, a new activation link, deleting: admin,
  scol, managers in scope (deleting: every application of the candidate in scope);
- staff users: administrators only;
- a candidate: their own dossier and account; another's answers NotFound;
  staff RPCs are Forbidden to them.

Every refused call leaves every table unchanged; every allowed write changes
something; reads never change anything."""
import copy

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.testing.services import worker_factory

from services.accounts.models import Base
from services.accounts.service import AccountsService
from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.services.accounts.harness import ADDRESS, Harness, PASSWORD
from tests.support.rpc_surface import rpc_names, unscoped
from tests.support.scope_matrix import FORBIDDEN, NOT_FOUND, Outcome, outcome_table
from tests.support.scope_matrix import staff_actor as staff
from tests.support.snapshots import dump, everything, restore

EXTERNAL = {"year": "2021", "country": "FR", "institution": "Université de Lyon",
            "diploma_type": "Licence", "label": "Licence de physique", "obtained": "O"}
STAFF_PASSWORD = "Gestion-2027-pass!"


ACTORS = {
    "admin": staff(901, "admin", "admin"),
    "scol": staff(902, "scol", "scol"),
    "manager_sci": staff(903, "gestion.sci", "manager", ["SCI"]),
    "manager_llsh": staff(904, "gestion.llsh", "manager", ["LLSH"]),
    "committee": staff(905, "jury.info", "committee", commissions=["SCI-INFO"]),
    "president": staff(906, "pres.info", "committee", commissions=["SCI-INFO"],
                       presides=["SCI-INFO"]),
    "readonly": staff(907, "audit.sci", "readonly", ["SCI"]),
    "owner": None,       # Léa, whose dossier the rows target (set by the fixture)
    "candidate": None,   # Paul, another candidate
}
ROLES = list(ACTORS)
CANDIDATES = {"owner", "candidate"}
STAFF_ROLES = [role for role in ROLES if role not in CANDIDATES]


def table(allowed, refused=FORBIDDEN, **special):
    return outcome_table(ROLES, allowed, refused, **special)


def on_lea(allowed):
    """An RPC on Léa's dossier: Paul gets NotFound."""
    return table(allowed, candidate=NOT_FOUND)


def on_paul(allowed):
    return table(allowed, owner=NOT_FOUND)


CENTRAL = {"admin", "scol"}
READ_LEA = CENTRAL | {"manager_sci", "committee", "president", "readonly", "owner"}
READ_DRAFT = CENTRAL | {"manager_sci", "readonly"}  # applied to SCI-INFO, not transmitted
READ_PAUL = CENTRAL | {"manager_llsh", "candidate"}
# Correcting a dossier is not among a committee's rights (read the
# transmitted applications, enter decisions); this matrix found committee
# members correcting the dossiers they read (fixed in 66a1600).
WRITE_LEA = CENTRAL | {"manager_sci", "owner"}
WRITE_PAUL = CENTRAL | {"manager_llsh", "candidate"}

# The candidates (all named Martin):
#   lea    applied to SCI, SCI-INFO, transmitted; acts as "owner"
#   draft  applied to SCI, SCI-INFO, not transmitted
#   paul   applied to LLSH, LLSH-LEA, transmitted; acts as "candidate"
#   both   applied to SCI (SCI-MATH) and LLSH (LLSH-LEA)
#   pending_sci, pending_llsh  created by the SCI / LLSH manager, not activated
EVERYONE = ("lea", "draft", "paul", "both", "pending_sci", "pending_llsh")


def cid(name):
    return lambda ctx: ctx[name]


def entry(name):
    return lambda ctx: ctx[f"{name}_entry"]


def seen(names):
    return Outcome(seen=names)


def new_staff(ctx):
    return {"login": "gestion.droit", "display_name": "Gestion Droit", "role": "manager",
            "centres": ["SCI"], "password": STAFF_PASSWORD}


# (rpc, prepare or None, positional arguments after the actor, keywords, outcomes)
MATRIX = [
    # -- dossier reads ------------------------------------------------------------------
    ("get_dossier", None, (), {"candidate_id": cid("lea")}, on_lea(READ_LEA)),
    ("get_dossier", None, (), {"candidate_id": cid("draft")},
     table(READ_DRAFT, owner=NOT_FOUND, candidate=NOT_FOUND)),
    ("get_dossier", None, (), {"candidate_id": cid("paul")}, on_paul(READ_PAUL)),
    ("get_dossier", None, (), {"candidate_id": lambda ctx: 999999},
     table((), admin=NOT_FOUND, scol=NOT_FOUND, owner=NOT_FOUND, candidate=NOT_FOUND)),
    ("list_dossier_changes", None, (cid("lea"),), {}, table(READ_LEA - {"owner"})),
    ("list_dossier_changes", None, (cid("paul"),), {}, table(READ_PAUL - {"candidate"})),
    ("search_candidates", None, ("martin",), {}, {
        "admin": seen(EVERYONE), "scol": seen(EVERYONE),
        "manager_sci": seen(("lea", "draft", "both", "pending_sci")),
        "manager_llsh": seen(("paul", "both", "pending_llsh")),
        "committee": seen(("lea",)), "president": seen(("lea",)),
        "readonly": seen(("lea", "draft", "both", "pending_sci")),
        "owner": FORBIDDEN, "candidate": FORBIDDEN}),
    # -- dossier corrections ----------------------------------------------------------------
    ("save_dossier_section", None, ("address", {**ADDRESS, "line1": "3 place Bellecour"}),
     {"candidate_id": cid("lea")}, on_lea(WRITE_LEA)),
    ("save_dossier_section", None, ("address", {**ADDRESS, "line1": "3 place Bellecour"}),
     {"candidate_id": cid("paul")}, on_paul(WRITE_PAUL)),
    ("add_dossier_entry", None, ("external", EXTERNAL), {"candidate_id": cid("lea")},
     on_lea(WRITE_LEA)),
    ("add_dossier_entry", None, ("external", EXTERNAL), {"candidate_id": cid("paul")},
     on_paul(WRITE_PAUL)),
    ("update_dossier_entry", None, ("external", entry("lea"), {**EXTERNAL, "obtained": "N"}),
     {"candidate_id": cid("lea")}, on_lea(WRITE_LEA)),
    ("delete_dossier_entry", None, ("external", entry("lea")), {"candidate_id": cid("lea")},
     on_lea(WRITE_LEA)),
    ("delete_dossier_entry", None, ("external", entry("paul")), {"candidate_id": cid("paul")},
     on_paul(WRITE_PAUL)),
    # -- the candidate's own account ---------------------------------------------------------
    ("request_email_change", None, ("nouvelle@example.org", "nouvelle@example.org", PASSWORD),
     {}, table(CANDIDATES)),
    ("export_my_data", None, (), {}, table(CANDIDATES)),
    ("delete_my_account", None, (PASSWORD,), {}, table(CANDIDATES)),
    # -- login sessions: checked for the gateway before it knows who is there; ended by
    # their own user only
    ("check_session", None, (lambda ctx: ctx["lea_session"],), {}, table(())),
    ("end_session", None, (lambda ctx: ctx["lea_session"],), {},
     table({"owner"}, refused=NOT_FOUND)),
    # -- the link mailed to the former address: whoever holds it (the link is the key)
    ("check_email_refusal", None, (lambda ctx: ctx["lea_refusal"],), {}, table(ROLES)),
    ("refuse_email_change", None, (lambda ctx: ctx["lea_refusal"], "Nouveau-2027-pass!",
                                   "Nouveau-2027-pass!"), {}, table(ROLES)),
    # -- staff help -----------------------------------------------------------------------
    ("create_account_for", None, ({"last_name": "Durand", "first_name": "Zoé",
                                   "email": "zoe@example.org", "email_confirm": "zoe@example.org",
                                   "lang": "fr"},), {},
     table(CENTRAL | {"manager_sci", "manager_llsh"})),
    ("resend_activation", None, (cid("pending_sci"),), {}, table(CENTRAL | {"manager_sci"})),
    ("resend_activation", None, (cid("pending_llsh"),), {}, table(CENTRAL | {"manager_llsh"})),
    ("delete_account", None, (cid("lea"),), {}, table(CENTRAL | {"manager_sci"})),
    ("delete_account", None, (cid("paul"),), {}, table(CENTRAL | {"manager_llsh"})),
    # applications in both centres: deleting it wipes the other centre's too
    ("delete_account", None, (cid("both"),), {}, table(CENTRAL)),
    # -- staff users: administrators only ----------------------------------------------------------
    ("list_staff", None, (), {}, table({"admin"})),
    ("get_staff", None, (cid("staff_user"),), {}, table({"admin"})),
    ("create_staff", None, (new_staff,), {}, table({"admin"})),
    ("update_staff", None, (cid("staff_user"), lambda ctx: {
        "display_name": "Gestion SCI (modifié)", "role": "manager", "centres": ["LLSH"]}), {},
     table({"admin"})),
    # -- a staff user's own preferences: every staff user, on their own row
    ("save_preferences", None, ("staff_list.columns", ["candidate", "status"]), {},
     table(set(STAFF_ROLES))),
    # -- commission members: read in the actor's centres, set by admin, scol, its managers
    ("list_commission_members", None, ("SCI-INFO",), {},
     table(CENTRAL | {"manager_sci", "readonly"})),
    ("list_commission_members", None, ("LLSH-LEA",), {}, table(CENTRAL | {"manager_llsh"})),
    ("set_commission_members", None, ("SCI-INFO", [{"login": "jury.new", "president": True}]),
     {}, table(CENTRAL | {"manager_sci"})),
    ("set_commission_members", None, ("LLSH-LEA", [{"login": "jury.new", "president": True}]),
     {}, table(CENTRAL | {"manager_llsh"})),
]
READS = {"get_dossier", "list_dossier_changes", "search_candidates", "export_my_data",
         "list_staff", "get_staff", "list_commission_members", "check_session", "check_email_refusal"}


# -- the world ----------------------------------------------------------------------------

def handler_for(source, event_type):
    """The name of the accounts handler of that event (whatever it is called)."""
    for name in dir(AccountsService):
        for entrypoint in getattr(getattr(AccountsService, name), ENTRYPOINT_EXTENSIONS_ATTR,
                                  None) or ():
            if (getattr(entrypoint, "source_service", None), getattr(
                    entrypoint, "event_type", None)) == (source, event_type):
                return name
    raise AssertionError(f"accounts does not listen to {source}.{event_type}")


def applied(h, candidate_id, centre, commission, transmitted):
    payload = {"candidate_id": candidate_id, "centre": {"code": centre},
               "commission": {"code": commission}, "formation": {"code": f"F-{commission}"}}
    events = ["application_created"] + (["application_transmitted"] if transmitted else [])
    for event in events:
        h.call(handler_for("applications", event),
               {**payload, "event_id": f"{event}-{candidate_id}-{commission}",
                "event_type": event})




COMMISSION_CENTRES = {"SCI-INFO": "SCI", "SCI-MATH": "SCI", "LLSH-LEA": "LLSH"}


def list_commissions():
    """catalog.list_commissions as its contract says to a service: every
    commission with its centre (accounts keeps those of the actor's centres)."""
    return [{"code": code, "centre": centre} for code, centre in COMMISSION_CENTRES.items()]


class ScopedHarness(Harness):
    """The accounts harness whose catalog answers list_commissions by scope."""

    def call(self, method, *args, **kwargs):
        unit = self.unit_of_work(self.engine, Base.metadata)
        worker = worker_factory(AccountsService, db=unit, clock=self.clock)
        worker.catalog.get_active_campaign.return_value = {"code": "2027", "label": "2027"}
        worker.catalog.list_centres.return_value = [{"code": "SCI"}, {"code": "LLSH"}]
        worker.catalog.list_commissions.side_effect = list_commissions
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()


# The world is built once (argon2 hashing is slow on purpose), then copied back
# into the emptied database before each test.
_BUILT = {}


@pytest.fixture
def scoped(service_db, unit_of_work):
    return ScopedHarness(service_db("accounts"), unit_of_work)


@pytest.fixture
def world(scoped):
    if "saved" in _BUILT:
        restore(scoped.engine, _BUILT["saved"])
    else:
        _BUILT["ctx"] = build(scoped)
        _BUILT["saved"] = dump(scoped.engine)
    return copy.deepcopy(_BUILT["ctx"])


def build(h):
    ctx = {}
    for name in ("lea", "draft", "paul", "both"):
        account = h.activated(f"{name}@example.org")
        h.fill(account["actor"])
        ctx[name], ctx[f"{name}_actor"] = account["candidate_id"], account["actor"]
    applied(h, ctx["lea"], "SCI", "SCI-INFO", transmitted=True)
    applied(h, ctx["draft"], "SCI", "SCI-INFO", transmitted=False)
    applied(h, ctx["paul"], "LLSH", "LLSH-LEA", transmitted=True)
    applied(h, ctx["both"], "SCI", "SCI-MATH", transmitted=False)
    applied(h, ctx["both"], "LLSH", "LLSH-LEA", transmitted=False)
    for name in ("lea", "paul"):
        view = h.call("add_dossier_entry", ctx[f"{name}_actor"], "external", EXTERNAL)
        ctx[f"{name}_entry"] = view["external"][0]["id"]
    for name, manager in (("pending_sci", "manager_sci"), ("pending_llsh", "manager_llsh")):
        ctx[name] = h.call("create_account_for", ACTORS[manager], {
            "last_name": "Martin", "first_name": "Pierre", "email": f"{name}@example.org",
            "email_confirm": f"{name}@example.org", "lang": "fr"})["candidate_id"]
    ctx["staff_user"] = h.call("create_staff", ACTORS["admin"], {
        "login": "gestion.sci2", "display_name": "Gestion SCI", "role": "manager",
        "centres": ["SCI"], "password": STAFF_PASSWORD})["id"]
    h.call("create_staff", ACTORS["admin"], {
        "login": "jury.new", "display_name": "Jury nouveau", "role": "committee",
        "commissions": ["SCI-MATH"], "password": STAFF_PASSWORD})
    # the staff actors are stored users too (their sessions read them back)
    staff_actors = {}
    for role in STAFF_ROLES:
        actor = ACTORS[role]
        stored = h.call("create_staff", ACTORS["admin"], {
            "login": actor["login"], "display_name": actor["display_name"],
            "role": actor["role"], "centres": actor["centres"],
            "commissions": actor["commissions"], "presides": actor["presides"],
            "password": STAFF_PASSWORD})
        staff_actors[role] = {**actor, "id": stored["id"]}
    ctx["actors"] = {**ACTORS, **staff_actors, "owner": ctx["lea_actor"],
                     "candidate": ctx["paul_actor"]}
    ctx["lea_session"] = h.call("authenticate_candidate", ANONYMOUS, "lea@example.org",
                                PASSWORD)["session_id"]
    h.call("request_email_change", ctx["lea_actor"], "lea.autre@example.org",
           "lea.autre@example.org", PASSWORD)
    ctx["lea_refusal"] = h.events("email_change_announced")[-1]["undo_token"]
    return ctx


def resolve(value, ctx):
    return value(ctx) if callable(value) else value


CASES = [(who, index) for index in range(len(MATRIX)) for who in ROLES]


def row_id(index):
    method, _, args, kwargs, _ = MATRIX[index]
    names = {n: n for n in EVERYONE + ("staff_user",)}
    names.update({f"{n}_entry": n for n in ("lea", "paul")})
    target = kwargs.get("candidate_id") or next((a for a in args if callable(a)), None)
    try:
        target = target(names) if target else ""
    except (KeyError, TypeError):
        target = ""
    return f"{index:02d}-{method}" + (f"-{target}" if isinstance(target, str) and target else "")


@pytest.mark.parametrize("who, index", CASES, ids=[f"{row_id(i)}-{who}" for who, i in CASES])
def test_each_role_gets_exactly_what_its_scope_allows(scoped, world, who, index):
    h, ctx = scoped, world
    method, prepare, args, kwargs, outcomes = MATRIX[index]
    expected, actor = outcomes[who], ctx["actors"][who]
    if prepare is not None:
        prepare(h, ctx)
    args = [resolve(a, ctx) for a in args]
    kwargs = {k: resolve(v, ctx) for k, v in kwargs.items()}
    before = everything(h.engine)
    if expected.error is None:
        try:
            answer = h.call(method, actor, *args, **kwargs)
        except (Forbidden, NotFound, Conflict, ValidationFailed) as error:
            pytest.fail(f"{method} by {who} refused ({error!r}); the role allows it")
        after = everything(h.engine)
        if method in READS:
            assert after == before, f"{method} read by {who} changed the database"
        else:
            assert after != before, f"{method} allowed to {who} but changed nothing"
        if expected.seen is not None:
            names = {ctx[n]: n for n in EVERYONE}
            found = sorted(names.get(c["id"], c["id"]) for c in answer)
            assert found == sorted(expected.seen), \
                f"SCOPE LEAK? {who} finds {found}; the role allows exactly " \
                f"{sorted(expected.seen)}"
        return
    try:
        h.call(method, actor, *args, **kwargs)
    except expected.error as error:
        if expected.error is Forbidden:
            assert error.code in ("forbidden", "out_of_scope", "read_only"), error
    except (Forbidden, NotFound, Conflict, ValidationFailed) as error:
        pytest.fail(f"{method} by {who}: expected {expected.error.__name__}, got {error!r}")
    else:
        pytest.fail(f"SCOPE LEAK: {method} by {who} was allowed; the role refuses it "
                    f"({expected.error.__name__})")
    assert everything(h.engine) == before, \
        f"SCOPE LEAK: {method} refused to {who} but the database changed"


def test_a_session_gives_the_stored_actor(scoped, world):
    """The gateway's cookie holds a session id only: the role and scope come
    from the stored user."""
    session_id = scoped.call("authenticate_staff", ANONYMOUS, "gestion.sci", STAFF_PASSWORD)["session_id"]
    again = scoped.call("check_session", ANONYMOUS, session_id)["actor"]
    assert (again["role"], again["centres"], again["commissions"]) == ("manager", ["SCI"], [])
    with pytest.raises(NotFound):
        scoped.call("check_session", ANONYMOUS, session_id + "x")


def test_the_matrix_covers_every_accounts_rpc_a_staff_scope_decides():
    """Every RPC takes the actor; all but the public and internal ones
    (tests/support/rpc_surface.py) need a row here."""
    covered = {row[0] for row in MATRIX}
    assert rpc_names(AccountsService) - unscoped("accounts") - covered == set(), \
        "RPCs of accounts/service.py missing from MATRIX"


def test_every_row_names_an_outcome_for_every_actor():
    for method, _, _, _, outcomes in MATRIX:
        assert set(outcomes) == set(ROLES), method
