"""The catalog container on the real broker and database, called over RPC the
way the gateway and the applications service call it."""
from datetime import date

import pytest
from sqlalchemy.orm import Session

from services.catalog.seed import seed
from services.catalog.service import CatalogService
from services.common.actors import ANONYMOUS
from services.common.errors import NotFound
from tests.support.rpc import acting_rpc_proxy


@pytest.fixture
def catalog(container_factory, rabbit_config, catalog_db):
    with Session(catalog_db) as session:
        seed(session, date(2027, 1, 15))
        session.commit()
    container = container_factory(CatalogService, rabbit_config)
    container.start()
    with acting_rpc_proxy("catalog", rabbit_config, timeout=10) as proxy:
        yield proxy


def test_offer_and_formation_over_rpc(catalog):
    assert catalog.ping(ANONYMOUS) == {"service": "catalog", "status": "ok"}
    tree = catalog.get_offer(ANONYMOUS, "informatique")
    assert [c["code"] for c in tree] == ["SCI"]
    assert [(lv["level"], [f["code"] for f in lv["formations"]]) for lv in tree[0]["levels"]] == [
        ("L- LICENCE", ["LINFO3"]), ("M- MASTER", ["MINFO1"])]
    assert len(catalog.get_offer(ANONYMOUS)) == 2
    assert [f["code"] for c in catalog.get_offer(ANONYMOUS, filter_text="lettres etrangeres")
            for lv in c["levels"] for f in lv["formations"]] == ["MLEA1"]

    formation = catalog.get_formation(ANONYMOUS, "MLEA1")
    assert formation["label"] == "Master Langues étrangères appliquées 1re année"
    assert formation["dates"]["date_close"] == "2027-03-16"
    assert formation["centre"]["code"] == "LLSH"
    assert formation["commission"]["code"] == "LLSH-LEA"
    assert [p["code"] for p in formation["pieces"]] == ["CNI", "CV", "LM", "RELEVES", "CERTLANG"]
    assert catalog.get_active_campaign(ANONYMOUS)["code"] == "2027"
    assert [c["code"] for c in catalog.list_centres(ANONYMOUS)] == ["LLSH", "SCI"]


def test_unknown_formation_arrives_as_a_typed_error(catalog):
    with pytest.raises(NotFound) as error:
        catalog.get_formation(ANONYMOUS, "NOPE")
    assert error.value.code == "formation_not_found"
    assert catalog.get_formation(ANONYMOUS, "MINFO1")["code"] == "MINFO1"  # the service is still fine
