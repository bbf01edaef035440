"""Tables of the applications service: applications, their pieces, the file
status history and the decisions (every entered decision is a row: the history).

Formation and candidate data are snapshots taken at creation (catalog and
accounts own the originals); the few columns copied out of them (centre_code, campaign_code)
exist so that lists can be filtered by scope and counted in SQL.
"""
from datetime import date, datetime

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, Sequence, String,
                        Text, UniqueConstraint, event, func, inspect, literal_column, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import (DeclarativeBase, Mapped, Session, mapped_column, query_expression,
                            relationship)

from services.common.db import messaging_tables
from services.common.idempotency import idempotency_table
from services.common.jobs import job_tables

from . import domain


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)
job_tables(Base.metadata)


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
    # The formation's treatment type (AC, AD, AT), followed until staff validate it.
    treatment_type: Mapped[str | None] = mapped_column(String(2))
    treatment_validated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    treatment_validated_by: Mapped[str | None] = mapped_column(String(200))
    confirm_deadline_override: Mapped[date | None] = mapped_column(Date)
    # The enrolment code (code OPI), made once when an admitted candidate confirms.
    opi_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    # The place on the formation's waiting list (1..n), recomputed when it changes.
    rank_real: Mapped[int | None] = mapped_column(Integer)
    # +1 on every change of the application or its rows: a form sent from a page
    # read before another change is refused (expected_version).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

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
    def confirm_deadline_applying(self):
        """The last day to confirm: the override staff set, else the one set
        when the favourable decision was validated."""
        return domain.applying_deadline(self.confirm_deadline_override, self.confirm_deadline)

    @property
    def settings(self):
        """The formation's review settings as this application knows them."""
        return domain.review_settings(self.formation)

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
# The treatment type the list shows and filters on: the application's own (the
# formation's, followed until staff validate it).
TREATMENT_TYPE = Application.treatment_type


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
    # DE: the motive's code in the catalogue's list (reason holds its label).
    reason_code: Mapped[str | None] = mapped_column(String(40))
    # Made by the system (FA of an AD formation, promotion from the waiting list).
    automatic: Mapped[bool] = mapped_column(Boolean, default=False,
                                            server_default=text("false"))


class ReminderSent(Base):
    """One reminder mail per (application, kind, deadline): two runs of the job
    at once, or again later, never send it twice."""
    __tablename__ = "reminders_sent"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # transmit, confirm
    deadline: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The numbers of the enrolment codes: never handed out twice, even by a rollback.
OPI_SEQUENCE = Sequence("opi_code_seq", metadata=Base.metadata)


# -- version: every change of an application counts ------------------------------------

_BUMPED = "applications.version_bumped"


def _owner(instance):
    if isinstance(instance, Application):
        return instance
    if isinstance(instance, ApplicationPiece):
        return instance.application
    return None


def _snapshot_only(instance):
    """The formation's copy refreshed from the catalog, nothing else: no staff
    form read before it is out of date for that."""
    if not isinstance(instance, Application):
        return False
    state = inspect(instance)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    return changed <= {"formation"} and not any(
        state.attrs[name].history.has_changes() for name in ("pieces", "history", "decisions"))


@event.listens_for(Session, "before_flush")
def _bump_versions(session, flush_context, instances):
    """Once per transaction, the version of each application changed (its row,
    its pieces, decisions or history added through it)."""
    bumped = session.info.setdefault(_BUMPED, set())
    for instance in list(session.dirty):
        application = _owner(instance)
        if application is None or application in session.new or application.id in bumped:
            continue
        if not session.is_modified(instance) or _snapshot_only(instance):
            continue
        bumped.add(application.id)
        application.version = (application.version or 0) + 1


@event.listens_for(Session, "after_transaction_end")
def _forget_bumped(session, transaction):
    if transaction.parent is None:
        session.info.pop(_BUMPED, None)


class ApplicationNote(Base):
    """A staff note ("Bloc-notes"): staff only, never shown to the candidate."""
    __tablename__ = "application_notes"
    __table_args__ = (Index("ix_application_notes_application_created", "application_id",
                            "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApplicationTag(Base):
    """A tag (a code of the catalogue's reference items of kind "tag") on an application."""
    __tablename__ = "application_tags"
    __table_args__ = (Index("ix_application_tags_tag_application", "tag_code",
                            "application_id"),)

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    tag_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# The staff view's notes and tags, read with the application's own row
# (notes.WITH_NOTES_AND_TAGS): a page reads one application in the same statements.
Application.staff_notes = query_expression()
Application.staff_tags = query_expression()
