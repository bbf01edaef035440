"""Roles x applications RPCs: every RPC of the
applications service that acts for someone, called by every kind of actor on
an application inside and outside their scope, against the real test database.

- admin, scol: every centre: review (piece and file statuses), decisions,
  validation; a manager the same within their centres;
- committee: the TRANSMITTED applications of their commissions only: read
  them and enter decisions; the president also validates them (a decision is
  validated by a manager or the committee's president); never review statuses;
- readonly: reads within their centres, never writes;
- candidates: their own applications only; another candidate's answer
  NotFound (nothing reveals that it exists); staff RPCs are Forbidden to them
  and candidate RPCs Forbidden to staff.

Every refused call leaves every table unchanged; every allowed write changes
something; reads never change anything."""
import copy
import itertools

import pytest

from services.applications.service import ApplicationsService
from services.common.errors import Conflict, Forbidden, NotFound
from tests.support.actors import candidate
from tests.support.rpc_surface import rpc_names, unscoped
from tests.support.scope_matrix import FORBIDDEN, NOT_FOUND, Outcome, outcome_table
from tests.support.scope_matrix import staff_actor as staff
from tests.support.snapshots import dump, restore


ADA, BOB = 12, 34
ACTORS = {
    "admin": staff(1, "admin", "admin"),
    "scol": staff(2, "scol", "scol"),
    "manager_sci": staff(3, "gestion.sci", "manager", ["SCI"]),
    "manager_llsh": staff(4, "gestion.llsh", "manager", ["LLSH"]),
    "committee": staff(5, "jury.info", "committee", commissions=["SCI-INFO"]),
    "president": staff(6, "pres.info", "committee", commissions=["SCI-INFO"],
                       presides=["SCI-INFO"]),
    "readonly": staff(7, "audit.sci", "readonly", ["SCI"]),
    "owner": candidate(ADA),          # the applications below are hers
    "candidate": candidate(BOB),      # another candidate
}
ROLES = list(ACTORS)
CANDIDATES = {"owner", "candidate"}


def table(allowed, refused=FORBIDDEN, **special):
    return outcome_table(ROLES, allowed, refused, **special)


# who reads (get_application, pieces, template, letter) an application of ...
READ_SCI_INFO = {"admin", "scol", "manager_sci", "committee", "president", "readonly", "owner"}
READ_SCI_DRAFT = {"admin", "scol", "manager_sci", "readonly", "owner"}  # not transmitted yet
READ_LLSH = {"admin", "scol", "manager_llsh", "owner"}
# who reviews (piece and file statuses)
REVIEW_SCI, REVIEW_LLSH = {"admin", "scol", "manager_sci"}, {"admin", "scol", "manager_llsh"}
# who enters a decision, who validates it
DECIDE_SCI_INFO = REVIEW_SCI | {"committee", "president"}
VALIDATE_SCI_INFO = REVIEW_SCI | {"president"}
OWN = {"owner"}


def candidate_only(allowed=OWN):
    """A candidate RPC on the owner's application: staff Forbidden, another
    candidate NotFound."""
    return table(allowed, candidate=NOT_FOUND)


def staff_read(allowed):
    return table(allowed, candidate=NOT_FOUND)


# -- the applications of the matrix ---------------------------------------------------------
#   sci:   Ada -> MINFO1 (centre SCI, commission SCI-INFO), transmitted
#   llsh:  Ada -> MLEA1 (centre LLSH, commission LLSH-LEA), transmitted
#   draft: Ada -> MMATH1 (centre SCI, commission SCI-MATH), not transmitted, CV uploaded
#   bob:   Bob -> MINFO1 (SCI-INFO), not transmitted
# A row's `prepare` brings the application to the state its RPC needs; the
# RPC's arguments then come from the context (names of the applications).

MANAGER_OF = {"sci": "manager_sci", "llsh": "manager_llsh", "draft": "manager_sci"}


def complete(h, ctx, name):
    h.call("set_file_status", ACTORS[MANAGER_OF[name]], ctx[name], "CO")


def decision_entered(h, ctx, name):
    complete(h, ctx, name)
    h.call("enter_decision", ACTORS[MANAGER_OF[name]], ctx[name], "FA", {})


def admitted(h, ctx, name):
    decision_entered(h, ctx, name)
    h.call("validate_decision", ACTORS[MANAGER_OF[name]], ctx[name])


def confirmed(h, ctx, name):
    admitted(h, ctx, name)
    h.call("confirm", ACTORS["owner"], ctx[name])


