"""Tables of the accounts service: candidates and their dossier, the dossier
numbers ever issued, staff users.

Secrets are never stored in clear: passwords as argon2id hashes, the activation
token as its SHA-256 (the raw token only travels in the candidate_registered
event, to the mail).
"""
from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer,
                        String, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.actors import STAFF_ROLES
from services.common.db import messaging_tables
from services.common.idempotency import idempotency_table
from services.common.jobs import job_tables


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)
job_tables(Base.metadata)


class IssuedDossierNumber(Base):
    """Every dossier number ever given out: a number stays here when its account
    is purged, so it is never given to someone else."""
    __tablename__ = "issued_dossier_numbers"

    number: Mapped[str] = mapped_column(String(8), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        # INE unique within a campaign; NULLs (no INE) never clash.
        UniqueConstraint("campaign_code", "ine", name="uq_candidates_campaign_ine"),
        CheckConstraint("origin IN ('web', 'staff', 'cas')", name="ck_candidates_origin"),
    )

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
    # The campaign active when the account was created (catalog), if any.
    campaign_code: Mapped[str | None] = mapped_column(String(20))
    # Copied from the personal section on save: uniqueness and staff search.
    ine: Mapped[str | None] = mapped_column(String(11))
    # How the account came to be: web (Créer un compte), staff (on the
    # candidate's behalf), cas (first login of an internal student).
    origin: Mapped[str] = mapped_column(String(10), default="web", server_default="web")
    created_by: Mapped[str | None] = mapped_column(String(200))  # staff display name
    # Internal students: the CAS user id and the student-records number they matched.
    cas_user: Mapped[str | None] = mapped_column(String(100), unique=True)
    student_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Password reset ("J'ai oublié mes identifiants"): hash of a single-use token.
    reset_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    reset_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Email change: the new address is in force only once confirmed from it.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    email_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The address an email change is told to, with a link to refuse it (hash of
    # a single-use token): during the window, refusing cancels a pending change
    # or restores this address after a confirmed one.
    email_undo_address: Mapped[str | None] = mapped_column(String(254))
    email_undo_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email_undo_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    dossier: Mapped["Dossier"] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", passive_deletes=True)
    # An internal student's row of the student-records extract (read only).
    student_record: Mapped["StudentRecord | None"] = relationship(
        primaryjoin="foreign(Candidate.student_number) == StudentRecord.student_number",
        viewonly=True, uselist=False)


class Dossier(Base):
    """One per candidate; each section is the validated form, only non-empty
    fields, {} until first saved."""
    __tablename__ = "dossiers"

    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    personal: Mapped[dict] = mapped_column(JSONB, default=dict)
    address: Mapped[dict] = mapped_column(JSONB, default=dict)
    bac: Mapped[dict] = mapped_column(JSONB, default=dict)
    # Read-only, from the student-records extract: [{year, code, label, result,
    # mention, mark}].
    internal: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    # Lists the candidate edits; each entry carries its own "id".
    external: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    internships: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    experience: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    candidate: Mapped[Candidate] = relationship(back_populates="dossier")


class CandidateCentre(Base):
    """The centres a candidate applied to, copied from applications' events: a
    staff member limited to some centres reads only these candidates' dossiers."""
    __tablename__ = "candidate_centres"

    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    centre_code: Mapped[str] = mapped_column(String(40), primary_key=True)


class TransmittedApplication(Base):
    """The candidate's transmitted applications still standing (from
    applications' application_transmitted and application_cancelled events):
    a candidate who transmitted one cannot delete their account themselves.
    Accounts keeps this copy so that it never calls applications, which calls
    accounts."""
    __tablename__ = "transmitted_applications"

    application_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True)


class CandidateCommission(Base):
    """The commissions a candidate applied to (from applications' events): a
    committee member reads the dossiers of their commissions' candidates."""
    __tablename__ = "candidate_commissions"

    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    commission_code: Mapped[str] = mapped_column(String(40), primary_key=True)


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
    # Commission codes (catalog) of a committee member, and those they preside.
    commissions: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    presides: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    # A disabled user cannot log in; kept for the history of what they did.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Their own choices in the portal, {key: value} (staff/preferences.py).
    preferences: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")


class DossierChange(Base):
    """Every change staff make to a candidate's dossier: who, when, before, after
    (only the fields that changed)."""
    __tablename__ = "dossier_changes"
    __table_args__ = (Index("ix_dossier_changes_candidate", "candidate_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(20))
    entry_id: Mapped[str | None] = mapped_column(String(40))  # list sections
    before: Mapped[dict] = mapped_column(JSONB, default=dict)
    after: Mapped[dict] = mapped_column(JSONB, default=dict)
    by_kind: Mapped[str] = mapped_column(String(10))  # staff, system
    by_id: Mapped[int | None] = mapped_column(Integer)
    by_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StudentRecord(Base):
    """One enrolled student from the student-records extract (imported by
    `python -m services.accounts.dossier.students import FILE.csv`)."""
    __tablename__ = "student_records"

    student_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    ine: Mapped[str | None] = mapped_column(String(11), unique=True)
    civility: Mapped[str | None] = mapped_column(String(3))
    birth_name: Mapped[str] = mapped_column(String(100))
    usage_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    other_first_names: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(String(2))
    birth_country: Mapped[str | None] = mapped_column(String(2))
    birth_department: Mapped[str | None] = mapped_column(String(3))
    birth_commune: Mapped[str | None] = mapped_column(String(100))
    birth_town: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    # {has_bac, year, country, department, school, series, mention}
    bac: Mapped[dict] = mapped_column(JSONB, default=dict)
    # [{year, code, label, result, mention, mark}]
    cursus: Mapped[list] = mapped_column(JSONB, default=list)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """Consecutive failed logins per account (from anywhere, or from one of its
    known addresses) and per client address: the next attempt waits longer each
    time (bounded: slowed down, never locked out); the addresses an account
    logged in from (failures 0). Also the mails a neutral flow sent to one address
    ("mail-<flow>:<sha256>": failures = mails sent since last_failure_at, the
    start of the window; throttle.mail_allowed)."""
    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # "candidate:12:<sha256>", "address:<sha256>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginSession(Base):
    """A login, server side: the gateway's cookie carries only the session id,
    stored here as its SHA-256. Checked on every authenticated request, so an
    ended session (logout, new password, new address, account deleted, staff
    user disabled) stops working at once, even from a copied cookie."""
    __tablename__ = "login_sessions"
    __table_args__ = (
        CheckConstraint("(candidate_id IS NULL) <> (staff_id IS NULL)",
                        name="ck_login_sessions_one_owner"),
        CheckConstraint("method IN ('password', 'cas')", name="ck_login_sessions_method"),
        Index("ix_login_sessions_candidate", "candidate_id"),
        Index("ix_login_sessions_staff", "staff_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(10))  # how they logged in: password, cas
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The last time the user proved who they are (a CAS login is fresh for a
    # few minutes: enough to change the address or delete the account).
    authenticated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(30))
