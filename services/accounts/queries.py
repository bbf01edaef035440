"""The read every sub-domain of accounts shares: a candidate by id."""
from sqlalchemy import select

from .models import Candidate


def candidate(session, candidate_id, lock=False):
    """The candidate with this id, or None (also for an id that is not a number)."""
    if isinstance(candidate_id, bool) or not str(candidate_id).isdigit():
        return None
    query = select(Candidate).where(Candidate.id == int(candidate_id))
    if lock:  # serialises concurrent saves and the lock set by application_created
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()