def on_paper(h, ctx, name):
    """The application's centre takes paper files (not online), as the catalog says."""
    h.catalog_data.formations["MMATH1"]["centre"]["online"] = False


def upload_started(h, ctx, name):
    ctx["document"] = h.call("start_piece_upload", ACTORS["owner"], ctx[name], "LM", "lm.pdf",
                             1000)["document_id"]


def ready_to_transmit(h, ctx, name):
    h.complete(ACTORS["owner"], ctx[name])


def app(name):
    return lambda ctx: ctx[name]


def seen(ids):
    return Outcome(seen=ids)


def listing(visible):
    """list_applications: each staff role sees exactly these applications."""
    return {role: (FORBIDDEN if role in CANDIDATES else seen(visible.get(role, ())))
            for role in ROLES}


EVERY = ("sci", "llsh", "draft", "bob")
SCI_ALL = ("sci", "draft", "bob")

# (rpc, prepare or None, arguments after the actor, outcomes)
MATRIX = [
    # -- staff lists and reads ------------------------------------------------------------
    ("list_applications", None, ({},), listing({
        "admin": EVERY, "scol": EVERY, "manager_sci": SCI_ALL, "manager_llsh": ("llsh",),
        "committee": ("sci",), "president": ("sci",), "readonly": SCI_ALL})),
    ("list_applications", None, ({"centre": "LLSH"},), {
        **listing({"admin": ("llsh",), "scol": ("llsh",), "manager_llsh": ("llsh",)}),
        "manager_sci": FORBIDDEN, "readonly": FORBIDDEN, "committee": FORBIDDEN,
        "president": FORBIDDEN}),
    ("application_stats", None, (), table(set(ROLES) - CANDIDATES)),
    ("application_stats", None, ("LLSH",), table({"admin", "scol", "manager_llsh"})),
    ("get_application", None, (app("sci"),), staff_read(READ_SCI_INFO)),
    ("get_application", None, (app("llsh"),), staff_read(READ_LLSH)),
    ("get_application", None, (app("draft"),), staff_read(READ_SCI_DRAFT)),
    ("get_application", None, (lambda ctx: 999999,),
     table((), admin=NOT_FOUND, scol=NOT_FOUND, manager_sci=NOT_FOUND, manager_llsh=NOT_FOUND,
           committee=NOT_FOUND, president=NOT_FOUND, readonly=NOT_FOUND, owner=NOT_FOUND,
           candidate=NOT_FOUND)),
    ("get_piece_download", None, (app("sci"), "CV"), staff_read(READ_SCI_INFO)),
    ("get_piece_download", None, (app("llsh"), "CV"), staff_read(READ_LLSH)),
    ("get_piece_download", None, (app("draft"), "CV"), staff_read(READ_SCI_DRAFT)),
    ("list_piece_files", None, (app("sci"),), staff_read(READ_SCI_INFO)),
    ("list_piece_files", None, (app("llsh"),), staff_read(READ_LLSH)),
    ("get_piece_template", None, (app("sci"), "LM"), staff_read(READ_SCI_INFO)),
    ("get_piece_template", None, (app("llsh"), "LM"), staff_read(READ_LLSH)),
    ("get_admission_letter", confirmed, (app("sci"),), staff_read(READ_SCI_INFO)),
    ("get_admission_letter", confirmed, (app("llsh"),), staff_read(READ_LLSH)),
    ("get_dossier_pdf", None, (app("sci"),), staff_read(READ_SCI_INFO)),
    ("get_dossier_pdf", None, (app("llsh"),), staff_read(READ_LLSH)),
    ("get_letter", confirmed, (app("sci"), "admission"), staff_read(READ_SCI_INFO)),
    ("get_letter", confirmed, (app("llsh"), "admission"), staff_read(READ_LLSH)),
    ("preview_letter", decision_entered, (app("sci"),),
     table(READ_SCI_INFO - OWN, owner=FORBIDDEN, candidate=FORBIDDEN)),
    ("preview_letter", decision_entered, (app("llsh"),), table(READ_LLSH - OWN)),
    ("get_letter_template", None, ("MINFO1", "refusal"),
     table({"admin", "scol", "manager_sci", "readonly"})),
    ("get_letter_template", None, ("MLEA1", "refusal"),
     table({"admin", "scol", "manager_llsh"})),
    ("save_letter_template", None, ("MINFO1", "refusal", "Texte"), table(REVIEW_SCI)),
    ("save_letter_template", None, ("MLEA1", "refusal", "Texte"), table(REVIEW_LLSH)),
    ("start_dossier_archive", None, (lambda ctx: [ctx["sci"]],), table(READ_SCI_INFO - OWN)),
    ("start_dossier_archive", None, (lambda ctx: [ctx["llsh"]],), table(READ_LLSH - OWN)),
    # -- staff: review --------------------------------------------------------------------
    ("set_piece_status", None, (app("sci"), "CV", "VA"), table(REVIEW_SCI)),
    ("set_piece_status", None, (app("llsh"), "CV", "RE", "Illisible"), table(REVIEW_LLSH)),
    ("set_file_status", None, (app("sci"), "CO"), table(REVIEW_SCI)),
    ("set_file_status", None, (app("llsh"), "IN"), table(REVIEW_LLSH)),
    # -- staff: decisions -----------------------------------------------------------------
    ("enter_decision", complete, (app("sci"), "LA", {}), table(DECIDE_SCI_INFO)),
    ("enter_decision", complete, (app("llsh"), "LA", {}), table(REVIEW_LLSH)),
    ("validate_decision", decision_entered, (app("sci"),), table(VALIDATE_SCI_INFO)),
    ("validate_decision", decision_entered, (app("llsh"),), table(REVIEW_LLSH)),
    # -- staff: treatment type, overrides, paper files --------------------------------------
    ("validate_treatment", None, (app("sci"),), table(REVIEW_SCI)),
    ("validate_treatment", None, (app("llsh"),), table(REVIEW_LLSH)),
    ("set_overrides", None, (app("sci"), "2027-12-01", "2027-12-15"), table(REVIEW_SCI)),
    ("set_overrides", None, (app("llsh"), "2027-12-01"), table(REVIEW_LLSH)),
    ("receive_paper_file", on_paper, (app("draft"),), table(REVIEW_SCI)),
    # -- staff: notes, tags, bulk actions (a bulk action refuses out-of-scope
    # applications one by one: tests/services/applications/unit/test_bulk.py) ----------
    ("add_note", None, (app("sci"), "Relevé demandé"), table(REVIEW_SCI)),
    ("add_note", None, (app("llsh"), "Relevé demandé"), table(REVIEW_LLSH)),
    ("set_tags", None, (app("sci"), ["PRIO"]), table(REVIEW_SCI)),
    ("set_tags", None, (app("llsh"), ["PRIO"]), table(REVIEW_LLSH)),
    ("bulk_apply", None, ("file_status", {"status": "CO"},
                          lambda ctx: [ctx["sci"], ctx["llsh"]]),
     table(REVIEW_SCI | REVIEW_LLSH)),
    # -- candidate RPCs: the owner only -----------------------------------------------------
    ("create_application", None, ("DULEA",), table(CANDIDATES)),
    ("can_apply", None, ("MMATH1",), table(CANDIDATES)),
    ("apply_status", None, ([{"code": "DULEA", "centre": "LLSH", "date_open": "2027-02-08",
                              "date_close": "2027-05-09"}],), table(CANDIDATES)),
    ("list_my_applications", None, (), table(CANDIDATES)),
    ("export_my_data", None, (), table(CANDIDATES)),
    ("start_piece_upload", None, (app("draft"), "LM", "lm.pdf", 1000), candidate_only()),
    ("finish_piece_upload", upload_started, (app("draft"), "LM", lambda ctx: ctx["document"]),
     candidate_only()),
    ("delete_piece_file", None, (app("draft"), "CV"), candidate_only()),
    ("arrange_piece_files", None, (app("draft"), "CV", []), candidate_only()),
    ("set_not_concerned", None, (app("draft"), "CERTLANG", True), candidate_only()),
    ("transmit", ready_to_transmit, (app("draft"),), candidate_only()),
    ("cancel", None, (app("draft"),), candidate_only()),
    ("confirm", admitted, (app("sci"),), candidate_only()),
    ("withdraw", admitted, (app("llsh"),), candidate_only()),
]
READS = {"list_applications", "application_stats", "get_application", "get_piece_download", "get_piece_template",
         "list_piece_files",
         "get_admission_letter", "can_apply", "apply_status", "list_my_applications",
         "export_my_data",
         # what these change is the documents service's, not this database
         "get_dossier_pdf", "get_letter", "preview_letter", "get_letter_template",
         "save_letter_template", "start_dossier_archive"}


