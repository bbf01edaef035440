"""Concurrent changes of one waiting list, on the real database with separate
sessions: two withdrawals at the same moment promote two different candidates,
and two runs of the withdrawal job (of the reminders) at once withdraw each
application (send each reminder) once.

A lock (the formation's, or the reminder's row) is held from outside while the
calls start, so that both are inside their transaction, waiting, before either
goes on."""
from datetime import timedelta

import eventlet
from sqlalchemy import text

from services.applications import queries
from services.common.db import cooperative_waits
from tests.support.actors import candidate
from tests.support.waiting import eventually

from .test_lifecycle import admitted, run_job, waiting

CAROL, DAN, EVE = candidate(56), candidate(78), candidate(90)


class HeldList:
    """MINFO1's waiting list locked by another connection until release()."""

    def __init__(self, h):
        cooperative_waits()  # a call waiting on the lock lets the other run
        self.h, self.conn = h, h.engine.connect()
        self.conn.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext('2027/MINFO1'))"),
                          {"space": queries.FORMATION_LOCK_SPACE})

    def waiters(self):
        return self.conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar()

    def release_when_waited_by(self, count):
        assert eventually(lambda: self.waiters() >= count), "the calls never reached the lock"
        self.conn.rollback()
        self.conn.close()


def test_two_withdrawals_at_once_promote_two_different_candidates(harness, actors):
    h, manager = harness, actors.manager_sci
    h.catalog_data.formations["MINFO1"].update(auto_promotion=True)
    ada, bob = admitted(h, actors.ada, manager), admitted(h, actors.bob, manager)
    carol, dan = waiting(h, CAROL, manager, 1), waiting(h, DAN, manager, 2)
    eve = waiting(h, EVE, manager, 3)
    held = HeldList(h)
    calls = [eventlet.spawn(h.call, "withdraw", who, app_id)
             for who, app_id in ((actors.ada, ada), (actors.bob, bob))]
    held.release_when_waited_by(2)
    for call in calls:
        call.wait()
    promoted = [e["application_id"] for e in h.events("decision_validated") if e.get("promoted")]
    assert sorted(promoted) == sorted([carol, dan])
    for who, app_id in ((CAROL, carol), (DAN, dan)):
        view = h.call("get_application", manager, app_id)
        assert [d["code"] for d in view["decisions"]] == ["LC", "FA"]
        assert h.call("get_application", who, app_id)["can_confirm"] is True
    assert h.call("get_application", manager, eve)["rank_real"] == 1


def test_two_runs_of_the_withdrawal_job_at_once_withdraw_each_application_once(harness, actors):
    h, manager = harness, actors.manager_sci
    h.catalog_data.formations["MINFO1"].update(auto_promotion=True)
    expired = [admitted(h, who, manager) for who in (actors.ada, actors.bob, CAROL)]
    dan, eve = waiting(h, DAN, manager, 1), waiting(h, EVE, manager, 2)
    h.clock.advance(days=121)
    held = HeldList(h)
    runs = [eventlet.spawn(run_job, h, "withdraw_expired") for _ in range(2)]
    held.release_when_waited_by(2)
    counts = [run.wait() for run in runs]
    assert sum(c["withdrawn"] for c in counts) == 3
    assert sum(c["promoted"] for c in counts) == 2  # two on the list
    withdrawn = [e["application_id"] for e in h.events("application_withdrawn")]
    assert sorted(withdrawn) == sorted(expired)
    promoted = [e["application_id"] for e in h.events("decision_validated") if e.get("promoted")]
    assert sorted(promoted) == sorted([dan, eve])


def test_two_runs_of_the_reminders_at_once_send_each_reminder_once(harness, actors):
    h = harness
    app_id = h.apply(actors.ada)["id"]
    h.clock.advance(days=74)  # the day before the return deadline
    deadline = (h.today + timedelta(days=75)).isoformat()
    cooperative_waits()
    outside = h.engine.connect()  # the same reminder being recorded, not committed yet
    outside.execute(text("INSERT INTO reminders_sent VALUES (:a, 'transmit', :d, now())"),
                    {"a": app_id, "d": deadline})
    runs = [eventlet.spawn(run_job, h, "send_reminders") for _ in range(2)]
    assert eventually(lambda: outside.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted"))
        .scalar() >= 2), "the runs never reached the reminder"
    outside.rollback()
    outside.close()
    counts = [run.wait() for run in runs]
    assert sorted(c["transmit"] for c in counts) == [0, 1]
    sent, = h.events("reminder_due")
    assert (sent["application_id"], sent["deadline"]) == (app_id, deadline)
