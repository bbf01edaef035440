"""Reads and writes of the dossier and of what accounts keeps of the
candidate's applications (centres, commissions, transmitted applications)."""
from sqlalchemy import delete, select

from ..models import (Candidate, CandidateCentre, CandidateCommission, DossierChange,
                      TransmittedApplication)


def centres_of(session, candidate_id):
    """The codes of the centres the candidate applied to."""
    return set(session.scalars(select(CandidateCentre.centre_code)
                               .where(CandidateCentre.candidate_id == candidate_id)))


def ine_holder(session, campaign_code, ine, except_id):
    """Another candidate of the same campaign with this INE, or None."""
    query = select(Candidate).where(Candidate.ine == ine, Candidate.id != except_id)
    query = query.where(Candidate.campaign_code.is_(None) if campaign_code is None
                        else Candidate.campaign_code == campaign_code)
    return session.scalars(query).first()


def dossier_changes(session, candidate_id):
    return session.scalars(select(DossierChange).where(DossierChange.candidate_id == candidate_id)
                           .order_by(DossierChange.at.desc(), DossierChange.id.desc())).all()


def commissions_of(session, candidate_id):
    """The codes of the commissions the candidate applied to."""
    return set(session.scalars(select(CandidateCommission.commission_code)
                               .where(CandidateCommission.candidate_id == candidate_id)))


def has_transmitted(session, candidate_id):
    """Whether the candidate has a transmitted application still standing
    (accounts' copy, kept from applications' events)."""
    return session.scalar(select(TransmittedApplication.application_id)
                          .where(TransmittedApplication.candidate_id == candidate_id)
                          .limit(1)) is not None


def add_centre(session, candidate_id, centre_code):
    """The centre's staff may now read the dossier (once per centre)."""
    if centre_code not in centres_of(session, candidate_id):
        session.add(CandidateCentre(candidate_id=candidate_id, centre_code=centre_code))


def add_commission(session, candidate_id, commission_code):
    """The commission's committee may now read the dossier (once per commission)."""
    if commission_code not in commissions_of(session, candidate_id):
        session.add(CandidateCommission(candidate_id=candidate_id,
                                        commission_code=commission_code))


def record_transmitted(session, application_id, candidate_id):
    if session.get(TransmittedApplication, application_id) is None:
        session.add(TransmittedApplication(application_id=application_id,
                                           candidate_id=candidate_id))


def forget_transmitted(session, application_id):
    session.execute(delete(TransmittedApplication).where(
        TransmittedApplication.application_id == application_id))
