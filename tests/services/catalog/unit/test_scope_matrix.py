"""Roles x catalog RPCs: every RPC of the catalog that
acts for someone, read or write, called by every kind of actor, against the
real test database. One table says what each actor gets: allowed, Forbidden,
NotFound (or a ValidationFailed naming the out-of-scope line, for imports).

- admin: everything; scol: every centre (not campaigns);
- manager: their centres' formations, commissions and pieces (not campaigns,
  centres, institution pieces or reference lists);
- committee (president or not) and readonly: never write; they read the
  catalogue within the centres they are given (none for the plain member);
- a candidate: none of these RPCs.

A refused write leaves every table of the catalog unchanged; an allowed one
changes something (so the row is not a no-op). Edits that are refused target
an EXISTING object of another centre (code=..., piece_id=...), so the check
on the object being edited is exercised, not only the one on where it goes."""
from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory

from services.catalog.models import Base
from services.catalog.service import CatalogService
from services.common.clock import FixedClock
from services.common.errors import Forbidden, NotFound, ValidationFailed
from tests.support.actors import candidate
from tests.support.rpc_surface import rpc_names, unscoped
from tests.support.scope_matrix import staff_actor as staff
from tests.support.snapshots import everything

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)


ACTORS = {
    "admin": staff(1, "admin", "admin"),
    "scol": staff(2, "scol", "scol"),
    "manager_sci": staff(3, "gestion.sci", "manager", ["SCI"]),
    "manager_llsh": staff(4, "gestion.llsh", "manager", ["LLSH"]),
    # a committee member as the admin page creates one: commissions, no centre
    "committee": staff(5, "jury.info", "committee", commissions=["SCI-INFO"]),
    # a president who was also given the centre of their commission
    "president": staff(6, "pres.info", "committee", ["SCI"], commissions=["SCI-INFO"],
                       presides=["SCI-INFO"]),
    "readonly": staff(7, "audit.sci", "readonly", ["SCI"]),
    "candidate": candidate(12),
}
ROLES = list(ACTORS)
STAFF = set(ROLES) - {"candidate"}
EVERY_CENTRE = {"admin", "scol"}
MANAGERS = {"manager_sci", "manager_llsh"}

DATES = {"date_open": "2027-03-01", "date_close": "2027-04-30", "date_return": "2027-05-10",
         "date_jury": "2027-06-01", "date_publish": "2027-06-15", "date_confirm": "2027-06-30"}
NEW_SCI_FORMATION = {"code": "LPHYS3", "label": "Licence Physique 3e année",
                     "level": "L- LICENCE", "treatment_type": "AC", "commission": "SCI-INFO",
                     **DATES}
MLEA1 = {"code": "MLEA1", "label": "Master LEA (modifié)", "level": "M- MASTER",
         "treatment_type": "AC", "commission": "LLSH-LEA", **DATES}
MLEA1_INTO_SCI = {**MLEA1, "label": "Master LEA déplacé", "commission": "SCI-INFO"}
NEW_CAMPAIGN = {"code": "2029", "label": "Campagne 2029", "start": "2028-10-01",
                "end": "2029-09-30", "login_until": "2029-10-31"}
CAMPAIGN_2028 = {"code": "2028", "label": "Campagne 2028 (modifiée)", "start": "2027-10-01",
                 "end": "2028-09-30", "login_until": "2028-10-31"}
LLSH_COMMISSION = {"label": "Commission LEA (modifiée)", "centre": "LLSH"}


class Outcome:
    """What an actor gets: allowed (reads: exactly these codes), or an error."""

    def __init__(self, error=None, codes=None, fields=None):
        self.error, self.codes, self.fields = error, codes, fields

    def __repr__(self):
        return (self.error.__name__ if self.error else "allowed") + \
            (f" {sorted(self.codes)}" if self.codes is not None else "")


OK = Outcome()
FORBIDDEN = Outcome(Forbidden)
NOT_FOUND = Outcome(NotFound)


def sees(codes):
    return Outcome(codes=set(codes))


def table(allowed, refused=FORBIDDEN, **special):
    """{role: Outcome}: `allowed` roles OK, the others `refused`, unless named."""
    return {role: special.get(role, OK if role in allowed else refused) for role in ROLES}


