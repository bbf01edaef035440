"""The accounts service's scheduled jobs (services/common/jobs.py).

- `purge_unactivated`: accounts never activated before their link expired
  (ACTIVATION_HOURS, 48) are destroyed with their dossier (`account_deleted`
  tells the other services, which forget the candidate); the dossier number
  stays issued. The same run forgets expired throttling counts and login
  sessions ended or expired for a day.
"""
import logging

from services.common.jobs import Jobs, every

from .authentication import flows, login_sessions, throttle

log = logging.getLogger(__name__)

MAX_BATCHES = 20  # flows.PURGE_BATCH accounts each; the next run goes on


def purge_unactivated(unit, now):
    purged = 0
    for _ in range(MAX_BATCHES):
        done = flows.purge_unactivated(unit, now)["purged"]
        unit.commit()  # each batch's accounts and their account_deleted events
        purged += done
        if done < flows.PURGE_BATCH:
            break
    throttle.forget_old_counts(unit.session, now)
    login_sessions.forget_old(unit.session, now)
    if purged:
        log.info("purged %d accounts never activated", purged)
    return {"purged": purged}


JOBS = Jobs()
JOBS.add("purge_unactivated", purge_unactivated, every(minutes=15),
         "Accounts never activated in time destroyed; old throttling counts and sessions forgotten")
