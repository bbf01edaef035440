"""The demo catalogue (services/README.md, "Demo data") as the candidate sees it
through the RPCs, and the seed's idempotence."""
from datetime import date, datetime, time, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.catalog.models import Base, Campaign, Formation
from services.catalog.seed import seed
from services.catalog.service import CatalogService
from services.common.actors import ANONYMOUS
from services.common.clock import FixedClock

SEED_DAY = date(2027, 1, 15)
FORMATIONS = {"MINFO1": "M- MASTER", "LINFO3": "L- LICENCE", "MMATH1": "M- MASTER",
              "MLEA1": "M- MASTER", "DULEA": "U- DIPLÔME D'UNIVERSITÉ BAC+3"}


def run_seed(engine, today=SEED_DAY):
    with Session(engine) as session:
        created = seed(session, today)
        session.commit()
    return created


@pytest.fixture
def call(catalog_db, unit_of_work):
    def run(method, *args):
        unit = unit_of_work(catalog_db, Base.metadata)
        try:
            clock = FixedClock(datetime.combine(SEED_DAY, time(11), tzinfo=timezone.utc))
            return getattr(worker_factory(CatalogService, db=unit, clock=clock), method)(*args)
        finally:
            unit.close()
    return run


def test_demo_catalogue(catalog_db, call):
    run_seed(catalog_db)
    assert call("get_active_campaign", ANONYMOUS)["code"] == "2027"
    assert call("get_active_campaign", ANONYMOUS)["label"] == "Campagne de candidatures 2027"
    assert [c["code"] for c in call("list_centres", ANONYMOUS)] == ["LLSH", "SCI"]
    tree = call("get_offer", ANONYMOUS)
    offered = {f["code"]: f for c in tree for lv in c["levels"] for f in lv["formations"]}
    assert {code: f["level"] for code, f in offered.items()} == FORMATIONS
    assert {f["treatment_type"] for f in offered.values()} == {"AC"}
    assert {(f["date_open"], f["date_close"]) for f in offered.values()} == {
        ("2026-12-16", "2027-03-16")}  # 30 days before the seed, 60 days after


def test_demo_formations_contacts_and_dates(catalog_db, call):
    run_seed(catalog_db)
    minfo = call("get_formation", ANONYMOUS, "MINFO1")
    assert minfo["label"] == "Master Informatique 1re année"
    assert minfo["dates"] == {"date_open": "2026-12-16", "date_close": "2027-03-16",
                              "date_return": "2027-03-31", "date_jury": "2027-04-15",
                              "date_publish": "2027-04-25", "date_confirm": "2027-05-15",
                              "confirm_days": None}
    assert minfo["centre"]["code"] == "SCI"
    assert minfo["centre"]["email"] == "scolarite-sciences@univ-demo.fr"
    assert minfo["centre"]["max_file_size"] == 2 * 1024 * 1024
    assert minfo["commission"]["code"] == "SCI-INFO"
    for code, commission, centre_email in [
            ("MMATH1", "SCI-MATH", "scolarite-sciences@univ-demo.fr"),
            ("MLEA1", "LLSH-LEA", "scolarite-llsh@univ-demo.fr"),
            ("DULEA", "LLSH-LEA", "scolarite-llsh@univ-demo.fr")]:
        formation = call("get_formation", ANONYMOUS, code)
        assert formation["commission"]["code"] == commission
        assert formation["centre"]["email"] == centre_email
        # Letters need the commission's full contact and signatory.
        assert all(formation["commission"][k] for k in ("address", "email", "phone",
                                                        "signatory"))


def test_demo_pieces(catalog_db, call):
    run_seed(catalog_db)
    pieces = {code: call("get_formation", ANONYMOUS, code)["pieces"] for code in FORMATIONS}
    assert all(3 <= len(p) <= 5 for p in pieces.values())
    assert [p["code"] for p in pieces["MINFO1"]] == ["CNI", "CV", "LM", "RELEVES", "CERTLANG"]
    assert [p["code"] for p in pieces["MMATH1"]] == ["CNI", "CV", "LM", "RELEVES"]
    with_language = {code for code, p in pieces.items() if "CERTLANG" in [x["code"] for x in p]}
    assert with_language == {"MINFO1", "MLEA1", "DULEA"}
    for formation_pieces in pieces.values():
        flags = {p["code"]: (p["conditional"], p["shared"]) for p in formation_pieces}
        assert flags["CNI"] == (False, True)              # one ID card for every application
        assert [c for c, (conditional, _) in flags.items() if conditional] == (
            ["CERTLANG"] if "CERTLANG" in flags else [])


def test_filter_on_the_demo_offer(catalog_db, call):
    run_seed(catalog_db)

    def codes(text):
        return sorted(f["code"] for c in call("get_offer", ANONYMOUS, text) for lv in c["levels"]
                      for f in lv["formations"])
    assert codes("informatique") == ["LINFO3", "MINFO1"]
    assert codes("Mathematiques") == ["MMATH1"]
    assert codes("lettres etrangeres") == ["MLEA1"]
    assert codes("langues") == ["DULEA", "MLEA1"]


def test_seeding_twice_changes_nothing(catalog_db, snapshot):
    created = run_seed(catalog_db)
    assert len(created) == 26  # 23 rows of the offer, 3 refusal motives
    before = snapshot()
    assert run_seed(catalog_db, today=date(2027, 2, 20)) == []  # another day: dates kept
    assert snapshot() == before


def test_an_existing_formation_keeps_its_data(catalog_db, snapshot):
    run_seed(catalog_db)
    with Session(catalog_db) as session:
        session.execute(update(Formation).where(Formation.code == "MINFO1")
                        .values(label="Master Informatique (modifié)", enabled=False))
        session.commit()
    before = snapshot()
    assert run_seed(catalog_db) == []
    assert snapshot() == before
    with Session(catalog_db) as session:
        minfo = session.scalars(select(Formation).where(Formation.code == "MINFO1")).one()
        assert (minfo.label, minfo.enabled) == ("Master Informatique (modifié)", False)


def test_seed_completes_a_partial_catalogue_without_duplicates(catalog_db, rows, call):
    campaign = rows.campaign()
    sci = rows.centre("SCI", "Sciences (saisi à la main)", email="sciences@univ-demo.fr")
    info = rows.commission("SCI-INFO", sci)
    rows.formation("MINFO1", "Master Info (saisi à la main)", info, campaign)
    created = run_seed(catalog_db)
    assert "formations: MINFO1" not in created and "centres: SCI" not in created
    assert "formations: LINFO3" in created and "piece_definitions: LM (MINFO1)" in created
    minfo = call("get_formation", ANONYMOUS, "MINFO1")
    assert minfo["label"] == "Master Info (saisi à la main)"
    assert minfo["centre"]["email"] == "sciences@univ-demo.fr"
    assert [p["code"] for p in minfo["pieces"]] == ["CNI", "CV", "LM", "RELEVES", "CERTLANG"]
    assert len(call("list_centres", ANONYMOUS)) == 2


def test_seed_leaves_another_active_campaign_active(catalog_db, rows):
    rows.campaign(code="2026", label="Campagne 2026", active=True)
    run_seed(catalog_db)
    with Session(catalog_db) as session:
        active = session.scalars(select(Campaign.code).where(Campaign.active.is_(True))).all()
    assert active == ["2026"]
