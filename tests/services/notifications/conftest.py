import copy
import uuid
from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import text

from services.common.clock import FixedClock
from services.notifications.dependencies import Mailer
from services.notifications.domain import smtp_settings
from services.notifications.models import Base
from services.notifications.service import NotificationsService

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)

APPLICATION_EVENT = {
    "application_id": 12, "candidate_id": 7,
    "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
    "centre": {"code": "SCI", "label": "UFR Sciences", "email": "scolarite-sciences@univ-demo.fr"},
    "commission": {"code": "SCI-INFO", "label": "Commission Informatique", "email": "info@univ-demo.fr"},
    "candidate": {"dossier_number": "22PB7Y36", "email": "lea@example.org", "civility": "MME",
                  "first_name": "Léa", "last_name": "Martin", "lang": "fr"},
}


def event(event_type, **fields):
    payload = {**copy.deepcopy(APPLICATION_EVENT), **fields}  # a test may change its copy
    payload.update(event_id=str(uuid.uuid4()), event_type=event_type)
    return payload


def registered(**fields):
    payload = {"candidate_id": 7, "dossier_number": "22PB7Y36", "email": "lea@example.org",
               "first_name": "Léa", "last_name": "Martin", "lang": "fr",
               "activation_token": "tok-secret-123", "activation_expires_at": "2026-11-24T10:00:00+00:00"}
    payload.update(fields, event_id=str(uuid.uuid4()), event_type="candidate_registered")
    return payload


@pytest.fixture
def make_event():
    return event


@pytest.fixture
def make_registered():
    return registered


@pytest.fixture
def service(service_db, unit_of_work, smtp_sink):
    engine = service_db("notifications")

    class Harness:
        clock = FixedClock(NOW)

        def handle(self, method, *args, mailer=None):
            """One worker as nameko runs it; its session is closed whatever
            happens, as a process that dies loses its connection and locks."""
            unit = unit_of_work(engine, Base.metadata)
            worker = worker_factory(NotificationsService, db=unit, clock=self.clock,
                                    mailer=mailer or Mailer(smtp_settings()))
            try:
                return getattr(worker, method)(*args)
            finally:
                unit.close()

        def call(self, method, *args, mailer=None):
            """As the running service does: a handler commits its mails, then
            the delivery loop is woken and sends them."""
            result = self.handle(method, *args, mailer=mailer)
            if method.startswith("on_"):
                self.handle("deliver_mails", mailer=mailer)
            return result

        def rows(self, sql):
            with engine.connect() as conn:
                return conn.execute(text(sql)).all()
    return Harness()