def reads(visible, candidate=FORBIDDEN):
    """A read in scope: {role: the codes it returns}; a candidate is refused."""
    return {role: (candidate if role == "candidate" else sees(visible[role])) for role in ROLES}


ALL_FORMATIONS = {"MINFO1", "MLEA1"}
SCI_FORMATIONS = {"MINFO1"}
ALL_COMMISSIONS = {"SCI-INFO", "SCI-MATH", "LLSH-LEA"}
SCI_COMMISSIONS = {"SCI-INFO", "SCI-MATH"}
ALL_PIECES = {"CNI", "DOC-SCI", "DOC-LLSH", "LM-INFO", "LM-LEA"}
SCI_PIECES = {"CNI", "DOC-SCI", "LM-INFO"}


def by_centre(every, sci, llsh, nothing=frozenset()):
    return {"admin": every, "scol": every, "manager_sci": sci, "manager_llsh": llsh,
            "committee": nothing, "president": sci, "readonly": sci}


def import_refused(column="commission", code="not_in_your_centres"):
    """An import whose line 2 is another centre's (or not for this role)."""
    return Outcome(ValidationFailed, fields={f"2.{column}": code})


# (rpc, arguments after the actor (callables get the catalogue fixture), keywords, outcomes)
MATRIX = [
    # -- reads ----------------------------------------------------------------------
    ("list_campaigns", (), {}, reads({r: {"2027", "2028"} for r in STAFF})),
    ("get_campaign", ("2028",), {}, table(STAFF)),
    ("get_campaign", ("NOPE",), {}, table((), **{role: NOT_FOUND for role in STAFF})),
    ("get_piece", (lambda c: c.cni.id,), {}, table(STAFF)),  # an institution piece
    ("get_piece", (lambda c: c.doc_llsh.id,), {}, table(EVERY_CENTRE | {"manager_llsh"})),
    ("get_piece", (lambda c: c.lm_info.id,), {},
     table(EVERY_CENTRE | {"manager_sci", "president", "readonly"})),
    ("get_piece", (999999,), {}, table((), **{role: NOT_FOUND for role in STAFF})),
    ("get_commission", ("SCI-INFO",), {},
     table(EVERY_CENTRE | {"manager_sci", "president", "readonly"})),
    ("get_commission", ("LLSH-LEA",), {}, table(EVERY_CENTRE | {"manager_llsh"})),
    ("get_commission", ("NOPE",), {}, table((), **{role: NOT_FOUND for role in STAFF})),
    ("get_centre", ("SCI",), {}, table(EVERY_CENTRE | {"manager_sci", "president", "readonly"})),
    ("get_centre", ("LLSH",), {}, table(EVERY_CENTRE | {"manager_llsh"})),
    ("get_centre", ("NOPE",), {}, table((), admin=NOT_FOUND, scol=NOT_FOUND)),
    # a candidate gets the public summary of every centre, as a visitor does
    ("list_centres", (), {}, reads(by_centre({"SCI", "LLSH"}, {"SCI"}, {"LLSH"}),
                                   candidate=sees({"SCI", "LLSH"}))),
    ("list_commissions", (), {}, reads(by_centre(ALL_COMMISSIONS, SCI_COMMISSIONS,
                                                 {"LLSH-LEA"}))),
    ("list_formations", (), {}, reads(by_centre(ALL_FORMATIONS, SCI_FORMATIONS, {"MLEA1"}))),
    ("list_formations", (), {"centre": "LLSH"},
     reads(by_centre({"MLEA1"}, set(), {"MLEA1"}))),
    ("export_catalogue", ("formations",), {},
     reads(by_centre(ALL_FORMATIONS, SCI_FORMATIONS, {"MLEA1"}))),
    ("list_pieces", (), {}, reads(by_centre(ALL_PIECES, SCI_PIECES,
                                            {"CNI", "DOC-LLSH", "LM-LEA"}, {"CNI"}))),
    ("export_catalogue", ("centres",), {}, reads(by_centre({"SCI", "LLSH"}, {"SCI"}, {"LLSH"}))),
    ("export_catalogue", ("commissions",), {},
     reads(by_centre(ALL_COMMISSIONS, SCI_COMMISSIONS, {"LLSH-LEA"}))),
    ("export_catalogue", ("pieces",), {},
     reads(by_centre(ALL_PIECES, SCI_PIECES, {"CNI", "DOC-LLSH", "LM-LEA"}, {"CNI"}))),
    # -- campaigns: administrators only ----------------------------------------------
    ("save_campaign", (NEW_CAMPAIGN,), {}, table({"admin"})),
    ("save_campaign", (CAMPAIGN_2028,), {"code": "2028"}, table({"admin"})),
    ("activate_campaign", ("2028",), {}, table({"admin"})),
    ("archive_campaign", ("2028",), {}, table({"admin"})),
    # -- centres: admin and scol ---------------------------------------------------------
    ("save_centre", ({"code": "DROIT", "label": "Faculté de droit"},), {},
     table(EVERY_CENTRE)),
    ("save_centre", ({"code": "LLSH", "label": "UFR LLSH (modifiée)"},), {"code": "LLSH"},
     table(EVERY_CENTRE | {"manager_llsh"})),
    ("save_centre", ({"code": "SCI", "label": "UFR Sciences (modifiée)"},), {"code": "SCI"},
     table(EVERY_CENTRE | {"manager_sci"})),  # a manager changes their own centre only
    # -- formations ------------------------------------------------------------------------
    ("save_formation", (NEW_SCI_FORMATION,), {}, table(EVERY_CENTRE | {"manager_sci"})),
    ("save_formation", (MLEA1,), {"code": "MLEA1"}, table(EVERY_CENTRE | {"manager_llsh"})),
    # the existing LLSH formation pulled into a SCI commission: the SCI manager may
    # not take it, the LLSH manager may not put it where they do not manage
    ("save_formation", (MLEA1_INTO_SCI,), {"code": "MLEA1"}, table(EVERY_CENTRE)),
    # who may not write formations is refused before learning whether the code exists
    ("save_formation", (MLEA1,), {"code": "NOPE"},
     table((), admin=NOT_FOUND, scol=NOT_FOUND, manager_sci=NOT_FOUND,
           manager_llsh=NOT_FOUND)),
    ("bulk_update_formations", (["MLEA1"], {"enabled": "0"}), {},
     table(EVERY_CENTRE | {"manager_llsh"})),
    ("bulk_update_formations", (["MINFO1", "MLEA1"], {"enabled": "0"}), {},
     table(EVERY_CENTRE)),
    ("delete_formation", ("MLEA1",), {}, table(EVERY_CENTRE | {"manager_llsh"})),
    ("import_catalogue", ("formations", [MLEA1]), {},
     table(EVERY_CENTRE | {"manager_llsh"}, refused=FORBIDDEN, manager_sci=import_refused())),
    ("import_catalogue", ("formations", [MLEA1_INTO_SCI]), {},
     table(EVERY_CENTRE, refused=FORBIDDEN, manager_sci=import_refused(),
           manager_llsh=import_refused())),
    ("import_catalogue", ("centres", [{"code": "LLSH", "label": "UFR LLSH (importée)"}]), {},
     table(EVERY_CENTRE | {"manager_llsh"}, manager_sci=import_refused("code"))),
    ("import_catalogue", ("centres", [{"code": "DROIT", "label": "Faculté de droit"}]), {},
     table(EVERY_CENTRE, manager_sci=import_refused("code", "forbidden"),
           manager_llsh=import_refused("code", "forbidden"))),
    ("import_catalogue", ("commissions", [{"code": "LLSH-LEA", "label": "LEA (importée)",
                                           "centre": "LLSH"}]), {},
     table(EVERY_CENTRE | {"manager_llsh"}, manager_sci=import_refused("centre"))),
    ("import_catalogue", ("commissions", [{"code": "SCI-MATH", "label": "Maths (déplacée)",
                                           "centre": "LLSH"}]), {},
     table(EVERY_CENTRE, manager_sci=import_refused("centre"),
           manager_llsh=import_refused("centre"))),
    ("import_catalogue", ("commissions", [{"code": "LLSH-LEA", "label": "LEA (déplacée)",
                                           "centre": "SCI"}]), {},  # it has formations
     table((), **{role: import_refused("centre", "commission_has_formations")
                  for role in ("admin", "scol", "manager_sci", "manager_llsh")})),
    ("import_catalogue", ("pieces", [{"code": "DOC-LLSH", "label": "Dossier (importé)",
                                      "scope": "centre", "owner": "LLSH"}]), {},
     table(EVERY_CENTRE | {"manager_llsh"}, manager_sci=import_refused("owner"))),
    ("import_catalogue", ("pieces", [{"code": "CNI", "label": "CNI (importée)",
                                      "scope": "institution"}]), {},
     table(EVERY_CENTRE, manager_sci=import_refused("scope", "forbidden"),
           manager_llsh=import_refused("scope", "forbidden"))),
    # -- commissions ----------------------------------------------------------------------
    ("save_commission", ({"code": "SCI-PHYS", "label": "Commission Physique",
                          "centre": "SCI"},), {}, table(EVERY_CENTRE | {"manager_sci"})),
    ("save_commission", (LLSH_COMMISSION,), {"code": "LLSH-LEA"},
     table(EVERY_CENTRE | {"manager_llsh"})),
    ("save_commission", ({"label": "Maths", "centre": "LLSH"},), {"code": "SCI-MATH"},
     table(EVERY_CENTRE)),  # a SCI commission (no formation yet) moved into LLSH
    ("save_commission", ({**LLSH_COMMISSION, "centre": "SCI"},), {"code": "LLSH-LEA"},
     table((), **{role: Outcome(ValidationFailed, fields={"centre": "commission_has_formations"})
                  for role in ("admin", "scol")})),  # its formations keep it in LLSH
    ("save_commission", ({"label": "Commission Info (modifiée)", "centre": "SCI"},),
     {"code": "SCI-INFO"}, table(EVERY_CENTRE | {"manager_sci"})),  # not by its president
    # -- reference lists: admin and scol -------------------------------------------------------
    ("save_reference_item", ("motive", {"code": "CAPA", "label": "Capacité atteinte"}), {},
     table(EVERY_CENTRE)),
    # -- the catalogue's files: whoever changes pieces or commissions ---------------------------
    ("start_upload", ("template", "modele.pdf", 100), {}, table(EVERY_CENTRE | MANAGERS)),
    # -- piece definitions ---------------------------------------------------------------------
    ("save_piece", ({"code": "PHOTO", "label": "Photo", "scope": "institution"},), {},
     table(EVERY_CENTRE)),
    ("save_piece", ({"code": "PORTF", "label": "Portfolio", "scope": "centre",
                     "owner": "LLSH"},), {}, table(EVERY_CENTRE | {"manager_llsh"})),
    ("save_piece", ({"code": "DOC-LLSH", "label": "Dossier LLSH (modifié)", "scope": "centre",
                     "owner": "LLSH"},), {"piece_id": lambda c: c.doc_llsh.id},
     table(EVERY_CENTRE | {"manager_llsh"})),
    # existing pieces of another level pulled into the SCI manager's centre
    ("save_piece", ({"code": "DOC-LLSH", "label": "Pris par SCI", "scope": "centre",
                     "owner": "SCI"},), {"piece_id": lambda c: c.doc_llsh.id},
     table(EVERY_CENTRE)),
    ("save_piece", ({"code": "CNI", "label": "CNI pour SCI seulement", "scope": "centre",
                     "owner": "SCI"},), {"piece_id": lambda c: c.cni.id}, table(EVERY_CENTRE)),
    ("save_piece", ({"code": "LM-LEA", "label": "Lettre LEA (modifiée)", "scope": "formation",
                     "owner": "MLEA1"},), {"piece_id": lambda c: c.lm_lea.id},
     table(EVERY_CENTRE | {"manager_llsh"})),
    ("assign_piece", ({"code": "CV", "label": "Curriculum vitae"}, ["MLEA1"]), {},
     table(EVERY_CENTRE | {"manager_llsh"})),
    ("assign_piece", ({"code": "CV", "label": "Curriculum vitae"}, ["MINFO1", "MLEA1"]), {},
     table(EVERY_CENTRE)),
    ("delete_piece", (lambda c: c.cni.id,), {}, table(EVERY_CENTRE)),
    ("delete_piece", (lambda c: c.doc_llsh.id,), {}, table(EVERY_CENTRE | {"manager_llsh"})),
    ("delete_piece", (lambda c: c.lm_info.id,), {}, table(EVERY_CENTRE | {"manager_sci"})),
]

