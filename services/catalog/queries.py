"""Reads of the catalog database: every lookup and list the entrypoints, the
field checks, the import and the seed share (no SQL in service.py)."""
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from services.common.errors import NotFound

from . import domain
from . import exceptions as codes
from .models import (Campaign, Centre, Commission, Formation, FormationApplication,
                     PieceDefinition, ReferenceItem)


def active_campaign(session):
    return session.scalars(select(Campaign).where(Campaign.active.is_(True))).first()


def offered_formations(session, campaign_id):
    """The enabled formations of a campaign, with their centre."""
    return list(session.scalars(
        select(Formation).options(joinedload(Formation.centre))
        .where(Formation.campaign_id == campaign_id, Formation.enabled.is_(True))))


def formation_in_campaign(session, code, campaign_id):
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


# -- campaigns -------------------------------------------------------------------------

def campaigns(session):
    """Every campaign, the latest first."""
    return list(session.scalars(select(Campaign).order_by(Campaign.start.desc())))


def campaign_by_code(session, code, lock=False):
    query = select(Campaign).where(Campaign.code == str(code or "").upper())
    campaign = session.scalars(query.with_for_update() if lock else query).first()
    if campaign is None:
        raise NotFound(codes.CAMPAIGN_NOT_FOUND, "no such campaign")
    return campaign


def centre_by_code(session, code):
    centre = session.scalars(select(Centre).where(Centre.code == str(code or "").upper())).first()
    if centre is None:
        raise NotFound(codes.CENTRE_NOT_FOUND, "no such centre")
    return centre


def campaign_of(session, campaign=None, lock=False):
    """The campaign a formation code is looked up in: the one given (a Campaign
    or its code), else the active one; None when there is none. lock: FOR SHARE,
    so that archiving it waits for the write in progress."""
    if isinstance(campaign, Campaign):
        return campaign
    query = select(Campaign).where(Campaign.code == str(campaign).upper()) if campaign \
        else select(Campaign).where(Campaign.active.is_(True))
    return session.scalars(query.with_for_update(read=True) if lock else query).first()


def find_formation(session, code, lock=False, campaign=None):
    """The formation of that code in the campaign (given, else the active one),
    or None: a code is unique only within a campaign."""
    campaign = campaign_of(session, campaign)
    if campaign is None or not code:
        return None
    query = (select(Formation).options(joinedload(Formation.centre),
                                       joinedload(Formation.campaign))
             .where(Formation.campaign_id == campaign.id,
                    Formation.code == str(code).strip().upper()))
    return session.scalars(query.with_for_update(of=Formation) if lock else query).first()


def formation_by_code(session, code, lock=False, campaign=None):
    """find_formation, or NotFound formation_not_found."""
    formation = find_formation(session, code, lock=lock, campaign=campaign)
    if formation is None:
        raise NotFound(codes.FORMATION_NOT_FOUND, "no such formation")
    return formation


# Piece definitions listed as the candidate meets them: the institution's, then
# the centres', then the formations'.
SCOPE_ORDER = case({domain.INSTITUTION: 0, domain.CENTRE: 1, domain.FORMATION: 2},
                   value=PieceDefinition.scope, else_=3)


def find_centre(session, code):
    return session.scalars(select(Centre).where(Centre.code == str(code or "").upper())).first()


# -- commissions -----------------------------------------------------------------------

def commissions(session):
    return list(session.scalars(select(Commission).options(joinedload(Commission.centre))
                                .order_by(Commission.code)))


def find_commission(session, code, lock=False):
    """A commission by code with its centre, or None; lock: FOR UPDATE (a change)."""
    query = select(Commission).where(Commission.code == str(code or "").upper())
    if lock:
        return session.scalars(query.with_for_update()).first()
    return session.scalars(query.options(joinedload(Commission.centre))).first()


def commission_has_formations(session, commission):
    return session.scalar(select(Formation.id).where(Formation.commission_id == commission.id)
                          .limit(1)) is not None


# -- formations -------------------------------------------------------------------------

def formations(session, campaign_id):
    """A campaign's formations with their centre and commission, by code."""
    return list(session.scalars(
        select(Formation).options(joinedload(Formation.centre), joinedload(Formation.commission))
        .where(Formation.campaign_id == campaign_id).order_by(Formation.code)))


def formations_by_codes(session, campaign_id, formation_codes):
    return list(session.scalars(select(Formation).where(
        Formation.campaign_id == campaign_id, Formation.code.in_(formation_codes))
        .order_by(Formation.code)))


def application_count(session, campaign_code, formation_code):
    """Catalog's own count of a formation's applications in one campaign (a code
    comes back every campaign)."""
    return session.scalar(select(func.count()).select_from(FormationApplication).where(
        FormationApplication.campaign_code == campaign_code,
        FormationApplication.formation_code == formation_code))


def recorded_application(session, application_id):
    return session.get(FormationApplication, application_id)


# -- piece definitions -------------------------------------------------------------------

def piece_definitions(session):
    """Every definition with its owner, as the candidate meets them (SCOPE_ORDER)."""
    return list(session.scalars(
        select(PieceDefinition).options(joinedload(PieceDefinition.centre),
                                        joinedload(PieceDefinition.formation))
        .order_by(SCOPE_ORDER, PieceDefinition.order, PieceDefinition.code)))


def piece_definition(session, piece_id, lock=False):
    """A definition by id (digits only), or None."""
    if not str(piece_id).isdigit():
        return None
    query = select(PieceDefinition).where(PieceDefinition.id == int(piece_id))
    return session.scalars(query.with_for_update() if lock else query).first()


def formation_piece(session, formation, code):
    """The formation-scope definition of that code of a formation, or None."""
    return session.scalars(select(PieceDefinition).where(
        PieceDefinition.scope == domain.FORMATION, PieceDefinition.formation_id == formation.id,
        PieceDefinition.code == code)).first()


def document_in_use(session, document_id):
    """Whether a piece template or a commission signature still refers to the
    file (one template may serve the formations it was assigned to)."""
    return session.scalar(select(PieceDefinition.id).where(
        PieceDefinition.template_document_id == document_id).limit(1)) is not None \
        or session.scalar(select(Commission.id).where(
            Commission.signature_document_id == document_id).limit(1)) is not None


def delete_formation_pieces(session, formation):
    session.execute(PieceDefinition.__table__.delete().where(
        PieceDefinition.formation_id == formation.id))


# -- reference lists ----------------------------------------------------------------------

def reference_items(session, kind, include_inactive=False):
    query = select(ReferenceItem).where(ReferenceItem.kind == kind)
    if not include_inactive:
        query = query.where(ReferenceItem.active.is_(True))
    return list(session.scalars(query.order_by(ReferenceItem.order, ReferenceItem.code)))


def reference_item(session, kind, code):
    return session.scalars(select(ReferenceItem).where(
        ReferenceItem.kind == kind, ReferenceItem.code == code)).first()
