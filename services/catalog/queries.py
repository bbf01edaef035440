"""Reads of the catalog database the entrypoints and the seed share."""
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from . import domain
from .models import Campaign, Centre, Formation, PieceDefinition


def active_campaign(session):
    return session.scalars(select(Campaign).where(Campaign.active.is_(True))).first()


def offered_formations(session, campaign_id):
    """The enabled formations of a campaign, with their centre."""
    return list(session.scalars(
        select(Formation).options(joinedload(Formation.centre))
        .where(Formation.campaign_id == campaign_id, Formation.enabled.is_(True))))


def formation_by_code(session, code, campaign_id):
    """A formation code is unique within a campaign only."""
    return session.scalars(
        select(Formation)
        .options(joinedload(Formation.centre), joinedload(Formation.commission),
                 joinedload(Formation.campaign))
        .where(Formation.campaign_id == campaign_id, Formation.code == code)).first()


def piece_definitions_for(session, formation):
    """Every definition that may apply to the formation: the institution's, its
    centre's and its own (domain.required_pieces chooses among them)."""
    return list(session.scalars(
        select(PieceDefinition).where(or_(
            PieceDefinition.scope == domain.INSTITUTION,
            (PieceDefinition.scope == domain.CENTRE)
            & (PieceDefinition.centre_id == formation.centre_id),
            (PieceDefinition.scope == domain.FORMATION)
            & (PieceDefinition.formation_id == formation.id)))))


def centres(session):
    return list(session.scalars(select(Centre).order_by(Centre.label, Centre.code)))


def offer_entries(session, campaign_id):
    """What the offer tree needs of the enabled formations of a campaign, read as
    plain rows (no ORM objects: the tree of thousands of formations stays fast)."""
    rows = session.execute(
        select(Formation.code, Formation.label, Formation.level, Formation.keywords,
               Formation.treatment_type, Formation.date_open, Formation.date_close,
               Centre.code, Centre.label)
        .join(Centre, Centre.id == Formation.centre_id)
        .where(Formation.campaign_id == campaign_id, Formation.enabled.is_(True)))
    return [{"code": code, "label": label, "level": level, "keywords": keywords,
             "treatment_type": treatment, "date_open": opening.isoformat(),
             "date_close": closing.isoformat(),
             "centre": {"code": centre_code, "label": centre_label}}
            for code, label, level, keywords, treatment, opening, closing, centre_code,
            centre_label in rows]
