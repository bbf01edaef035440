"""Files and answers the documents tests upload and expect: real PDF and
images, a text file named .pdf, a piece's owner, an admission letter."""
import io
import re

from fpdf import FPDF
from PIL import Image  # installed with fpdf2, which needs it


def real_pdf():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Carte d'identite")
    return bytes(pdf.output())


def real_image(kind):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


PDF = real_pdf()
PNG = real_image("PNG")
JPEG = real_image("JPEG")
FAKE_PDF = b"Just text saved as carte.pdf, even if it mentions %PDF-1.7 inside\n"
OWNER = {"candidate_id": 7, "application_id": 12, "piece_code": "CNI"}
LETTER = {
    "application_id": 12, "candidate_id": 7,
    "candidate": {"civility": "MME", "first_name": "Léa", "last_name": "Garçon-Müller",
                  "dossier_number": "22PB7Y36"},
    "formation": {"code": "MINFO1", "label": "Master Informatique – 1re année"},
    "commission": {"label": "Commission Informatique (SCI-INFO)",
                   "address": "1 rue de l’Université\nBâtiment à côté\n75000 Paris",
                   "signatory": "Pr. Anne Dupont, présidente"},
    "centre": {"label": "UFR Sciences et Techniques", "email": "scolarite-sciences@univ-demo.fr"},
    "validated_at": "2026-11-20T10:00:00+00:00",
    "confirmed_at": "2026-11-21T23:30:00+00:00",   # 22/11/2026 in Paris
}


def pdf_lines(data):
    """The text lines of an uncompressed PDF made by fpdf2 (one string per line)."""
    return [re.sub(rb"\\(.)", rb"\1", m).decode("latin-1")
            for m in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", data)]


def padded_pdf(size):
    """A valid one-page PDF of exactly `size` bytes (its metadata padded)."""
    from pypdf import PdfWriter

    def made(padding):
        writer = PdfWriter(clone_from=io.BytesIO(PDF))
        writer.add_metadata({"/Subject": "0" * padding})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    padding = max(0, size - len(made(0)))
    for _ in range(5):  # offsets grow a digit now and then: settle on the size
        data = made(padding)
        if len(data) == size:
            return data
        padding -= len(data) - size
    raise AssertionError(f"no PDF of {size} bytes")


# -- the upload corpus: each file made here, with the outcome it must have -------------

def pdf_of(text):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def _rewritten(change):
    from pypdf import PdfWriter
    writer = PdfWriter(clone_from=io.BytesIO(PDF))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_javascript():
    """A PDF that runs a script when opened (its OpenAction)."""
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def add(writer):
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('bonjour');")}))
    return _rewritten(add)


def pdf_with_attachment():
    return _rewritten(lambda w: w.add_attachment("virus.exe", b"MZ not really"))


def encrypted_pdf():
    return _rewritten(lambda w: w.encrypt("secret", algorithm="AES-128"))


def png_with_pdf_inside():
    """A PNG whose text chunk holds a PDF header: an image and a PDF at once."""
    from PIL import PngImagePlugin
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "%PDF-1.4 1 0 obj << /Type /Catalog >> endobj")
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 10, 10)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def pdf_with_zip_appended():
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.js", "alert(1)")
    return PDF + out.getvalue()


def decompression_bomb_png():
    """25 000 x 25 000 pixels of black: a few KB, 625 megapixels once decoded."""
    out = io.BytesIO()
    Image.new("1", (25_000, 25_000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def pdf_with_eicar():
    """A valid PDF carrying the EICAR test string: passes every check but the scanner."""
    return PDF + b"%" + EICAR + b"\n"


def phone_photo(orientation=6, size=(4000, 3000)):
    """A JPEG of about 6 MB as a phone takes it: sideways pixels, an EXIF orientation."""
    import os
    small = (size[0] // 4, size[1] // 4)
    noise = Image.frombytes("RGB", small, os.urandom(small[0] * small[1] * 3))
    image = noise.resize(size, Image.Resampling.BILINEAR)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def heic_photo():
    """An HEIC photo (iPhones' default), or None when nothing here can write one."""
    try:
        import pillow_heif
    except ImportError:
        return None
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, format="HEIF", quality=80)
    return out.getvalue()
