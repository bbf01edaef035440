"""File metadata; the bytes live in S3/MinIO under `object_key`."""
from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import messaging_tables
from services.common.idempotency import idempotency_table
from services.common.jobs import job_tables


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)
job_tables(Base.metadata)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_application", "application_id", "kind"),
        # The candidate's storage quota sums their rows at every upload.
        Index("ix_documents_candidate", "candidate_id", "status"),
        Index("ix_documents_status_created", "status", "created_at"),
        # One kept admission letter per application, even when two requests race.
        Index("uq_documents_admission_letter", "application_id", unique=True,
              postgresql_where=text("kind = 'admission_letter' AND status = 'stored'")),
        # The sweep finds the files still waiting for the virus scanner.
        Index("ix_documents_scanning", "created_at",
              postgresql_where=text("status = 'scanning'")),
        # A generated PDF is looked up by what it was made from.
        Index("ix_documents_fingerprint", "fingerprint",
              postgresql_where=text("fingerprint IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)           # uuid4 string
    kind: Mapped[str] = mapped_column(String(20))    # piece (merged), part, admission_letter
    status: Mapped[str] = mapped_column(String(10))  # pending, scanning, stored, rejected, deleted
    candidate_id: Mapped[int | None]
    application_id: Mapped[int | None]
    piece_code: Mapped[str | None] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(String(50))   # from the content, once stored
    size: Mapped[int | None] = mapped_column(BigInteger)           # measured in storage
    # What the uploader announced: an unfinished upload counts this much in the quota.
    declared_size: Mapped[int | None] = mapped_column(BigInteger)
    max_size: Mapped[int | None] = mapped_column(BigInteger)       # the limit it was accepted under
    object_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Generated PDFs (dossier, letters): what they were made from, hashed, so the
    # same content is served from storage and any change makes a new one.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    # The uploaded file's own type when it was converted (an image made a PDF page).
    source_type: Mapped[str | None] = mapped_column(String(50))
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scan_result: Mapped[str | None] = mapped_column(String(200))  # clean, or the signature found


class PieceFile(Base):
    """The files (kind part) a piece's merged PDF (kind piece) is made of, in the
    candidate's order. A merged PDF is never changed: adding, removing or
    reordering files makes a new one, which the application's piece then holds."""
    __tablename__ = "piece_files"
    __table_args__ = (Index("ix_piece_files_part", "part_id"),)

    bundle_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    part_id: Mapped[str] = mapped_column(String(36), ForeignKey("documents.id", ondelete="CASCADE"))


# -- what retention and the clean-up need to know, kept from other services' events --

class ApplicationCampaign(Base):
    """The campaign of each application documents has heard of
    (`application_created`): a file's campaign is its application's."""
    __tablename__ = "application_campaigns"
    __table_args__ = (Index("ix_application_campaigns_campaign", "campaign_code"),
                      Index("ix_application_campaigns_candidate", "candidate_id"))

    application_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    campaign_code: Mapped[str] = mapped_column(String(20))
    candidate_id: Mapped[int | None] = mapped_column(BigInteger)


class ArchivedCampaign(Base):
    """Campaigns archived (`campaign_archived`) and the Paris day they were:
    their files are destroyed RETENTION_DAYS after it."""
    __tablename__ = "archived_campaigns"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    archived_on: Mapped[date] = mapped_column(Date)
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeletedCandidate(Base):
    """Accounts deleted (`account_deleted`): a file of theirs that appears
    later (an upload in flight at that moment) is an orphan."""
    __tablename__ = "deleted_candidates"

    candidate_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LetterTemplate(Base):
    """A commission's own wording of a letter; without a row, the default in letters.py."""
    __tablename__ = "letter_templates"

    commission_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)   # admission, refusal
    body: Mapped[str] = mapped_column(Text)
    # Whether the letter goes with the decision mail (notifications asks).
    attach: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Archive(Base):
    """Several dossiers as one ZIP or one merged PDF, built in the background
    (archives.py); its link works until `expires_at`."""
    __tablename__ = "archives"
    __table_args__ = (Index("ix_archives_queued", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer)          # the staff member who asked
    format: Mapped[str] = mapped_column(String(10))          # zip, pdf
    status: Mapped[str] = mapped_column(String(10))          # queued, running, done, failed
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    dossiers: Mapped[list] = mapped_column(JSONB)             # what render_dossier takes, each
    object_key: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
