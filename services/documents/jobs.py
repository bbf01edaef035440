"""The documents service's scheduled jobs (services/common/jobs.py).

- `remove_orphaned_files`: files nothing will ever use. Uploads never
  confirmed after ORPHAN_GRACE_HOURS (24), files of deleted accounts (an upload
  in flight when the account went), and objects of the bucket that no record
  keeps (a PUT landed after its upload was discarded, a removal that failed),
  once older than the grace period. A file waiting for the virus scanner is
  no orphan, however long clamd stays away; a deleted account's files and
  merged PDFs go alike. Afterwards the bucket and the table agree
  (`python -m services.documents.check`).
- `destroy_expired_files`: the files of the applications of campaigns archived
  RETENTION_DAYS (365) ago or more are destroyed, bytes and records, with a
  report per campaign. A file's campaign is its application's
  (`application_created`); a file whose application documents never heard of
  is kept. A piece file of a candidate who also applied in a campaign not yet
  past retention is kept too: a shared piece (an ID card) may serve that
  application. A piece's merged PDF and the files it is made of go together: a
  file stays while a merged PDF kept holds it, and goes with the last merged
  PDF destroyed that held it. Never a file of an active campaign: only
  archived campaigns count, and an archived campaign is never active again.
"""
import logging
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from services.common.clock import paris_today
from services.common.config import env
from services.common.jobs import Jobs, daily

from . import check, domain
from .dependencies import ObjectStore, storage_settings
from .models import ApplicationCampaign, ArchivedCampaign, DeletedCandidate, Document, PieceFile

log = logging.getLogger(__name__)

BATCH = 500  # files a run handles per step; the next run goes on
_store = None


def storage():
    """The bucket, as the service's Storage dependency opens it."""
    global _store
    if _store is None:
        _store = ObjectStore(storage_settings())
    return _store


def orphan_grace():
    return timedelta(hours=float(env("ORPHAN_GRACE_HOURS", "24")))


def retention_days():
    return int(env("RETENTION_DAYS", "365"))


def remove_orphaned_files(unit, now, store=None):
    store = store or storage()
    session, cutoff = unit.session, now - orphan_grace()
    counts = {"unfinished_uploads": 0, "deleted_accounts": 0, "stray_objects": 0}
    unfinished = session.scalars(
        select(Document).where(Document.status == domain.PENDING, Document.created_at < cutoff)
        .order_by(Document.created_at).limit(BATCH).with_for_update(skip_locked=True)).all()
    for document in unfinished:
        store.remove(document.object_key)  # object first: a failure leaves the row to retry
        session.delete(document)
        counts["unfinished_uploads"] += 1
    of_deleted = session.scalars(
        select(Document).where(Document.candidate_id.in_(select(DeletedCandidate.candidate_id)))
        .limit(BATCH).with_for_update(skip_locked=True)).all()
    for document in of_deleted:
        store.remove(document.object_key)
        session.delete(document)
        counts["deleted_accounts"] += 1
    unit.commit()
    # Read after the commit: an object whose record appears later was PUT later
    # still, so it is younger than the cutoff and stays.
    kept = set(session.scalars(select(Document.object_key).where(
        Document.status.in_(check.KEPT))))
    unit.rollback()  # nothing held while the bucket is listed
    for key, _size, modified in store.objects():
        if key not in kept and modified is not None and modified < cutoff:
            store.remove(key)
            counts["stray_objects"] += 1
    return counts