# The world is built once, then copied back into the emptied database (and the
# documents double's files) before each test: a few hundred journeys are slow.
_BUILT = {}


@pytest.fixture
def world(harness, doubles):
    """The four applications above, the template of MINFO1's and MLEA1's LM,
    and DULEA (LLSH) nobody applied to yet."""
    h = harness
    h.catalog_data.formations["DULEA"] = doubles.make_formation(
        "DULEA", "DU Langues et cultures d'entreprise", doubles.LLSH, "LLSH-LEA", h.today)
    for code in ("MINFO1", "MLEA1"):
        for piece in h.catalog_data.formations[code]["pieces"]:
            if piece["code"] == "LM":
                piece.update(template_document_id=f"tpl-{code}", template_filename="lm.pdf")
        h.documents_data.stored[f"tpl-{code}"] = {"filename": "lm.pdf", "size": 100}
    if "saved" in _BUILT:
        restore(h.engine, _BUILT["saved"])
        files = copy.deepcopy(_BUILT["files"])
        files["ids"] = itertools.count(_BUILT["next_id"])
        h.documents_data.__dict__.update(files)
        return dict(_BUILT["ctx"])
    owner, bob = ACTORS["owner"], ACTORS["candidate"]
    ctx = {"sci": h.transmitted(owner, "MINFO1")["id"],
           "llsh": h.transmitted(owner, "MLEA1")["id"],
           "draft": h.apply(owner, "MMATH1")["id"],
           "bob": h.apply(bob, "MINFO1")["id"]}
    h.upload(owner, ctx["draft"], "CV")
    _BUILT["next_id"] = next(h.documents_data.ids)
    h.documents_data.ids = itertools.count(_BUILT["next_id"])
    _BUILT["files"] = copy.deepcopy({k: v for k, v in h.documents_data.__dict__.items()
                                     if k != "ids"})
    _BUILT["saved"], _BUILT["ctx"] = dump(h.engine), dict(ctx)
    return ctx


