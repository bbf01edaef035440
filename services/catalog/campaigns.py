"""A campaign's life: exactly one active at a time; archiving freezes it and
hands the activity on to the next one."""
from sqlalchemy import select

from services.common.errors import Conflict

from . import exceptions as codes
from .models import Campaign


def activate(session, campaign):
    """Exactly one active campaign: the previous one stops being active."""
    if campaign.archived_at is not None:
        raise Conflict(codes.CAMPAIGN_ARCHIVED, "an archived campaign cannot be active")
    for other in session.scalars(select(Campaign).where(Campaign.active.is_(True))
                                 .with_for_update()):
        other.active = False
    session.flush()  # the unique index allows one active campaign at a time
    campaign.active = True


def archive(session, campaign, today):
    """Freezes the campaign; if it was the active one, the next campaign (by
    start date) not archived becomes active. -> the campaign now active or None."""
    if campaign.archived_at is not None:
        raise Conflict(codes.CAMPAIGN_ARCHIVED, "already archived")
    was_active, campaign.active, campaign.archived_at = campaign.active, False, today
    session.flush()
    if not was_active:
        return None
    following = session.scalars(
        select(Campaign).where(Campaign.archived_at.is_(None), Campaign.id != campaign.id,
                               Campaign.start >= campaign.start)
        .order_by(Campaign.start, Campaign.id)).first()
    if following is not None:
        following.active = True
    return following


def archive_and_announce(db, campaign, today):
    """`archive`, and the events saying so (the applications freeze, the
    documents start counting their retention, the next campaign is active).
    -> the campaign now active or None."""
    following = archive(db.session, campaign, today)
    db.emit("campaign_archived", {"code": campaign.code,
                                  "next_active": following.code if following else None})
    if following is not None:
        db.emit("campaign_activated", {"code": following.code})
    return following


def ended_active_campaign(session, today):
    """The active campaign if its end date has passed (locked), else None."""
    return session.scalars(select(Campaign).where(Campaign.active.is_(True),
                                                  Campaign.end < today)
                           .with_for_update(skip_locked=True)).first()


def require_open_campaign(campaign):
    """An archived campaign is frozen: its formations and their pieces too."""
    if campaign is not None and campaign.archived_at is not None:
        raise Conflict(codes.CAMPAIGN_ARCHIVED, "this campaign is archived")
