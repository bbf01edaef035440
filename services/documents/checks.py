"""What a file really is: its type by content (libmagic, through python-magic)
and a structural check of that type (a PDF must parse with pypdf and carry no
script nor attached file, an image must decode with Pillow within a pixel
budget). The name never counts. Each check reads a file on disk, not bytes in
memory, so a large upload costs the worker a temporary file, not RAM."""
import logging
import re

import magic
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from . import exceptions as codes
from .domain import refuse

log = logging.getLogger(__name__)

PDF, JPEG, PNG, HEIC = "application/pdf", "image/jpeg", "image/png", "image/heic"
IMAGES = (JPEG, PNG, HEIC)
# libmagic's names for the same content (HEIF containers holding HEIC images too).
MAGIC_ALIASES = {"image/heif": HEIC, "image/heic-sequence": HEIC, "image/heif-sequence": HEIC,
                 "image/pjpeg": JPEG}
# A phone photo is 12 to 50 megapixels; beyond this an image is a decompression
# bomb (a few KB of PNG that would take gigabytes once decoded).
MAX_PIXELS = 80_000_000
# A PDF reader looks for its header in the first KB; another format's header
# there (or an archive's end record at the end) makes a file two things at once.
HEADER_WINDOW = 1024
TAIL_WINDOW = 64 * 1024
FOREIGN_HEADERS = (b"%PDF-", b"PK\x03\x04", b"<html", b"<script", b"<svg", b"\x7fELF", b"MZ")
ZIP_END = b"PK\x05\x06"
# Keys of a PDF object that run something or carry another file.
SCRIPT_KEYS = {"/JS", "/JavaScript", "/Launch", "/XFA"}
ATTACHMENT_KEYS = {"/EmbeddedFiles", "/EmbeddedFile", "/FileAttachment", "/RichMedia"}
MAX_PDF_OBJECTS = 200_000

try:  # HEIC when the maintained reader is installed; without it HEIC is refused by type
    import pillow_heif
    pillow_heif.register_heif_opener()
    HEIC_READABLE = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIC_READABLE = False

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def content_type(path):
    """The MIME type libmagic gives the file's content, aliases folded."""
    found = magic.from_file(str(path), mime=True)
    return MAGIC_ALIASES.get(found, found)


def identify(path, size, allowed=(PDF, JPEG, PNG, HEIC)):
    """The file's content type once it passed its type's structural check, or the
    refusal (ValidationFailed with a code saying why)."""
    if not size:
        raise refuse(codes.FILE_EMPTY, "empty file")
    found = content_type(path)
    if found == HEIC and not HEIC_READABLE:
        found = None
    if found not in allowed:
        raise refuse(codes.FILE_TYPE_INVALID, f"content is {found}, not one of {allowed}")
    _refuse_polyglot(path, size, found)
    if found == PDF:
        check_pdf(path)
    else:
        check_image(path)
    return found


def _refuse_polyglot(path, size, found):
    with open(path, "rb") as handle:
        head = handle.read(HEADER_WINDOW)
        handle.seek(max(0, size - TAIL_WINDOW))
        tail = handle.read()
    own = b"%PDF-" if found == PDF else None
    if found == PDF and not head.startswith(b"%PDF-"):
        # libmagic saw a PDF header further in: a reader would too, but it is
        # not what the file starts as
        raise refuse(codes.FILE_TYPE_INVALID, "something precedes the PDF header")
    for header in FOREIGN_HEADERS:
        if header != own and header in (head if header != b"MZ" else head[:2]):
            raise refuse(codes.FILE_POLYGLOT, f"{header!r} inside a {found}")
    end = tail.rfind(ZIP_END)
    # a real end-of-archive record: its comment runs exactly to the end of the file
    # (four bytes that happen to match inside a photo's data are not one)
    if end >= 0 and len(tail) - end - 22 == int.from_bytes(tail[end + 20:end + 22], "little"):
        raise refuse(codes.FILE_POLYGLOT, f"a ZIP archive inside a {found}")


def check_image(path):
    """Decodes the image whole, refusing a bomb before decoding it."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise refuse(codes.IMAGE_TOO_LARGE, f"{width}x{height} pixels")
            image.load()
    except Image.DecompressionBombError as exc:
        raise refuse(codes.IMAGE_TOO_LARGE, str(exc)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise refuse(codes.FILE_CORRUPT, f"image does not decode: {exc}") from None


def check_pdf(path):
    """Parses the PDF: not encrypted, at least one page, nothing that runs or is attached."""
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            raise refuse(codes.PDF_ENCRYPTED, "encrypted PDF")
        if len(reader.pages) == 0:
            raise refuse(codes.FILE_CORRUPT, "PDF without pages")
        _refuse_active_content(reader)
    except PdfReadError as exc:
        raise refuse(codes.FILE_CORRUPT, f"PDF does not parse: {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError,
            OSError, AssertionError) as exc:
        raise refuse(codes.FILE_CORRUPT, f"PDF does not parse: {exc}") from None
    return True


def _refuse_active_content(reader):
    """Walks every object reachable from the trailer (what a reader could act on)."""
    seen, stack = set(), [reader.trailer]
    while stack:
        if len(seen) > MAX_PDF_OBJECTS:
            raise refuse(codes.FILE_CORRUPT, "PDF with too many objects")
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            keys = set(item.keys())
            values = {str(v) for v in item.values() if not isinstance(
                v, (DictionaryObject, ArrayObject, IndirectObject))}
            if keys & SCRIPT_KEYS or "/JavaScript" in values or "/Launch" in values:
                raise refuse(codes.PDF_SCRIPT, "PDF with JavaScript or actions")
            if keys & ATTACHMENT_KEYS or values & ATTACHMENT_KEYS:
                raise refuse(codes.PDF_ATTACHMENT, "PDF with embedded files")
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


MAX_STEM = 96  # the name stays within 100 characters with its new extension
_SAFE_STEM = re.compile(r"\.(pdf|jpe?g|png|heic|heif)$", re.IGNORECASE)


def pdf_name(filename):
    """The name a converted file keeps, ending in .pdf."""
    return _SAFE_STEM.sub("", filename)[:MAX_STEM] + ".pdf"
