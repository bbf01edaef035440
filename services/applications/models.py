"""Tables of the applications service: applications, their pieces, the file
status history and the decisions (every entered decision is a row: the history).

Formation and candidate data are snapshots taken at creation (catalog and
accounts own the originals); the few columns copied out of them (centre_code, campaign_code)
exist so that lists can be filtered by scope and counted in SQL.
"""
from datetime import date, datetime

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, func, literal_column, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.db import messaging_tables
from services.common.idempotency import idempotency_table

from . import domain


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One active application per (candidate, formation) in a campaign (a
        # formation code comes back every campaign); a cancelled one frees the
        # place so the candidate may apply again.
        Index("uq_applications_active_candidate_campaign_formation", "candidate_id",
              "campaign_code", "formation_code", unique=True,
              postgresql_where=text("cancelled_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(Integer, index=True)
    formation_code: Mapped[str] = mapped_column(String(40), index=True)
    centre_code: Mapped[str] = mapped_column(String(40), index=True)
    # The formation's campaign: limits are counted within it.
    campaign_code: Mapped[str] = mapped_column(String(20), index=True, default="",
                                               server_default="")
    formation: Mapped[dict] = mapped_column(JSONB)   # catalog.get_formation at creation
    candidate: Mapped[dict] = mapped_column(JSONB)   # accounts.check_ready_to_apply at creation
    status: Mapped[str] = mapped_column(String(2), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    transmitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_deadline_override: Mapped[date | None] = mapped_column(Date)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirm_deadline: Mapped[date | None] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when its campaign is archived (catalog.campaign_archived): read-only.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    pieces: Mapped[list["ApplicationPiece"]] = relationship(
        back_populates="application", order_by="(ApplicationPiece.order, ApplicationPiece.id)",
        cascade="all, delete-orphan")
    history: Mapped[list["StatusChange"]] = relationship(
        order_by="StatusChange.id", cascade="all, delete-orphan")
    decisions: Mapped[list["Decision"]] = relationship(
        order_by="Decision.id", cascade="all, delete-orphan")

    @property
    def cancelled(self):
        return self.cancelled_at is not None

    def piece(self, code):
        """The piece of that code, or None."""
        return next((p for p in self.pieces if p.code == code), None)

    @property
    def piece_statuses(self):
        """{piece code: status}, what transmission and completion are checked on."""
        return {p.code: p.status for p in self.pieces}

    def piece_template(self, code):
        """The template of a piece to fill in ({template_document_id,
        template_filename...}), from the formation taken at creation; {} if none."""
        for piece in (self.formation or {}).get("pieces") or []:
            if piece.get("code") == code and piece.get("template_document_id"):
                return piece
        return {}

    @property
    def dates(self):
        """The formation's dates as this application knows them (refreshed when
        staff move them: schemas.refresh_dates)."""
        return (self.formation or {}).get("dates") or {}

    @property
    def return_deadline(self):
        """The last day to transmit: the override staff set on this application,
        else the formation's date_return; None when neither is set."""
        return domain.return_deadline(self.return_deadline_override, self.dates)

    @property
    def last_validated(self):
        """The decision the candidate is told: the last one validated, or None."""
        done = [d for d in self.decisions if d.validated_at is not None]
        return max(done, key=lambda d: (d.validated_at, d.id)) if done else None

    @property
    def decision_code(self):
        """The code of the last validated decision (FA, DE...), or None."""
        decision = self.last_validated
        return decision.code if decision else None

    @property
    def pending_decision(self):
        """The last entered decision while it is not validated, else None."""
        last = self.decisions[-1] if self.decisions else None
        return last if last is not None and last.validated_at is None else None


def json_text(column, *path):
    """column -> 'a' ->> 'b': the keys written into the SQL, not bound as
    parameters, so that an index on the expression serves every query
    written the same (a plan made for parameters could not use it)."""
    expression = column
    for key in path[:-1]:
        expression = expression.op("->")(literal_column(f"'{key}'"))
    return expression.op("->>", return_type=Text)(literal_column(f"'{path[-1]}'"))


# The staff list's sort keys and the committee's scope, out of the snapshots
# (queries.py sorts and filters on them; the indexes below are on them).
CANDIDATE_NAME = (func.lower(json_text(Application.candidate, "last_name")),
                  func.lower(json_text(Application.candidate, "first_name")))
FORMATION_LABEL = (func.lower(json_text(Application.formation, "label")),)
COMMISSION_CODE = json_text(Application.formation, "commission", "code")
# The treatment type the list shows and filters on: the formation's at creation
# until applications keeps its own (validated) one; then Application.treatment_type.
TREATMENT_TYPE = json_text(Application.formation, "treatment_type")


def _active_list_index(name, *key):
    """An index of the staff list (migration 0005): active applications only."""
    return Index(name, *key, postgresql_where=Application.cancelled_at.is_(None))


_LATEST_FIRST = (Application.transmitted_at.desc().nulls_last(), Application.id.desc())
_active_list_index("ix_applications_list_transmitted", *_LATEST_FIRST)
_active_list_index("ix_applications_list_centre_transmitted", Application.centre_code,
                   *_LATEST_FIRST)
_active_list_index("ix_applications_list_centre_status_transmitted", Application.centre_code,
                   Application.status, *_LATEST_FIRST)
_active_list_index("ix_applications_list_centre_candidate", Application.centre_code,
                   *CANDIDATE_NAME, Application.id)
_active_list_index("ix_applications_list_commission_transmitted", COMMISSION_CODE,
                   *_LATEST_FIRST)
# migration 0008: the other sorts of a centre's list
_active_list_index("ix_applications_list_centre_created", Application.centre_code,
                   Application.created_at.desc(), Application.id.desc())
_active_list_index("ix_applications_list_centre_number", Application.centre_code,
                   json_text(Application.candidate, "dossier_number"), Application.id)
_active_list_index("ix_applications_list_centre_formation", Application.centre_code,
                   *FORMATION_LABEL, Application.id)


class ApplicationPiece(Base):
    __tablename__ = "application_pieces"
    __table_args__ = (UniqueConstraint("application_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(Text)
    order: Mapped[int] = mapped_column(Integer, default=0)
    conditional: Mapped[bool] = mapped_column(Boolean, default=False)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(2))
    comment: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[str | None] = mapped_column(String(64), index=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    # The upload ticket handed out by start_piece_upload: finish_piece_upload
    # accepts only this document, so nobody attaches a document that is not theirs.
    pending_document_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Who last set its status (VA, RE) on the staff side, and when (migration 0008).
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    application: Mapped[Application] = relationship(back_populates="pieces")


class StatusChange(Base):
    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(2))  # None: creation
    to_status: Mapped[str] = mapped_column(String(2))
    by: Mapped[str] = mapped_column(String(200))        # label shown in the history
    by_kind: Mapped[str] = mapped_column(String(20))    # candidate, staff, system
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)


class Decision(Base):
    __tablename__ = "decisions"
    # The list's "last validated decision" of an application, read per row.
    __table_args__ = (Index("ix_decisions_application_validated", "application_id",
                            text("validated_at DESC"), text("id DESC")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(2))
    comment: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    rank: Mapped[int | None] = mapped_column(Integer)
    convocation: Mapped[dict | None] = mapped_column(JSONB)  # PR: {date, time, place}
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    validated_by: Mapped[str | None] = mapped_column(String(200))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
