"""The catalog's RPCs under worker_factory, on the real (migrated, emptied)
database filled by each test."""
import json
from datetime import date, datetime, time, timezone

import pytest
from nameko.testing.services import worker_factory

from services.catalog.models import Base
from services.catalog.service import CatalogService
from services.common.actors import ANONYMOUS
from services.common.clock import FixedClock
from services.common.errors import NotFound
from tests.services.catalog.world import TODAY

NOON = datetime.combine(TODAY, time(11), tzinfo=timezone.utc)


@pytest.fixture
def call(catalog_db, unit_of_work):
    """call("get_offer", ANONYMOUS, ...) on a fresh worker with its own unit of work."""
    def run(method, *args, **kwargs):
        unit = unit_of_work(catalog_db, Base.metadata)
        worker = worker_factory(CatalogService, db=unit, clock=FixedClock(NOON))
        try:
            result = getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()
        assert json.loads(json.dumps(result)) == result  # JSON-safe, as it crosses the wire
        return result
    return run


@pytest.fixture
def catalogue(rows):
    """Two centres, three formations of the active campaign, one disabled, one
    of an older campaign."""
    class C:
        pass
    c = C()
    c.campaign = rows.campaign()
    c.old = rows.campaign(code="2026", label="Campagne 2026", active=False)
    c.sci = rows.centre("SCI", "UFR Sciences et Techniques", max_applications=5)
    c.llsh = rows.centre("LLSH", "UFR Lettres, Langues et Sciences Humaines",
                         max_file_size=3 * 1024 * 1024, online=False)
    c.info = rows.commission("SCI-INFO", c.sci, label="Commission Informatique",
                             email="commission-info@univ-demo.fr", phone="02 40 00 11 01",
                             address="Bâtiment 11", signatory="Claire Martin")
    c.lea = rows.commission("LLSH-LEA", c.llsh)
    c.minfo = rows.formation("MINFO1", "Master Informatique 1re année", c.info, c.campaign,
                             keywords="développement réseaux")
    c.linfo = rows.formation("LINFO3", "Licence Informatique 3e année", c.info, c.campaign,
                             level="L- LICENCE")
    c.mlea = rows.formation("MLEA1", "Master Langues étrangères appliquées 1re année", c.lea,
                            c.campaign, keywords="langues lettres étrangères anglais")
    c.closed = rows.formation("MCHIM1", "Master Chimie", c.info, c.campaign, enabled=False)
    c.previous = rows.formation("MINFO1-2026", "Master Informatique (2026)", c.info, c.old)
    return c


def offer_codes(tree):
    return [f["code"] for centre in tree for level in centre["levels"]
            for f in level["formations"]]


# -- get_offer ------------------------------------------------------------------------

def test_offer_is_the_enabled_formations_of_the_active_campaign_as_a_tree(call, catalogue):
    tree = call("get_offer", ANONYMOUS)
    assert [(c["code"], c["label"]) for c in tree] == [
        ("LLSH", "UFR Lettres, Langues et Sciences Humaines"),
        ("SCI", "UFR Sciences et Techniques")]
    sci = tree[1]
    assert [level["level"] for level in sci["levels"]] == ["L- LICENCE", "M- MASTER"]
    assert sci["levels"][1]["formations"] == [{
        "code": "MINFO1", "label": "Master Informatique 1re année", "level": "M- MASTER",
        "treatment_type": "AC", "date_open": "2027-02-08", "date_close": "2027-05-09",
        "open_now": True}]
    assert sorted(offer_codes(tree)) == ["LINFO3", "MINFO1", "MLEA1"]  # no MCHIM1, no 2026


def test_offer_filter_is_case_and_accent_insensitive(call, catalogue):
    assert offer_codes(call("get_offer", ANONYMOUS, "informatique")) == ["LINFO3", "MINFO1"]
    assert offer_codes(call("get_offer", ANONYMOUS, "INFORMATIQUE")) == ["LINFO3", "MINFO1"]
    assert offer_codes(call("get_offer", ANONYMOUS, "lettres etrangeres")) == ["MLEA1"]
    assert offer_codes(call("get_offer", ANONYMOUS, filter_text="réseaux")) == ["MINFO1"]  # keywords
    assert offer_codes(call("get_offer", ANONYMOUS, "mlea")) == ["MLEA1"]                  # code


def test_offer_filter_without_a_match_or_without_words(call, catalogue):
    assert call("get_offer", ANONYMOUS, "zoologie") == []
    assert call("get_offer", ANONYMOUS, "chimie") == []  # the disabled formation stays hidden
    assert call("get_offer", ANONYMOUS, "   ") == call("get_offer", ANONYMOUS, None) == call("get_offer", ANONYMOUS)


