"""The real container on the real broker: events in, mails out over SMTP."""
import random
import time
import uuid

from services.notifications.service import NotificationsService
from tests.support.rpc import acting_rpc_proxy, signed_event_dispatcher


def wait_for(check, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_events_become_mails_and_can_be_read_back(container_factory, rabbit_config, service_db,
                                                  smtp_sink, make_registered, make_event):
    service_db("notifications")
    container = container_factory(NotificationsService, rabbit_config)
    container.start()
    from_accounts = signed_event_dispatcher(rabbit_config)
    # Other services' tests publish into the same vhost: a candidate id and an
    # address of this test's own keep their events out of what it counts.
    candidate, address = random.randint(10**8, 10**9), f"flow.{uuid.uuid4().hex[:8]}@example.org"
    registered = make_registered(candidate_id=candidate, email=address)
    from_accounts("accounts", "candidate_registered", registered)
    created = make_event("application_created", candidate_id=candidate, return_deadline="2027-02-05")
    created["candidate"]["email"] = address
    from_accounts("applications", "application_created", created)

    mails = wait_for(lambda: len(smtp_sink.mails(to=address)) == 2
                     and smtp_sink.mails(to=address))
    assert {m["code"] for m in mails} == {"ACCOUNT_CREATED", "APPLICATION_CREATED"}
    with acting_rpc_proxy("notifications", rabbit_config) as notifications:
        listed = wait_for(lambda: notifications.list_mails({"kind": "candidate", "id": candidate}))
        assert {m["code"] for m in listed} == {"ACCOUNT_CREATED", "APPLICATION_CREATED"}
        assert all(m["status"] == "sent" for m in listed)
