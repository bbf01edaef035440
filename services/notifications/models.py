"""What notifications keeps: each candidate's contact (copied from accounts
events) and the log of every mail, one row per (event, mail code)."""
from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import messaging_tables


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)


class Recipient(Base):
    __tablename__ = "recipients"

    candidate_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(String(254))
    dossier_number: Mapped[str] = mapped_column(String(12))
    civility: Mapped[str | None] = mapped_column(String(3))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    lang: Mapped[str] = mapped_column(String(2), default="fr")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Mail(Base):
    __tablename__ = "mails"
    __table_args__ = (
        UniqueConstraint("event_id", "code", name="uq_mails_event_code"),  # a redelivery never mails twice
        Index("ix_mails_candidate_created", "candidate_id", "created_at"),
        Index("ix_mails_status_due", "status", "next_attempt_at"),  # the delivery loop's claim
        Index("ix_mails_failed", "last_attempt_at",  # the administrators' failed mails page
              postgresql_where=text("status IN ('failed', 'refused', 'unconfirmed')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    code: Mapped[str] = mapped_column(String(40))
    candidate_id: Mapped[int | None]
    to_address: Mapped[str] = mapped_column(String(254))
    lang: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # as shown in the portal: no working link
    # The token-bearing link of an account mail, kept only until it is
    # delivered (domain.reveal_link puts it back into the body sent).
    secret: Mapped[str | None] = mapped_column(Text)
    # The centre of the application a mail is about: staff limited to some
    # centres read only those mails.
    centre_code: Mapped[str | None] = mapped_column(String(40))
    # ... and its commission: committee members read only their commissions' mails.
    commission_code: Mapped[str | None] = mapped_column(String(40))
    # The application it is about, and its commission's label (a commission's
    # daily digest lists its alerts with links to them).
    application_id: Mapped[int | None]
    commission_label: Mapped[str | None] = mapped_column(String(200))
    # Who it is written to: the candidate, or a commission (alerts, which the
    # candidate never reads in the portal).
    audience: Mapped[str] = mapped_column(String(12), default="candidate",
                                          server_default="candidate")
    # queued (waiting for its next attempt), sending (an attempt committed before
    # its SMTP conversation), sent, failed (given up after the retry window),
    # held (a commission alert waiting for its daily digest), digested (sent in
    # one), refused (the relay refused it for good: 5xx or a bad address; shown to
    # staff, not retried), unconfirmed (found in sending: SMTP may have accepted it; never resent
    # automatically, a person decides).
    status: Mapped[str] = mapped_column(String(12), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # The Message-ID header of the last attempt, recorded before SMTP is spoken:
    # what the relay's logs can be searched for when an attempt's fate is unknown.
    message_id: Mapped[str | None] = mapped_column(String(255))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Where its retry window starts: when stored, or when an administrator
    # resent it (a resent mail gets a whole window again).
    window_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TemplateVersion(Base):
    """One saved version of a mail template (code, language). The latest one is
    in force; one with no subject and body says "the shipped default" (a reset).
    Nothing is overwritten: reverting saves an older version again."""
    __tablename__ = "mail_template_versions"
    __table_args__ = (
        UniqueConstraint("code", "lang", "version", name="uq_mail_template_versions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(2))
    version: Mapped[int]
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    # edit, revert (to `reverted_from`), reset (back to the shipped file)
    action: Mapped[str] = mapped_column(String(10), default="edit")
    reverted_from: Mapped[int | None]
    author_id: Mapped[int | None]
    author_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
