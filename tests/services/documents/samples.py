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
