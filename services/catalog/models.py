"""Tables of the catalog service: campaign -> centre -> commission
-> formation, and the piece definitions attached to the institution, a centre or
a formation.

The rules that can be stated in SQL are also check constraints, so a bad row
cannot get in even by hand (domain.py gives the same rules field codes).
"""
from datetime import date

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.db import messaging_tables
from services.common.idempotency import idempotency_table
from services.common.jobs import job_tables

from . import domain


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)
idempotency_table(Base.metadata)
job_tables(Base.metadata)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        # At most one active campaign; the unique partial index makes a second
        # one impossible even with two writers at once.
        Index("uq_campaigns_one_active", "active", unique=True,
              postgresql_where=text("active")),
        CheckConstraint('start <= "end"', name="ck_campaigns_start_before_end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    login_until: Mapped[date] = mapped_column(Date)  # candidates cannot log in after it
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Archived: frozen, never active again (its applications are read-only).
    archived_at: Mapped[date | None] = mapped_column(Date)


class Centre(Base):
    """Centre de candidature: its contact, its limits, and the default dates
    proposed for its new formations."""
    __tablename__ = "centres"
    __table_args__ = (
        CheckConstraint(f"max_file_size > 0 AND max_file_size <= {domain.MAX_FILE_SIZE_CAP}",
                        name="ck_centres_max_file_size"),
        CheckConstraint("max_applications IS NULL OR max_applications > 0",
                        name="ck_centres_max_applications"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    # NULL: no limit of its own, the institution's (20 applications in all) applies.
    max_applications: Mapped[int | None] = mapped_column(Integer)
    max_file_size: Mapped[int] = mapped_column(
        Integer, default=domain.DEFAULT_MAX_FILE_SIZE,
        server_default=text(str(domain.DEFAULT_MAX_FILE_SIZE)))  # bytes
    online: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Put before the number of the enrolment code (code OPI) of its admitted candidates.
    opi_prefix: Mapped[str] = mapped_column(String(10), default="", server_default="")
    default_date_open: Mapped[date | None] = mapped_column(Date)
    default_date_close: Mapped[date | None] = mapped_column(Date)
    default_date_return: Mapped[date | None] = mapped_column(Date)
    default_date_jury: Mapped[date | None] = mapped_column(Date)
    default_date_publish: Mapped[date | None] = mapped_column(Date)
    default_date_confirm: Mapped[date | None] = mapped_column(Date)
    default_confirm_days: Mapped[int | None] = mapped_column(Integer)

    commissions: Mapped[list["Commission"]] = relationship(back_populates="centre")


class Commission(Base):
    __tablename__ = "commissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    address: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    signatory: Mapped[str | None] = mapped_column(String(200))  # signs the letters
    # The signature image (PNG or JPEG), stored by the documents service.
    signature_document_id: Mapped[str | None] = mapped_column(String(36))
    # Its members are not kept here: accounts owns them (staff_users.commissions
    # and presides), set through accounts.set_commission_members.
    # Which events mail the commission (COMMISSION_* mails).
    alerts: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")

    centre: Mapped[Centre] = relationship(back_populates="commissions")


class Formation(Base):
    __tablename__ = "formations"
    __table_args__ = (
        CheckConstraint(f"treatment_type IN {domain.TREATMENT_TYPES!r}",
                        name="ck_formations_treatment_type"),
        # Open <= close <= return <= jury <= publish <= confirm.
        CheckConstraint("date_open <= date_close AND date_close <= date_return "
                        "AND date_return <= date_jury AND date_jury <= date_publish "
                        "AND (date_confirm IS NULL OR date_publish <= date_confirm)",
                        name="ck_formations_date_order"),
        # A fixed confirmation date, or N days after the decision: exactly one.
        CheckConstraint("(date_confirm IS NULL) <> (confirm_days IS NULL)",
                        name="ck_formations_one_confirm_rule"),
        CheckConstraint("confirm_days IS NULL OR confirm_days > 0",
                        name="ck_formations_confirm_days"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="ck_formations_capacity"),
        CheckConstraint(f"rank_display IN {domain.RANK_DISPLAYS!r}",
                        name="ck_formations_rank_display"),
        CheckConstraint("reminder_days >= 0", name="ck_formations_reminder_days"),
        # A formation code is reused from one campaign to the next: unique per campaign.
        UniqueConstraint("campaign_id", "code", name="uq_formations_campaign_code"),
        # Rendered as a link to candidates: web addresses only (no javascript:).
        CheckConstraint("url IS NULL OR url ~* '^https?://'", name="ck_formations_url_http"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(100))  # diploma level label, e.g. "M- MASTER"
    keywords: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    treatment_type: Mapped[str] = mapped_column(String(2))
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    commission_id: Mapped[int] = mapped_column(ForeignKey("commissions.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    date_open: Mapped[date] = mapped_column(Date)
    date_close: Mapped[date] = mapped_column(Date)
    date_return: Mapped[date] = mapped_column(Date)
    date_jury: Mapped[date] = mapped_column(Date)
    date_publish: Mapped[date] = mapped_column(Date)
    date_confirm: Mapped[date | None] = mapped_column(Date)
    confirm_days: Mapped[int | None] = mapped_column(Integer)  # N days after validation
    # The review settings: the first on the waiting list takes an admitted
    # candidate's place when they withdraw; which rank candidates see (none,
    # the entered one, the recomputed one); the reminder mails' days before a deadline.
    auto_promotion: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=text("false"))
    rank_display: Mapped[str] = mapped_column(String(8), default="real", server_default="real")
    reminder_days: Mapped[int] = mapped_column(Integer, default=2, server_default=text("2"))

    centre: Mapped[Centre] = relationship()
    commission: Mapped[Commission] = relationship()
    campaign: Mapped[Campaign] = relationship()

    def dates(self):
        return {field: getattr(self, field) for field in domain.DATE_FIELDS}


class PieceDefinition(Base):
    """A piece asked of candidates: institution-wide, for one centre's formations
    or for one formation; `treatment_type` NULL means for every treatment type."""
    __tablename__ = "piece_definitions"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'institution' AND centre_id IS NULL AND formation_id IS NULL) OR "
            "(scope = 'centre' AND centre_id IS NOT NULL AND formation_id IS NULL) OR "
            "(scope = 'formation' AND formation_id IS NOT NULL AND centre_id IS NULL)",
            name="ck_piece_definitions_scope_owner"),
        CheckConstraint(f"treatment_type IS NULL OR treatment_type IN {domain.TREATMENT_TYPES!r}",
                        name="ck_piece_definitions_treatment_type"),
        # One definition of a code per owner (NULL owners are not equal in a plain
        # unique constraint, hence one partial index per scope).
        Index("uq_piece_definitions_institution_code", "code", unique=True,
              postgresql_where=text("scope = 'institution'")),
        Index("uq_piece_definitions_centre_code", "centre_id", "code", unique=True,
              postgresql_where=text("scope = 'centre'")),
        Index("uq_piece_definitions_formation_code", "formation_id", "code", unique=True,
              postgresql_where=text("scope = 'formation'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(Text)  # may carry instructions for the candidate
    order: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    conditional: Mapped[bool] = mapped_column(Boolean, default=False,
                                              server_default=text("false"))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    scope: Mapped[str] = mapped_column(String(20))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    formation_id: Mapped[int | None] = mapped_column(ForeignKey("formations.id"), index=True)
    treatment_type: Mapped[str | None] = mapped_column(String(2))
    # A form to download, fill in and upload again (stored by the documents service).
    template_document_id: Mapped[str | None] = mapped_column(String(36))
    template_filename: Mapped[str | None] = mapped_column(String(100))

    centre: Mapped[Centre | None] = relationship()
    formation: Mapped[Formation | None] = relationship()


class ReferenceItem(Base):
    """The institution's reference lists: refusal motives (`motive`), tags with
    a colour (`tag`), diploma levels of the offer tree (`level`)."""
    __tablename__ = "reference_items"
    __table_args__ = (
        CheckConstraint("kind IN ('motive', 'tag', 'level')", name="ck_reference_items_kind"),
        Index("uq_reference_items_kind_code", "kind", "code", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    colour: Mapped[str | None] = mapped_column(String(7))  # tags: #rrggbb
    order: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class FormationApplication(Base):
    """The applications made to a formation (from applications'
    application_created events, cancelled ones included): a formation that
    has any cannot be deleted. Catalog keeps this copy so that it never calls
    applications, which calls catalog."""
    __tablename__ = "formation_applications"

    application_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    formation_code: Mapped[str] = mapped_column(String(40))
    campaign_code: Mapped[str] = mapped_column(String(20))

    __table_args__ = (Index("ix_formation_applications_formation",
                            "campaign_code", "formation_code"),)
