"""Reads and the one tricky write (dossier numbers) on the accounts database."""
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert

from . import domain
from .models import Candidate, IssuedDossierNumber, StaffUser

DOSSIER_NUMBER_ATTEMPTS = 50


def candidate(session, candidate_id, lock=False):
    """The candidate with this id, or None (also for an id that is not a number)."""
    if isinstance(candidate_id, bool) or not str(candidate_id).isdigit():
        return None
    query = select(Candidate).where(Candidate.id == int(candidate_id))
    if lock:  # serialises concurrent saves and the lock set by application_created
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def candidate_by_email(session, email, lock=False):
    query = select(Candidate).where(Candidate.email_key == domain.email_key(email))
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def candidate_by_login(session, login):
    """The candidate whose dossier number or email is `login`, in any case."""
    login = login.strip()
    return session.execute(select(Candidate).where(or_(
        Candidate.dossier_number == login.upper(),
        Candidate.email_key == login.lower()))).scalars().first()


def candidate_by_token(session, token, column=Candidate.activation_token_hash):
    """The account a token opens (activation by default; reset or email change
    with `column`), locked: a link works once."""
    if not isinstance(token, str) or not token:
        return None
    return session.execute(
        select(Candidate).where(column == domain.token_hash(token))
        .with_for_update()).scalar_one_or_none()


def issue_dossier_number(session, now):
    """A random dossier number never issued before, recorded as issued in the
    caller's transaction. ON CONFLICT DO NOTHING makes a collision (even with a
    registration running concurrently) a retry, not an error."""
    prefix = domain.dossier_number_prefix()
    for _ in range(DOSSIER_NUMBER_ATTEMPTS):
        number = domain.new_dossier_number(prefix)
        inserted = session.execute(
            insert(IssuedDossierNumber).values(number=number, issued_at=now)
            .on_conflict_do_nothing(index_elements=["number"])
            .returning(IssuedDossierNumber.number)).first()
        if inserted is not None:
            return number
    raise RuntimeError("no free dossier number found")  # 31^8 ≈ 8.5e11 numbers: not in practice


def staff_by_login(session, login):
    return session.execute(select(StaffUser).where(
        StaffUser.login == login.strip().lower())).scalar_one_or_none()


def centres_of(session, candidate_id):
    """The codes of the centres the candidate applied to."""
    from .models import CandidateCentre
    return set(session.scalars(select(CandidateCentre.centre_code)
                               .where(CandidateCentre.candidate_id == candidate_id)))


def ine_holder(session, campaign_code, ine, except_id):
    """Another candidate of the same campaign with this INE, or None."""
    query = select(Candidate).where(Candidate.ine == ine, Candidate.id != except_id)
    query = query.where(Candidate.campaign_code.is_(None) if campaign_code is None
                        else Candidate.campaign_code == campaign_code)
    return session.scalars(query).first()


def dossier_changes(session, candidate_id):
    from .models import DossierChange
    return session.scalars(select(DossierChange).where(DossierChange.candidate_id == candidate_id)
                           .order_by(DossierChange.at.desc(), DossierChange.id.desc())).all()


def staff_users(session):
    return session.scalars(select(StaffUser).order_by(StaffUser.login)).all()


def staff_user(session, staff_id, lock=False):
    if isinstance(staff_id, bool) or not str(staff_id).isdigit():
        return None
    query = select(StaffUser).where(StaffUser.id == int(staff_id))
    if lock:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def commissions_of(session, candidate_id):
    """The codes of the commissions the candidate applied to."""
    from .models import CandidateCommission
    return set(session.scalars(select(CandidateCommission.commission_code)
                               .where(CandidateCommission.candidate_id == candidate_id)))


def has_transmitted(session, candidate_id):
    """Whether the candidate has a transmitted application still standing
    (accounts' copy, kept from applications' events)."""
    from .models import TransmittedApplication
    return session.scalar(select(TransmittedApplication.application_id)
                          .where(TransmittedApplication.candidate_id == candidate_id)
                          .limit(1)) is not None
