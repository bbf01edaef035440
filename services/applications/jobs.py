"""The applications service's scheduled work, each a function `(unit, now) ->
dict of counts` (unit: a UnitOfWork; now: an aware UTC datetime). Each is
idempotent and safe when two runs overlap: the work of one application is
claimed (a row lock taken with SKIP LOCKED, or a unique row) and committed
on its own, so a second run skips what the first is doing or did.
"""
import logging

from services.common.jobs import Jobs, daily, every

from . import domain, operations, queries, schemas

log = logging.getLogger(__name__)

SYSTEM = operations.SYSTEM
TRANSMIT, CONFIRM = "transmit", "confirm"


def send_reminders(unit, now):
    """reminder_due (kind transmit) for AT/IN files N days (the formation's
    reminder_days) before the return deadline that applies to them, and (kind
    confirm) for an unanswered admission N days before its confirmation
    deadline: once per (application, kind, deadline)."""
    today = domain.paris_today(now)
    due = []
    for application in queries.to_transmit(unit.session, today, domain.REMINDER_DAYS_MAX):
        deadline = application.return_deadline
        if domain.reminder_due(deadline, application.settings["reminder_days"], today):
            due.append((application.id, TRANSMIT, deadline))
    awaited = [row[0] for row in queries.answer_awaited(unit.session)]
    for application in queries.applications_by_id(unit.session, awaited):
        deadline = application.confirm_deadline_applying
        if domain.reminder_due(deadline, application.settings["reminder_days"], today):
            due.append((application.id, CONFIRM, deadline))
    counts = {"transmit": 0, "confirm": 0, "already_sent": 0}
    for application_id, kind, deadline in due:
        if not queries.claim_reminder(unit.session, application_id, kind, deadline, now):
            counts["already_sent"] += 1
            continue
        application = queries.application_for_update(unit.session, application_id)
        unit.emit("reminder_due", schemas.event(application, kind=kind,
                                                deadline=deadline.isoformat()))
        unit.commit()
        counts[kind] += 1
    return counts


def withdraw_expired(unit, now):
    """Admitted candidates who did not answer by their confirmation deadline
    are withdrawn (application_withdrawn, automatic) and their place promoted."""
    today = domain.paris_today(now)
    awaited = [row[0] for row in queries.answer_awaited(unit.session)]
    expired = [(a.id, a.formation_code, a.campaign_code)
               for a in queries.applications_by_id(unit.session, awaited) if _expired(a, today)]
    counts = {"withdrawn": 0, "promoted": 0, "skipped": 0}
    for application_id, formation_code, campaign_code in expired:
        # the formation's lock first, then the row (the order every writer keeps)
        queries.lock_formation(unit.session, formation_code, campaign_code)
        application = queries.application_for_update(unit.session, application_id,
                                                      skip_locked=True)
        if application is None or not _expired(application, today):
            unit.commit()  # another run has it, or it was answered: its lock goes
            counts["skipped"] += 1
            continue
        promoted = operations.withdraw(unit, SYSTEM, application, automatic=True, now=now)
        unit.commit()
        counts["withdrawn"] += 1
        counts["promoted"] += promoted is not None
    return counts


def _expired(application, today):
    return (application.decision_code == domain.FA and application.confirmed_at is None
            and application.withdrawn_at is None and not application.cancelled
            and domain.deadline_passed(application.confirm_deadline_applying, today))


def recompute_ranks(unit, now):
    """Every formation's waiting-list ranks computed again (they are kept up
    to date as the lists change: this repairs, and counts what it changed)."""
    formations = queries.formations_with_waiting_lists(unit.session)
    counts = {"formations": 0, "changed": 0}
    for formation_code, campaign_code in formations:
        queries.lock_formation(unit.session, formation_code, campaign_code)
        counts["changed"] += operations.recompute_ranks(unit, formation_code, campaign_code)
        unit.commit()
        counts["formations"] += 1
    return counts


JOBS = Jobs()
JOBS.add("send_reminders", send_reminders, daily(8, 0),
         "Reminders to transmit and to confirm (one per application, kind and deadline)")
JOBS.add("withdraw_expired", withdraw_expired, daily(0, 30),
         "Automatic withdrawal past the confirmation deadline, then promotion")
JOBS.add("recompute_ranks", recompute_ranks, every(hours=1), "Waiting-list ranks recomputed")