def test_no_offer_without_an_active_campaign(call, catalogue, catalog_db):
    with catalog_db.begin() as conn:
        conn.exec_driver_sql("UPDATE campaigns SET active = false")
    assert call("get_offer", ANONYMOUS) == []


# -- get_formation ----------------------------------------------------------------------

def test_formation_with_dates_contacts_campaign_and_pieces(call, rows, catalogue):
    c = catalogue
    rows.piece("CNI", 1, label="Pièce d'identité", shared=True)
    rows.piece("RELEVES", 4, owner=c.sci, label="Relevés de notes")
    rows.piece("LM", 3, owner=c.minfo, label="Lettre de motivation")
    rows.piece("CERTLANG", 5, owner=c.minfo, label="Certification en langue", conditional=True)
    assert call("get_formation", ANONYMOUS, "MINFO1") == {
        "code": "MINFO1", "label": "Master Informatique 1re année", "level": "M- MASTER",
        "keywords": "développement réseaux", "url": "https://formations.univ-demo.fr/minfo1",
        "capacity": 30, "enabled": True, "treatment_type": "AC",
        "auto_promotion": False, "rank_display": "real", "reminder_days": 2,
        "dates": {"date_open": "2027-02-08", "date_close": "2027-05-09",
                  "date_return": "2027-05-24", "date_jury": "2027-06-08",
                  "date_publish": "2027-06-18", "date_confirm": "2027-07-08",
                  "confirm_days": None},
        "centre": {"code": "SCI", "label": "UFR Sciences et Techniques",
                   "email": "scolarite-sci@univ-demo.fr",
                   "address": "Scolarité SCI\n1 rue des Facultés\n44300 Nantes",
                   "max_file_size": 2 * 1024 * 1024, "max_applications": 5, "online": True,
                   "opi_prefix": ""},
        "commission": {"code": "SCI-INFO", "label": "Commission Informatique",
                       "email": "commission-info@univ-demo.fr", "address": "Bâtiment 11",
                       "phone": "02 40 00 11 01", "signatory": "Claire Martin",
                       "signature_document_id": None, "alerts": {}},
        "campaign": {"code": "2027", "label": "Campagne de candidatures 2027"},
        "pieces": [{**piece, "template_document_id": None, "template_filename": None} for piece in [
            {"code": "CNI", "label": "Pièce d'identité", "order": 1, "conditional": False,
             "shared": True},
            {"code": "LM", "label": "Lettre de motivation", "order": 3, "conditional": False,
             "shared": False},
            {"code": "RELEVES", "label": "Relevés de notes", "order": 4, "conditional": False,
             "shared": False},
            {"code": "CERTLANG", "label": "Certification en langue", "order": 5,
             "conditional": True, "shared": False}]],
    }


def test_pieces_of_other_centres_and_formations_are_not_asked(call, rows, catalogue):
    c = catalogue
    rows.piece("CNI", 1)
    rows.piece("PORTFOLIO", 2, owner=c.llsh)
    rows.piece("PROJET", 3, owner=c.linfo)
    assert [p["code"] for p in call("get_formation", ANONYMOUS, "MINFO1")["pieces"]] == ["CNI"]
    assert [p["code"] for p in call("get_formation", ANONYMOUS, "MLEA1")["pieces"]] == ["CNI", "PORTFOLIO"]
    assert [p["code"] for p in call("get_formation", ANONYMOUS, "LINFO3")["pieces"]] == ["CNI", "PROJET"]


def test_pieces_follow_the_formation_treatment_type_once_per_code(call, rows, catalogue):
    c = catalogue
    direct = rows.formation("DUDIRECT", "DU accès direct", c.info, c.campaign,
                            treatment_type="AD")
    rows.piece("CNI", 1)
    rows.piece("CV", 2, label="CV")
    rows.piece("CV", 2, owner=c.sci, label="CV au format Europass")
    rows.piece("DOSSIER", 3, owner=c.sci, treatment_type="AC")
    rows.piece("INSCRIPTION", 4, owner=c.sci, treatment_type="AD")
    controlled = call("get_formation", ANONYMOUS, "MINFO1")["pieces"]
    assert [p["code"] for p in controlled] == ["CNI", "CV", "DOSSIER"]
    assert controlled[1]["label"] == "CV au format Europass"
    assert [p["code"] for p in call("get_formation", ANONYMOUS, direct.code)["pieces"]] == [
        "CNI", "CV", "INSCRIPTION"]


