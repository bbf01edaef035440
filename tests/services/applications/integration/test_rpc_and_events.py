"""The real service container on RabbitMQ and PostgreSQL: RPCs over the wire,
typed errors back, and the events the outbox relay publishes to the
`applications.events` exchange, received by a small listening service."""
import random
import time
from unittest.mock import call
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nameko.events import event_handler
from nameko.testing.services import replace_dependencies

from services.applications.service import ApplicationsService
from services.common.errors import Conflict, NotFound
from tests.support.actors import candidate
from tests.support.rpc import acting_rpc_proxy

CERTLANG = [{"code": "CERTLANG", "label": "Certification en langue", "order": 5,
             "conditional": True, "shared": False}]


class ApplicationEventsProbe:
    """Subscribes like notifications does, and keeps what it receives."""
    name = "applications_events_probe"
    received = []

    @event_handler("applications", "application_created")
    def created(self, payload):
        self.received.append(payload)

    @event_handler("applications", "status_changed")
    def status_changed(self, payload):
        self.received.append(payload)

    @event_handler("applications", "application_transmitted")
    def transmitted(self, payload):
        self.received.append(payload)


def events_of(candidate_id, count, timeout=15):
    """The probe's events about this candidate, once `count` have arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mine = [e for e in ApplicationEventsProbe.received if e.get("candidate_id") == candidate_id]
        if len(mine) >= count:
            return mine
        time.sleep(0.1)
    return [e for e in ApplicationEventsProbe.received if e.get("candidate_id") == candidate_id]


def test_create_and_transmit_over_rpc_publish_the_events(container_factory, rabbit_config,
                                                         service_db, doubles):
    service_db("applications")
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    formation = doubles.make_formation("MINFO1", "Master Informatique 1re année", doubles.SCI,
                                       "SCI-INFO", today, pieces=CERTLANG)
    # Ids restart in an emptied database: a fresh candidate id tells this run's events apart.
    candidate_id = random.randint(100_000, 999_999)
    actor = candidate(candidate_id)

    probe = container_factory(ApplicationEventsProbe, rabbit_config)
    probe.start()
    container = container_factory(ApplicationsService, rabbit_config)
    accounts, catalog, documents = replace_dependencies(container, "accounts", "catalog",
                                                        "documents")
    accounts.check_ready_to_apply.return_value = doubles.candidate_contact(candidate_id)
    catalog.get_formation.return_value = formation
    catalog.get_active_campaign.return_value = dict(formation["campaign"])
    container.start()

    with acting_rpc_proxy("applications", rabbit_config) as applications:
        created = applications.create_application(actor, "MINFO1")
        assert created["status"] == "AT" and created["missing"] == ["CERTLANG"]
        applications.set_not_concerned(actor, created["id"], "CERTLANG", True)
        sent = applications.transmit(actor, created["id"])
        assert sent["status"] == "RE" and sent["transmitted_at"]
        # Typed errors cross the wire as themselves.
        with pytest.raises(Conflict) as info:
            applications.transmit(actor, created["id"])
        assert info.value.code == "already_transmitted"
        with pytest.raises(NotFound):
            applications.get_application(candidate(candidate_id + 1),
                                         created["id"])
        assert applications.get_application(actor, created["id"])["status"] == "RE"

    accounts.check_ready_to_apply.assert_called_once_with(candidate_id)
    # Created from the catalog's formation; transmitted against its dates as they are now.
    assert catalog.get_formation.call_args_list == [call("MINFO1"),
                                                    call("MINFO1", campaign="2027")]
    events = events_of(candidate_id, 3)
    by_type = {e["event_type"]: e for e in events}
    assert sorted(by_type) == ["application_created", "application_transmitted", "status_changed"]
    assert len(events) == 3
    assert by_type["application_created"]["application_id"] == created["id"]
    assert by_type["application_created"]["return_deadline"] == created["return_deadline"]
    assert by_type["application_created"]["centre"]["email"] == "scolarite-sciences@univ-demo.fr"
    changed = by_type["status_changed"]
    assert (changed["from_status"], changed["to_status"], changed["refused_pieces"]) == \
        ("AT", "RE", [])
    assert changed["formation"] == {"code": "MINFO1", "label": "Master Informatique 1re année"}
    assert all(e["event_id"] and e["occurred_at"] for e in events)
    assert documents.method_calls == []  # no file was involved

    container.stop()
    probe.stop()
