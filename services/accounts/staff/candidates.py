"""Staff helping candidates: search across the campaign within the
staff member's scope, accounts created on a candidate's behalf."""
import re

from sqlalchemy import String, and_, cast, func, or_, select

from services.common import actors
from services.common.errors import Forbidden
from services.common.text import sql_fold, sql_folded_text

from .. import domain
from .. import exceptions as codes
from ..models import Candidate, CandidateCentre, Dossier

SEARCH_LIMIT = 100
def search(session, actor, text, campaign_code=None):
    """Candidates of the active campaign (`campaign_code`; those whose campaign
    is unknown too) within the actor's scope."""
    actors.require_staff(actor)
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        return []
    words = [w for w in re.split(r"\s+", sql_folded_text(text)) if w]
    names = func.concat_ws(" ", sql_fold(Candidate.first_name), sql_fold(Candidate.last_name),
                           sql_fold(cast(Dossier.personal["birth_name"].astext, String)))
    by_name = and_(*(names.contains(word, autoescape=True) for word in words))
    query = (select(Candidate).join(Dossier, Dossier.candidate_id == Candidate.id)
             .where(or_(Candidate.dossier_number == text.upper(),
                        Candidate.email_key == domain.email_key(text),
                        Candidate.ine == text.upper(), by_name))
             .order_by(Candidate.last_name, Candidate.first_name, Candidate.id)
             .limit(SEARCH_LIMIT))
    if campaign_code is not None:
        query = query.where(or_(Candidate.campaign_code == campaign_code,
                                Candidate.campaign_code.is_(None)))
    if actors.is_committee_member(actor):
        from ..models import CandidateCommission
        query = query.where(Candidate.id.in_(
            select(CandidateCommission.candidate_id).where(
                CandidateCommission.commission_code.in_(actor.get("commissions") or []))))
        return [found(candidate) for candidate in session.scalars(query)]
    centres = actors.staff_centres(actor)
    if centres is not None:
        query = query.where(Candidate.id.in_(
            select(CandidateCentre.candidate_id).where(CandidateCentre.centre_code.in_(centres))))
    return [found(candidate) for candidate in session.scalars(query)]


def found(candidate):
    return {"id": candidate.id, "dossier_number": candidate.dossier_number,
            "last_name": candidate.last_name, "first_name": candidate.first_name,
            "email": candidate.email, "ine": candidate.ine,
            "activated": candidate.activated_at is not None, "origin": candidate.origin}


def record_creator_centres(session, actor, candidate):
    """A manager keeps seeing the candidates they created."""
    for centre in sorted(actors.staff_centres(actor) or ()):
        session.add(CandidateCentre(candidate_id=candidate.id, centre_code=centre))


def require_account_role(actor):
    """Account managers: committee members and readonly users cannot (a
    committee would not even see the accounts it created)."""
    actors.require_role(actor, actors.ACCOUNT_MANAGERS, "this role cannot manage candidate accounts")


def require_every_centre(actor, candidate_centres):
    """Staff limited to some centres act on a candidate only if every centre
    the candidate applied to is one of theirs."""
    centres = actors.staff_centres(actor)
    if centres is not None and not set(candidate_centres) <= centres:
        raise Forbidden(codes.OUT_OF_SCOPE, "the candidate applied outside your centres")