def test_disabled_formation_is_still_described_so_callers_can_refuse_it(call, catalogue):
    formation = call("get_formation", ANONYMOUS, "MCHIM1")
    assert formation["enabled"] is False and formation["pieces"] == []


def test_confirmation_by_days_and_centre_without_own_limit(call, rows, catalogue):
    c = catalogue
    rows.formation("DULEA", "DU Langues et cultures d'entreprise", c.lea, c.campaign,
                   level="U- DIPLÔME D'UNIVERSITÉ BAC+3", date_confirm=None, confirm_days=8)
    formation = call("get_formation", ANONYMOUS, "DULEA")
    assert formation["dates"]["date_confirm"] is None
    assert formation["dates"]["confirm_days"] == 8
    assert formation["centre"]["max_applications"] is None  # the institution's 20 applies
    assert formation["centre"]["max_file_size"] == 3 * 1024 * 1024
    assert formation["centre"]["online"] is False


@pytest.mark.parametrize("code", ["NOPE", "minfo1", "", None, 42, ["MINFO1"]])
def test_unknown_formation_is_not_found(call, catalogue, code):
    with pytest.raises(NotFound) as error:
        call("get_formation", ANONYMOUS, code)
    assert error.value.code == "formation_not_found"


# -- campaign and centres ----------------------------------------------------------------

def test_active_campaign(call, catalogue):
    assert call("get_active_campaign", ANONYMOUS) == {
        "code": "2027", "label": "Campagne de candidatures 2027", "start": "2026-10-01",
        "end": "2027-09-30", "login_until": "2027-10-31"}


def test_no_active_campaign_is_not_found(call, rows):
    rows.campaign(active=False)
    with pytest.raises(NotFound) as error:
        call("get_active_campaign", ANONYMOUS)
    assert error.value.code == "no_active_campaign"


def test_list_centres(call, catalogue, rows):
    rows.centre("DROIT", "Faculté de Droit")  # no formation yet: still a centre
    assert call("list_centres", ANONYMOUS) == [
        {"code": "DROIT", "label": "Faculté de Droit", "email": "scolarite-droit@univ-demo.fr"},
        {"code": "LLSH", "label": "UFR Lettres, Langues et Sciences Humaines",
         "email": "scolarite-llsh@univ-demo.fr"},
        {"code": "SCI", "label": "UFR Sciences et Techniques",
         "email": "scolarite-sci@univ-demo.fr"}]


def test_centre_limits_give_every_centres_maximum_in_one_answer(call, catalogue, rows):
    rows.centre("DROIT", "Faculté de Droit", max_applications=2)
    assert call("centre_limits", ANONYMOUS) == {
        "DROIT": {"label": "Faculté de Droit", "max_applications": 2},
        "LLSH": {"label": "UFR Lettres, Langues et Sciences Humaines", "max_applications": None},
        "SCI": {"label": "UFR Sciences et Techniques", "max_applications": 5}}


def test_nothing_is_written_by_reading(call, catalogue, snapshot):
    before = snapshot()
    call("get_offer", ANONYMOUS, "informatique")
    call("get_formation", ANONYMOUS, "MINFO1")
    with pytest.raises(NotFound):
        call("get_formation", ANONYMOUS, "NOPE")
    assert snapshot() == before


def test_apply_is_offered_only_inside_the_window(catalog_db, unit_of_work, catalogue):
    def offer_on(day):
        unit = unit_of_work(catalog_db, Base.metadata)
        try:
            worker = worker_factory(CatalogService, db=unit, clock=FixedClock(
                datetime.combine(day, time(11), tzinfo=timezone.utc)))
            tree = worker.get_offer(ANONYMOUS, "MINFO1")
        finally:
            unit.close()
        return tree[0]["levels"][0]["formations"][0]["open_now"]
    assert offer_on(date(2027, 2, 8)) and offer_on(date(2027, 5, 9))  # both days included
    assert not offer_on(date(2027, 2, 7)) and not offer_on(date(2027, 5, 10))


def test_a_formation_code_is_read_in_the_active_campaign_unless_another_is_given(call, catalogue):
    with pytest.raises(NotFound):
        call("get_formation", ANONYMOUS, "MINFO1-2026")  # the 2026 campaign is not active
    old = call("get_formation", ANONYMOUS, "MINFO1-2026", campaign="2026")
    assert (old["label"], old["campaign"]["code"]) == ("Master Informatique (2026)", "2026")
    with pytest.raises(NotFound):
        call("get_formation", ANONYMOUS, "MINFO1", campaign="2026")
