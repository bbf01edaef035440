"""Scheduled work of the notifications service, as functions `(unit, now) ->
dict of counts` (`unit`: the worker's `self.db`), idempotent and safe when two
instances run them at once."""
import logging
from datetime import datetime, time, timedelta

from services.common.clock import PARIS
from services.common.config import public_url
from services.common.db import flush_unique

from . import domain, queries
from .models import Mail

log = logging.getLogger(__name__)


def digest_cutoff(now):
    """The alerts held before this moment go in today's digests: today at
    MAIL_DIGEST_HOUR (Paris) once it has passed, else yesterday's."""
    local = now.astimezone(PARIS)
    cutoff = datetime.combine(local.date(), time(domain.digest_hour()), tzinfo=PARIS)
    return cutoff if local >= cutoff else cutoff - timedelta(days=1)


def send_commission_digests(unit, now):
    """One mail per commission taking its alerts as a digest, with the alerts
    held since its last digest. The digest of a (commission, day) is one row
    (event id `d:<day>:<commission>`, unique with its code): two instances
    at once make it once; the alerts it carries leave the `held` status with it."""
    cutoff = digest_cutoff(now)
    day = (cutoff - timedelta(days=1)).date().isoformat()
    sent = 0
    for commission_code in queries.commissions_with_held_alerts(unit.session, cutoff):
        held = queries.held_alerts(unit.session, commission_code, cutoff)
        if not held:
            unit.commit()
            continue
        first = held[0]
        variables = {**domain.variables({"commission": {"code": commission_code,
                                                        "label": first.commission_label or commission_code},
                                         "centre": {"code": first.centre_code}},
                                        {}, "fr"),
                     "day": day,
                     "items": [{"code": row.code, "subject": row.subject,
                                "url": f"{public_url()}/gestion/candidatures/{row.application_id}"
                                if row.application_id else public_url()} for row in held]}
        subject, body = domain.render("COMMISSION_DIGEST", "fr", variables)
        digest = Mail(event_id=f"d:{day}:{commission_code}", code="COMMISSION_DIGEST",
                      candidate_id=None, to_address=first.to_address, lang="fr", subject=subject,
                      body=body, centre_code=first.centre_code, commission_code=commission_code,
                      audience="commission", status="queued", attempts=0, created_at=now,
                      window_started_at=now, next_attempt_at=now)
        unit.session.add(digest)
        if not flush_unique(unit):  # another instance made it: its alerts are its own
            continue
        for row in held:
            row.status = "digested"
        unit.commit()
        sent += 1
        log.info("digest of %s alerts sent to commission %s", len(held), commission_code)
    unit.commit()
    return {"digests": sent}