def target_of(args, ctx):
    """The name of the application a row acts on, if any."""
    for name in ("sci", "llsh", "draft"):
        try:
            if args and callable(args[0]) and args[0](ctx) == ctx[name]:
                return name
        except KeyError:
            continue
    return None


def row_id(index):
    method, _, args, _ = MATRIX[index]
    target = target_of(args, {"sci": -1, "llsh": -2, "draft": -3})
    return f"{index:02d}-{method}" + (f"-{target}" if target else "")


CASES = [(who, index) for index in range(len(MATRIX)) for who in ROLES]


@pytest.mark.parametrize("who, index", CASES, ids=[f"{row_id(i)}-{who}" for who, i in CASES])
def test_each_role_gets_exactly_what_its_scope_allows(harness, world, who, index):
    h, ctx = harness, world
    method, prepare, args, outcomes = MATRIX[index]
    expected = outcomes[who]
    if prepare is not None:
        prepare(h, ctx, target_of(args, ctx))
    args = [a(ctx) if callable(a) else a for a in args]
    before = h.state()
    if expected.error is None:
        try:
            answer = h.call(method, ACTORS[who], *args)
        except (Forbidden, NotFound, Conflict) as error:
            pytest.fail(f"{method} by {who} refused ({error!r}); the role allows it")
        if method in READS:
            assert h.state() == before, f"{method} read by {who} changed the database"
        else:
            assert h.state() != before, f"{method} allowed to {who} but changed nothing"
        if expected.seen is not None:
            ids = sorted(a["id"] for a in answer["items"])
            assert ids == sorted(ctx[name] for name in expected.seen), \
                f"{who} lists {ids}; the role allows exactly {list(expected.seen)} " \
                f"({ {n: ctx[n] for n in EVERY} })"
        return
    try:
        h.call(method, ACTORS[who], *args)
    except expected.error as error:
        if expected.error is Forbidden:
            assert error.code in ("forbidden", "out_of_scope", "read_only"), error
    except (Forbidden, NotFound, Conflict) as error:
        pytest.fail(f"{method} by {who}: expected {expected.error.__name__}, got {error!r}")
    else:
        pytest.fail(f"SCOPE LEAK: {method} by {who} was allowed; the role refuses it "
                    f"({expected.error.__name__})")
    assert h.state() == before, f"SCOPE LEAK: {method} refused to {who} but the database changed"


def test_the_matrix_covers_every_applications_rpc_a_staff_scope_decides():
    """Every RPC takes the actor; all but the public and internal ones
    (tests/support/rpc_surface.py) need a row here."""
    covered = {row[0] for row in MATRIX}
    assert rpc_names(ApplicationsService) - unscoped("applications") - covered == set(), \
        "RPCs of applications/service.py missing from MATRIX"


def test_every_row_names_an_outcome_for_every_actor():
    for method, _, _, outcomes in MATRIX:
        assert set(outcomes) == set(ROLES), method