def destroy_expired_files(unit, now, store=None):
    store = store or storage()
    session = unit.session
    last_day = paris_today(now) - timedelta(days=retention_days())
    expired = dict(session.execute(select(ArchivedCampaign.code, ArchivedCampaign.archived_on)
                                   .where(ArchivedCampaign.archived_on <= last_day,
                                          ArchivedCampaign.destroyed_at.is_(None))).all())
    counts = {"campaigns": sorted(expired), "applications": 0, "files": 0, "bytes": 0,
              "kept_for_another_campaign": 0}
    if not expired:
        return counts
    application = ApplicationCampaign
    bundle, link = aliased(Document), aliased(PieceFile)  # apart from the outer query's
    expired_applications = select(application.application_id).where(
        application.campaign_code.in_(sorted(expired)))
    # candidates with an application in a campaign not past retention keep their
    # piece files (a piece's merged PDF and the files it is made of alike): a
    # shared piece may serve that application too
    still_applying = select(application.candidate_id).where(
        application.campaign_code.not_in(
            select(ArchivedCampaign.code).where(ArchivedCampaign.archived_on <= last_day)),
        application.candidate_id.is_not(None))

    def free(document):
        return or_(document.kind.not_in((domain.PIECE, domain.PART)),
                   document.candidate_id.is_(None),
                   document.candidate_id.not_in(still_applying))

    # a merged piece that stays keeps the files it is made of, whatever their campaign
    held = (select(link.part_id).join(bundle, bundle.id == link.bundle_id)
            .where(link.part_id == Document.id, bundle.status != domain.DELETED,
                   ~and_(bundle.application_id.in_(expired_applications), free(bundle)))
            .exists())
    destroyable = and_(free(Document), ~held)
    of_expired = (select(Document, application.campaign_code)
                  .join(application, application.application_id == Document.application_id)
                  .where(application.campaign_code.in_(sorted(expired))))
    rows = session.execute(of_expired.where(destroyable)
                           .order_by(Document.application_id, Document.id)
                           .limit(BATCH).with_for_update(of=Document, skip_locked=True)).all()
    # a merged piece destroyed takes its files along in the same run, even those
    # uploaded for an application documents never heard of: nothing else holds them
    taken = {document.id for document, _campaign in rows}
    bundles = {document.id: campaign for document, campaign in rows
               if document.kind == domain.PIECE}
    if bundles:
        along = session.execute(
            select(Document, PieceFile.bundle_id)
            .join(PieceFile, PieceFile.part_id == Document.id)
            .where(PieceFile.bundle_id.in_(sorted(bundles)), Document.id.not_in(sorted(taken)),
                   destroyable)
            .order_by(Document.id).with_for_update(of=Document, skip_locked=True)).all()
        for document, bundle_id in along:
            if document.id not in taken:
                taken.add(document.id)
                rows.append((document, bundles[bundle_id]))
    report = {code: {"files": 0, "bytes": 0} for code in expired}
    for document, campaign in rows:
        if document.status != domain.DELETED:  # a deleted one's bytes are gone already
            store.remove(document.object_key)
            report[campaign]["files"] += 1
            report[campaign]["bytes"] += document.size or 0
        session.delete(document)
    session.flush()
    # applications left without a file are forgotten; a campaign with nothing left is done
    emptied = session.scalars(
        select(application).where(
            application.campaign_code.in_(sorted(expired)),
            ~select(Document.id).where(Document.application_id == application.application_id)
            .exists()).with_for_update(skip_locked=True)).all()
    for row in emptied:
        session.delete(row)
    counts["applications"] = len(emptied)
    session.flush()
    remaining = dict(session.execute(
        select(application.campaign_code, func.count()).select_from(Document)
        .join(application, application.application_id == Document.application_id)
        .where(application.campaign_code.in_(sorted(expired)))
        .group_by(application.campaign_code)).all())
    counts["kept_for_another_campaign"] = session.scalar(
        select(func.count()).select_from(of_expired.where(~destroyable).subquery()))
    for code in expired:
        if not remaining.get(code):
            session.get(ArchivedCampaign, code, with_for_update=True).destroyed_at = now
    for code, done in sorted(report.items()):
        counts["files"] += done["files"]
        counts["bytes"] += done["bytes"]
        log.info("retention: campaign %s (archived on %s): %d files, %d bytes destroyed%s",
                 code, expired[code].isoformat(), done["files"], done["bytes"],
                 "" if not remaining.get(code) else f"; {remaining[code]} kept for now")
    return counts


JOBS = Jobs()
JOBS.add("remove_orphaned_files", remove_orphaned_files, daily(2, 30),
         "Unfinished uploads, files of deleted accounts and stray objects removed "
         "after ORPHAN_GRACE_HOURS")
JOBS.add("destroy_expired_files", destroy_expired_files, daily(3, 0),
         "Files of campaigns archived RETENTION_DAYS ago destroyed, with a report")
