"""Several dossiers at once, for staff: a ZIP of dossier PDFs or one merged PDF.
Built in the background (DocumentsService.build_archives, a timer): the request
is queued with the dossiers' data, the builder claims it (FOR UPDATE SKIP
LOCKED: two instances never build the same), records its progress after each
dossier and uploads the result from a temporary file, so memory holds one
dossier at a time, whatever the count (a merged PDF keeps each dossier's pages
until it is written: MAX_MERGED dossiers at most). The link lasts ARCHIVE_HOURS."""
import io
import os
import tempfile
import zipfile
from datetime import timedelta

from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from services.common.config import env
from services.common.errors import ValidationFailed

from . import dossier
from . import exceptions as codes
from .models import Archive

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
EXPIRED = "expired"  # shown only: a done archive past its expires_at
FORMATS = ("zip", "pdf")
MAX_DOSSIERS = 500  # a centre's filtered list; more goes in several requests
# A merged PDF keeps every page until it is written (pypdf): fewer dossiers.
MAX_MERGED = 100
# A builder that died mid-way leaves its archive "running": taken again once
# this passed without progress (expires_at is the deadline while it runs).
STALE_AFTER = timedelta(minutes=10)


def link_lifetime():
    """How long a built archive can be downloaded (ARCHIVE_HOURS, 2 by default)."""
    return timedelta(hours=int(env("ARCHIVE_HOURS", "2")))


def check_request(format, dossiers):
    if format not in FORMATS:
        raise ValidationFailed(codes.INVALID_KIND, "format: zip or pdf",
                               {"format": codes.INVALID_KIND})
    if not isinstance(dossiers, list) or not dossiers:
        raise ValidationFailed(codes.REQUIRED, "no dossier selected",
                               {"application_ids": codes.REQUIRED})
    if format == "pdf" and len(dossiers) > MAX_MERGED:
        raise ValidationFailed(codes.TOO_MANY_FOR_PDF, f"one PDF: at most {MAX_MERGED} dossiers",
                               {"format": codes.TOO_MANY_FOR_PDF})
    if len(dossiers) > MAX_DOSSIERS:
        raise ValidationFailed(codes.TOO_MANY_DOSSIERS, f"at most {MAX_DOSSIERS} dossiers",
                               {"application_ids": codes.TOO_MANY_DOSSIERS})


def claim_next(session, now):
    """The oldest queued archive (or one left running by a builder that died),
    locked for this builder; None when there is none."""
    return session.scalars(
        select(Archive).where((Archive.status == QUEUED)
                              | ((Archive.status == RUNNING) & (Archive.expires_at < now)))
        .order_by(Archive.created_at).limit(1).with_for_update(skip_locked=True)).first()


def object_key(archive):
    return f"archives/{archive.owner_id}/{archive.id}.{archive.format}"


def filename(archive):
    return f"dossiers-{archive.created_at:%Y%m%d-%H%M}.{archive.format}"


def build(archive, dossier_pdf, progress, out):
    """Writes the archive to the binary file `out`; dossier_pdf(data) -> PDF
    bytes (one dossier), progress(done) after each."""
    if archive.format == "zip":
        names = set()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
            for number, data in enumerate(archive.dossiers, 1):
                name = dossier.filename(data)
                if name in names:  # one candidate twice in a formation: keep both
                    name = f"{number}-{name}"
                names.add(name)
                zf.writestr(name, dossier_pdf(data))  # PDFs are compressed already
                progress(number)
        return
    writer = PdfWriter()
    for number, data in enumerate(archive.dossiers, 1):
        for page in PdfReader(io.BytesIO(dossier_pdf(data))).pages:
            writer.add_page(page)
        progress(number)
    writer.write(out)


def temporary_file():
    return tempfile.NamedTemporaryFile(prefix="archive-", suffix=".tmp",
                                       dir=env("ARCHIVE_TMP_DIR", "") or None, delete=False)


def discard(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
