"""Tables of the accounts service: candidates and their dossier, the dossier
numbers ever issued, staff users.

Secrets are never stored in clear: passwords as argon2id hashes, the activation
token as its SHA-256 (the raw token only travels in the candidate_registered
event, to the mail).
"""
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.actors import STAFF_ROLES
from services.common.db import messaging_tables


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)


class IssuedDossierNumber(Base):
    """Every dossier number ever given out: a number stays here when its account
    is purged, so it is never given to someone else (DOMAIN.md 2)."""
    __tablename__ = "issued_dossier_numbers"

    number: Mapped[str] = mapped_column(String(8), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Candidate(Base):
    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_number: Mapped[str] = mapped_column(
        String(8), ForeignKey("issued_dossier_numbers.number"), unique=True)
    email: Mapped[str] = mapped_column(String(254))  # as typed, for mails and display
    # Lower-cased email: one email = one candidate, whatever its case.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    lang: Mapped[str] = mapped_column(String(2))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None until activated
    activation_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    activation_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by the first application: personal information is then read-only for
    # the candidate (staff may still correct it).
    personal_locked: Mapped[bool] = mapped_column(Boolean, default=False)

    dossier: Mapped["Dossier"] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", passive_deletes=True)


class Dossier(Base):
    """One per candidate; each section is the validated form, only non-empty
    fields, {} until first saved."""
    __tablename__ = "dossiers"

    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    personal: Mapped[dict] = mapped_column(JSONB, default=dict)
    address: Mapped[dict] = mapped_column(JSONB, default=dict)
    bac: Mapped[dict] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    candidate: Mapped[Candidate] = relationship(back_populates="dossier")


class CandidateCentre(Base):
    """The centres a candidate applied to, copied from applications' events: a
    staff member limited to some centres reads only these candidates' dossiers."""
    __tablename__ = "candidate_centres"

    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    centre_code: Mapped[str] = mapped_column(String(40), primary_key=True)


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint("role IN (%s)" % ", ".join(f"'{r}'" for r in STAFF_ROLES),
                        name="ck_staff_users_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    centres: Mapped[list] = mapped_column(JSONB, default=list)  # centre codes (catalog)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