# (start_upload writes nothing in the catalogue: documents keeps the pending file)
READS = {"start_upload", "list_campaigns", "get_campaign", "get_piece", "get_commission",
         "get_centre", "list_centres", "list_commissions", "list_formations", "export_catalogue",
         "list_pieces"}


def seen_codes(method, answer):
    if method == "export_catalogue":
        return {row["code"] for row in answer["rows"]}
    if method in ("get_centre", "get_campaign", "get_piece", "get_commission"):
        return None
    return {item["code"] for item in answer}


# -- fixtures --------------------------------------------------------------------------



@pytest.fixture
def catalogue(rows):
    class C:
        pass
    c = C()
    c.campaign = rows.campaign()
    c.next_campaign = rows.campaign("2028", "Campagne 2028", active=False)
    c.sci, c.llsh = rows.centre("SCI"), rows.centre("LLSH", "UFR LLSH")
    c.info = rows.commission("SCI-INFO", c.sci)
    c.math = rows.commission("SCI-MATH", c.sci)
    c.lea = rows.commission("LLSH-LEA", c.llsh)
    c.minfo = rows.formation("MINFO1", "Master Informatique", c.info, c.campaign)
    c.mlea = rows.formation("MLEA1", "Master LEA", c.lea, c.campaign)
    c.cni = rows.piece("CNI", 1, shared=True)
    c.doc_sci = rows.piece("DOC-SCI", 2, c.sci)
    c.doc_llsh = rows.piece("DOC-LLSH", 2, c.llsh)
    c.lm_info = rows.piece("LM-INFO", 3, c.minfo)
    c.lm_lea = rows.piece("LM-LEA", 3, c.mlea)
    return c


