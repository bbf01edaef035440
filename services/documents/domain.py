"""Rules on files, as plain functions: names, sizes, and what a file really is."""
import os

from services.common.errors import ValidationFailed

from . import exceptions as codes

MAX_FILENAME = 100
DEFAULT_MAX_SIZE = 2 * 1024 * 1024
SNIFF_BYTES = 16
SIGNATURES = (  # the content decides, never the name
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def refuse(code, message):
    return ValidationFailed(codes.INVALID, message, {"file": code})


def clean_filename(filename):
    """The last path component, without control characters; refused when empty or too long."""
    name = os.path.basename(str(filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if not name:
        raise refuse(codes.FILE_MISSING, "no file name")
    if len(name) > MAX_FILENAME:
        raise refuse(codes.FILENAME_TOO_LONG, f"file name over {MAX_FILENAME} characters")
    return name


def check_size(size, max_size):
    size = int(size or 0)
    if size <= 0:
        raise refuse(codes.FILE_EMPTY, "empty file")
    if size > int(max_size or DEFAULT_MAX_SIZE):
        raise refuse(codes.FILE_TOO_LARGE, "file larger than allowed")
    return size


def sniff_content_type(head):
    """PDF, JPEG or PNG from the first bytes, else None."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def object_key(document_id, kind, candidate_id, application_id):
    """Grouped by candidate, so one candidate's files are easy to find and purge."""
    return f"candidates/{candidate_id or 0}/applications/{application_id or 0}/{kind}/{document_id}"
