"""Rules on files, as plain functions: names, sizes, and what a file really is."""
import os
from datetime import timedelta

from services.common.errors import ValidationFailed

from . import exceptions as codes

# Document.kind
PIECE = "piece"          # what a piece holds: its files merged into one PDF (or a catalogue file)
PART = "part"            # one file a candidate uploaded for a piece, as a PDF
ADMISSION_LETTER = "admission_letter"

# Document.status
PENDING = "pending"      # upload URL issued, bytes not checked yet
SCANNING = "scanning"    # checked and converted, waiting for the virus scanner
STORED = "stored"        # checked (and for a candidate's file, scanned clean) and kept
REJECTED = "rejected"    # refused at confirmation; its object is removed
DELETED = "deleted"      # removed on request; the row stays as a record

MAX_FILENAME = 100
DEFAULT_MAX_SIZE = 2 * 1024 * 1024   # when the centre gives no limit
# Everything a candidate keeps here (stored files and unfinished uploads) stays
# under this total: about 50 files at the default 2 MB limit, several times what
# 20 applications of 3 to 5 pieces need with shared pieces counted once.
DEFAULT_QUOTA_MB = 100
# An unfinished upload older than this cannot receive bytes any more (the PUT
# URL lives 15 minutes; the rest covers a slow transfer started just in time).
PENDING_LIFETIME = timedelta(minutes=30)
# What a candidate may send for one file: photos are converted and compressed
# first, so the centre's limit applies to what is stored, not to this.
DEFAULT_UPLOAD_MAX_MB = 20
SNIFF_BYTES = 16                     # longest signature below is 8 bytes
SIGNATURES = (  # the content decides, never the name
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


# What each kind of file may be, by content: a candidate's piece (no purpose) any
# of SIGNATURES; the catalogue's files (confirmed by the catalog service) one kind each:
# a piece template is read by candidates as a PDF, a signature is pasted into letters.
PURPOSES = {
    None: (("application/pdf", "image/jpeg", "image/png"), codes.FILE_TYPE_INVALID),
    "template": (("application/pdf",), codes.TEMPLATE_NOT_PDF),
    "signature": (("image/png", "image/jpeg"), codes.SIGNATURE_NOT_IMAGE),
}


def refuse(code, message):
    """The refusal of a file: ValidationFailed with the reason as code and as {"file": code}."""
    return ValidationFailed(code, message, {"file": code})


def clean_filename(filename):
    """The last path component, without control characters; refused when empty or too long."""
    name = os.path.basename(str(filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if not name:
        raise refuse(codes.FILE_MISSING, "no file name")
    if len(name) > MAX_FILENAME:
        raise refuse(codes.FILENAME_TOO_LONG, f"file name over {MAX_FILENAME} characters")
    return name


def max_size_or_default(max_size):
    try:
        value = int(max_size or 0)
    except (TypeError, ValueError):
        value = 0
    return value if value > 0 else DEFAULT_MAX_SIZE


def check_size(size, max_size):
    """The size as an int, if more than 0 and at most max_size (default 2 MB)."""
    try:
        size = int(size or 0)
    except (TypeError, ValueError):
        size = 0
    if size <= 0:
        raise refuse(codes.FILE_EMPTY, "empty file")
    if size > max_size_or_default(max_size):
        raise refuse(codes.FILE_TOO_LARGE, "file larger than allowed")
    return size


def upload_limit(setting, max_size):
    """The most a candidate's file may weigh on arrival (UPLOAD_MAX_MB), never
    less than the limit on what is stored."""
    try:
        megabytes = float(str(setting or "").strip().replace(",", "."))
    except ValueError:
        megabytes = 0
    if not megabytes > 0:
        megabytes = DEFAULT_UPLOAD_MAX_MB
    return max(int(megabytes * 1024 * 1024), max_size_or_default(max_size))


def check_arrived(size, limit):
    """What arrived in storage before looking inside: there, not empty, not over `limit`."""
    if size is None:
        raise refuse(codes.FILE_MISSING, "nothing was uploaded")
    check_size(size, limit)


def bundle_filename(parts, piece_code):
    """A piece of one file keeps its name; of several, the piece's code names it."""
    if len(parts) == 1:
        return parts[0].filename
    return f"{piece_code or 'piece'}-{len(parts)}-fichiers.pdf"


def quota_bytes(setting):
    """CANDIDATE_STORAGE_QUOTA_MB as bytes ("100", "0.5" or "1,5"); empty or
    not a positive number: the default."""
    try:
        megabytes = float(str(setting or "").strip().replace(",", "."))
    except ValueError:
        megabytes = 0
    if not megabytes > 0:  # also NaN
        megabytes = DEFAULT_QUOTA_MB
    return int(megabytes * 1024 * 1024)


def check_quota(used, size, quota):
    """A file of `size` bytes fits beside the `used` ones, or the refusal."""
    if used + size > quota:
        raise refuse(codes.STORAGE_QUOTA_EXCEEDED,
                     f"{used} + {size} bytes would go over the {quota} allowed to a candidate")


def same_upload_slot(document, owner):
    """Whether an upload belongs to that candidate's application piece; only
    uploads of a piece have a slot (catalog templates and signatures have none)."""
    owner = owner or {}
    wanted = (owner.get("candidate_id"), owner.get("application_id"), owner.get("piece_code"))
    return None not in wanted and (
        document.candidate_id, document.application_id, document.piece_code) == (
            int(wanted[0]), int(wanted[1]), str(wanted[2]))


def sniff_content_type(head):
    """PDF, JPEG or PNG from the first bytes, else None."""
    for signature, content_type in SIGNATURES:
        if bytes(head or b"").startswith(signature):
            return content_type
    return None


def check_stored(size, head, max_size, purpose=None):
    """What arrived in storage: its content type, or the refusal (size None = nothing
    there); `purpose` (PURPOSES) narrows the types allowed."""
    if size is None:
        raise refuse(codes.FILE_MISSING, "nothing was uploaded")
    check_size(size, max_size)
    allowed, refusal = PURPOSES[purpose]
    content_type = sniff_content_type(head)
    if content_type not in allowed:
        raise refuse(refusal, f"not one of {', '.join(allowed)}")
    return content_type


def object_key(document_id, kind, candidate_id, application_id):
    """Grouped by candidate, so one candidate's files are easy to find and purge."""
    return f"candidates/{candidate_id or 0}/applications/{application_id or 0}/{kind}/{document_id}"


def letter_filename(letter):
    number = (letter.get("candidate") or {}).get("dossier_number") or letter.get("application_id")
    return f"lettre-admission-{number}.pdf"


def removable_on_cancel(status):
    """What a cancelled application's event may remove by itself: uploads that never
    became a piece's file. Stored piece files are left to the applications service,
    which knows whether another application shares them."""
    return status in (PENDING, SCANNING, REJECTED)
