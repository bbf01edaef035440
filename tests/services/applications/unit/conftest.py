"""The service under worker_factory: the real (migrated, emptied) database, a
clock the test sets, accounts/catalog/documents replaced by contract-shaped
doubles. Each call gets a fresh unit of work, closed afterwards, as a nameko
worker would."""
from datetime import datetime, timezone
from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import text

from services.common.clock import FixedClock
from services.applications.models import Base
from services.applications.service import ApplicationsService
from services.common.invalidation import ReadCache

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)  # 10:00 in Paris
TABLES = ("applications", "application_pieces", "status_changes", "decisions", "outbox_events",
          "application_notes", "application_tags")




class Harness:
    def __init__(self, engine, unit_of_work, doubles):
        self.engine, self.unit_of_work = engine, unit_of_work
        self.clock = FixedClock(NOW)
        self.today = NOW.date()
        self.catalog_data = doubles.Catalog(self.today)
        self.documents_data = doubles.Documents()
        self.catalog = Mock(wraps=self.catalog_data)
        self.documents = Mock(wraps=self.documents_data)
        self.accounts = Mock()
        self.accounts.check_ready_to_apply.side_effect = doubles.candidate_contact

    def call(self, method, *args, **kwargs):
        unit = self.unit_of_work(self.engine, Base.metadata)
        worker = worker_factory(ApplicationsService, db=unit, clock=self.clock,
                                accounts=self.accounts, catalog=self.catalog,
                                documents=self.documents, rendering=self.documents,
                                # keeps nothing (hears no event): every read asks the catalog
                                catalog_reads=ReadCache())
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()  # rolls back anything left, as nameko's worker teardown does

    # -- reading the database behind the service's back ----------------------------

    def state(self):
        with self.engine.connect() as conn:
            return {t: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY 1'))]
                    for t in TABLES}

    def sql(self, statement, **params):
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None

    def events(self, event_type=None):
        rows = self.sql("SELECT payload FROM outbox_events ORDER BY created_at")
        return [r[0] for r in rows if event_type is None or r[0]["event_type"] == event_type]

    def refused(self, error_class, code, method, *args, **kwargs):
        """Calls an RPC that must fail with `code` and leave every table unchanged."""
        before = self.state()
        with pytest.raises(error_class) as info:
            self.call(method, *args, **kwargs)
        assert info.value.code == code, info.value
        assert self.state() == before
        return info.value

    # -- steps of the journey ------------------------------------------------------

    def apply(self, actor, code="MINFO1"):
        return self.call("create_application", actor, code)

    def upload(self, actor, application_id, piece_code, filename=None):
        ticket = self.call("start_piece_upload", actor, application_id, piece_code,
                           filename or f"{piece_code.lower()}.pdf", 1000)
        return self.call("finish_piece_upload", actor, application_id, piece_code,
                         ticket["document_id"])

    def complete(self, actor, application_id):
        """Every mandatory piece uploaded, the conditional ones declared not concerned."""
        view = self.call("get_application", actor, application_id)
        for piece in view["pieces"]:
            if piece["status"] in ("AT", "RE") and piece["conditional"]:
                view = self.call("set_not_concerned", actor, application_id, piece["code"], True)
            elif piece["status"] in ("AT", "RE"):
                view = self.upload(actor, application_id, piece["code"])
        return view

    def transmitted(self, actor, code="MINFO1"):
        application_id = self.apply(actor, code)["id"]
        self.complete(actor, application_id)
        return self.call("transmit", actor, application_id)

    def complete_file(self, actor, manager, code="MINFO1"):
        """An application transmitted and set CO by staff."""
        view = self.transmitted(actor, code)
        return self.call("set_file_status", manager, view["id"], "CO")


@pytest.fixture
def harness(service_db, unit_of_work, doubles):
    return Harness(service_db("applications"), unit_of_work, doubles)
