"""Poison and duplicate events on the broker: a message that is not an event
at all, a genuine (signed) event its handler fails on, the same event twice."""
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from .support import publish_raw, queue_depths, wait_until

pytestmark = pytest.mark.faults

HANDLER_QUEUE = "evt-accounts-candidate_registered--notifications.on_candidate_registered"
DEAD_LETTERS = "notifications.dead-letters"


@pytest.fixture
def signed_by_the_stack(fault_stack, monkeypatch):
    """Events signed with the stack's key, as accounts' outbox relay signs them."""
    from tests.support.rpc import signed_event_dispatcher
    monkeypatch.setenv("ACTOR_SIGNING_KEY", fault_stack.environment()["ACTOR_SIGNING_KEY"])
    return signed_event_dispatcher({"AMQP_URI": fault_stack.amqp_uri, "serializer": "json"})


def registered(email, candidate_id):
    now = datetime.now(timezone.utc)
    return {"candidate_id": candidate_id, "dossier_number": "27FAULT01", "email": email,
            "first_name": "Evt", "last_name": "Fault", "lang": "fr",
            "activation_token": uuid.uuid4().hex,
            "activation_expires_at": (now + timedelta(hours=48)).isoformat(),
            "event_id": str(uuid.uuid4()), "event_type": "candidate_registered",
            "occurred_at": now.isoformat()}


def handler_failures(stack):
    """How many times notifications' worker failed on an event, from its log."""
    log = (stack.log_dir / "notifications.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines() if "on_candidate_registered" in line
               and ("error" in line.lower() or "exception" in line.lower()))


@pytest.fixture
def poison_cleared(fault_stack):
    """A poison event still circling after the test is removed, so the next
    scenarios are not measured on a spinning service."""
    yield
    for _ in range(5):
        subprocess.run(["rabbitmqctl", "-q", "purge_queue", "-p", fault_stack.vhost, HANDLER_QUEUE],
                       capture_output=True, timeout=60)
        time.sleep(0.5)


def test_poison_and_duplicate_events(fault_stack, journey, report, signed_by_the_stack,
                                     poison_cleared):
    vhost = fault_stack.vhost
    dead_before = queue_depths(vhost).get(DEAD_LETTERS, (0, 0, 0))[0]
    failures_before = handler_failures(fault_stack)

    # 1. not an event: a JSON list on accounts' exchange
    publish_raw(fault_stack.amqp_uri, "accounts.events", "candidate_registered", "[1, 2, 3]")
    # 2. genuine and signed, but its handler fails (an id that is no number)
    poison_email = f"poison.{uuid.uuid4().hex[:8]}@example.org"
    signed_by_the_stack("accounts", "candidate_registered", registered(poison_email, "not-a-number"))
    report.in_flight = 2
    began = time.monotonic()

    # 3. the same genuine event twice, and healthy traffic around the poison
    email = f"dup.{uuid.uuid4().hex[:8]}@example.org"
    event = registered(email, 990000 + int(uuid.uuid4().int % 9999))
    signed_by_the_stack("accounts", "candidate_registered", event)
    signed_by_the_stack("accounts", "candidate_registered", event)
    report.in_flight += 2
    user, real_email = journey.register(first_name="Afterpoison")  # mails still flow

    def settled():
        depths = queue_depths(vhost)
        ready, unacked, _ = depths.get(HANDLER_QUEUE, (0, 0, 0))
        dead = depths.get(DEAD_LETTERS, (0, 0, 0))[0] - dead_before
        return ready == 0 and unacked == 0 and dead >= 2
    waited = wait_until(settled, 45, 1)
    report.recovery_s = time.monotonic() - began if waited is not None else None
    depths = queue_depths(vhost)
    dead = depths.get(DEAD_LETTERS, (0, 0, 0))[0] - dead_before
    ready, unacked, _ = depths.get(HANDLER_QUEUE, (0, 0, 0))
    report.stuck = ready + unacked
    report.lost = max(0, 2 - dead)  # poison that is neither applied nor parked
    # no spin: a few delayed retries, not a loop, while we watched
    failures = handler_failures(fault_stack) - failures_before
    time.sleep(3)
    spinning = handler_failures(fault_stack) - failures_before - failures
    report.note(f"{dead} in {DEAD_LETTERS}, {failures} handler failures logged, "
                f"{spinning} more in the last 3 s")
    mails = journey.wait_mails(email, "ACCOUNT_CREATED", timeout=20)
    time.sleep(2)
    mails = journey.mails(email, "ACCOUNT_CREATED")
    report.duplicated = max(0, len(mails) - 1)
    report.lost += len(mails) == 0
    assert journey.mails(real_email, "ACCOUNT_CREATED"), "mails stopped behind the poison"
    assert DEAD_LETTERS in depths, f"no queue {DEAD_LETTERS}: {sorted(depths)}"
    assert spinning == 0 and failures <= 10, (failures, spinning)
    assert (report.lost, report.duplicated, report.stuck) == (0, 0, 0)
