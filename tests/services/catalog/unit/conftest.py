"""Fixtures of the catalog's unit tests: the service under worker_factory on
its test database, and a small catalogue to act on."""
from datetime import UTC, datetime

import pytest
from nameko.testing.services import worker_factory

from services.catalog.models import Base
from services.catalog.service import CatalogService
from services.common.clock import FixedClock

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
APPLIED = {("MINFO1", "2027"): 3}  # applications' events told catalog: 2027's MINFO1 has some


def record_applications(unit):
    """The application_created events catalog received (once each)."""
    worker = worker_factory(CatalogService, db=unit, clock=FixedClock(NOW))
    number = 9000
    for (code, campaign), count in APPLIED.items():
        for _ in range(count):
            number += 1
            worker.record_application({"event_id": f"created-{number}", "application_id": number,
                                       "campaign": campaign, "formation": {"code": code}})


@pytest.fixture
def call(catalog_db, unit_of_work, snapshot):
    setup = unit_of_work(catalog_db, Base.metadata)
    record_applications(setup)
    setup.close()

    def run(method, *args, **kwargs):
        unit = unit_of_work(catalog_db, Base.metadata)
        worker = worker_factory(CatalogService, db=unit, clock=FixedClock(NOW))
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()

    def refused(error, expected, method, *args, fields=None, **kwargs):
        before = snapshot()
        with pytest.raises(error) as info:
            run(method, *args, **kwargs)
        assert info.value.code == expected, info.value
        if fields is not None:
            assert info.value.fields == fields
        assert snapshot() == before
        return info.value
    run.refused = refused
    return run


@pytest.fixture
def catalogue(rows):
    class C:
        pass
    c = C()
    c.campaign = rows.campaign()
    c.sci = rows.centre("SCI")
    c.llsh = rows.centre("LLSH", "UFR LLSH")
    c.info = rows.commission("SCI-INFO", c.sci)
    c.lea = rows.commission("LLSH-LEA", c.llsh)
    c.minfo = rows.formation("MINFO1", "Master Informatique", c.info, c.campaign)
    c.mlea = rows.formation("MLEA1", "Master LEA", c.lea, c.campaign)
    return c