@pytest.fixture
def call(catalog_db, unit_of_work):
    def run(method, *args, **kwargs):
        unit = unit_of_work(catalog_db, Base.metadata)
        worker = worker_factory(CatalogService, db=unit, clock=FixedClock(NOW))
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()
    return run


def row_id(index, row):
    method, args, kwargs = row[0], row[1], row[2]
    target = kwargs.get("code") or (args[0].get("code") if args and isinstance(args[0], dict)
                                     else args[0] if args and isinstance(args[0], str) else "")
    return f"{index:02d}-{method}-{target}" if target else f"{index:02d}-{method}"


CASES = [(who, index) for index in range(len(MATRIX)) for who in ROLES]


@pytest.mark.parametrize("who, index", CASES,
                         ids=[f"{row_id(i, MATRIX[i])}-{who}" for who, i in CASES])
def test_each_role_gets_exactly_what_its_scope_allows(call, catalogue, catalog_db, who, index):
    method, args, kwargs, outcomes = MATRIX[index]
    expected = outcomes[who]
    args = [a(catalogue) if callable(a) else a for a in args]
    kwargs = {k: (v(catalogue) if callable(v) else v) for k, v in kwargs.items()}
    before = everything(catalog_db)
    if expected.error is None:
        answer = call(method, ACTORS[who], *args, **kwargs)
        after = everything(catalog_db)
        if method in READS:
            assert after == before, f"{method} read by {who} changed the catalogue"
            if expected.codes is not None:
                assert seen_codes(method, answer) == expected.codes, \
                    f"{who} calling {method} sees {sorted(seen_codes(method, answer))}, " \
                    f"the role allows exactly {sorted(expected.codes)}"
        else:
            assert after != before, f"{method} allowed to {who} but changed nothing"
        return
    with pytest.raises(expected.error) as info:
        call(method, ACTORS[who], *args, **kwargs)
    if expected.fields is not None:
        assert info.value.fields == expected.fields, info.value
    if expected.error is Forbidden:
        assert info.value.code in ("forbidden", "out_of_scope", "read_only"), info.value
    assert everything(catalog_db) == before, \
        f"SCOPE LEAK: {method} refused to {who} but the catalogue changed"


def test_the_matrix_covers_every_catalog_rpc_a_staff_scope_decides():
    """Every RPC takes the actor; all but the public and internal ones
    (tests/support/rpc_surface.py) need a row here."""
    covered = {row[0] for row in MATRIX}
    assert rpc_names(CatalogService) - unscoped("catalog") - covered == set(), \
        "RPCs of catalog/service.py missing from MATRIX"


def test_every_row_names_an_outcome_for_every_actor():
    for method, _, _, outcomes in MATRIX:
        assert set(outcomes) == set(ROLES), method
