"""The catalog's scheduled jobs (services/common/jobs.py).

- `archive_ended_campaigns`: the active campaign whose end date has passed
  (Paris day) is archived and the next one activated, as an administrator's
  "Archiver" does, with the same events. A next campaign that has ended too is
  archived in the same run.
"""
from services.common.clock import paris_today
from services.common.jobs import Jobs, daily

from . import campaigns

MAX_IN_ONE_RUN = 20  # campaigns archived in a row at most (bounded, even with bad dates)


def archive_ended_campaigns(unit, now):
    today = paris_today(now)
    counts = {"archived": 0, "activated": 0}
    for _ in range(MAX_IN_ONE_RUN):
        campaign = campaigns.ended_active_campaign(unit.session, today)
        if campaign is None:
            break
        following = campaigns.archive_and_announce(unit, campaign, today)
        counts["archived"] += 1
        counts["activated"] += following is not None
        unit.commit()  # each campaign's archiving is whole on its own
    return counts


JOBS = Jobs()
JOBS.add("archive_ended_campaigns", archive_ended_campaigns, daily(0, 15),
         "The active campaign past its end date archived, the next one activated")
