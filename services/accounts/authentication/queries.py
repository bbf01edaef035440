"""Reads of the logins and account flows, and the one tricky write (dossier
numbers) on the accounts database."""
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert

from .. import domain
from ..models import Candidate, IssuedDossierNumber

DOSSIER_NUMBER_ATTEMPTS = 50


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
