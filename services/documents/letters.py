"""Admission letters as PDF (fpdf2). The core fonts (Helvetica) know latin-1 only,
so every text goes through `latin1()` first: typographic quotes and dashes get
their plain equivalent, accented letters outside latin-1 lose their accent, and
anything else becomes "?" instead of crashing the rendering."""
import unicodedata

from fpdf import FPDF

from services.common.config import env
from services.common.dates import french_date

INSTITUTION = "Université de démonstration"
CIVILITIES = {"M": "Monsieur", "MME": "Madame"}
NOT_LATIN1 = str.maketrans({"’": "'", "‘": "'", "‚": ",", "“": '"', "”": '"', "„": '"',
                            "–": "-", "—": "-", "‐": "-", "‑": "-", "…": "...", "€": "EUR",
                            "œ": "oe", "Œ": "OE", "\u202f": " ", "\u2009": " ", "\u2007": " "})


def latin1(text):
    """`text` with only latin-1 characters, as the PDF core fonts require."""
    out = []
    for ch in str(text or "").translate(NOT_LATIN1):
        if ord(ch) < 256:
            out.append(ch)
            continue
        # ă, ł-like letters: keep the base letter when Unicode gives one
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256
                       and not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)


def admission_letter(letter, today):
    """PDF bytes of the admission letter described by `letter` (services/README.md)."""
    candidate = letter.get("candidate") or {}
    formation = letter.get("formation") or {}
    commission = letter.get("commission") or {}
    centre = letter.get("centre") or {}
    civility = CIVILITIES.get(candidate.get("civility") or "", "")
    admitted = {"M": "admis", "MME": "admise"}.get(candidate.get("civility") or "", "admis(e)")
    name = " ".join(part for part in (civility, candidate.get("first_name"),
                                      candidate.get("last_name")) if part)
    training = f"{formation.get('label') or ''} ({formation.get('code') or ''})"

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(latin1(f"Lettre d'admission - {formation.get('label') or ''}"))
    pdf.set_author(latin1(env("INSTITUTION_NAME", INSTITUTION)))
    pdf.add_page()

    def paragraph(text, height=6, align="L"):
        pdf.multi_cell(0, height, latin1(text), align=align, new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 15)
    paragraph(env("INSTITUTION_NAME", INSTITUTION), 9)
    pdf.set_font("Helvetica", "", 10)
    for line in (commission.get("label"), commission.get("address"), centre.get("label"),
                 centre.get("email")):
        if line:
            paragraph(line, 5)
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 11)
    paragraph(f"Le {french_date(today)}", align="R")
    pdf.ln(4)
    paragraph(f"{name}\nNuméro de dossier : {candidate.get('dossier_number') or ''}")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 12)
    paragraph(f"Objet : admission en {training}", 7)
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    validated = french_date(letter.get("validated_at"))
    paragraph(
        f"{civility or 'Madame, Monsieur'},\n\n"
        f"Suite à l'avis favorable de la commission"
        f"{' du ' + validated if validated else ''}, nous avons le plaisir de vous informer "
        f"que vous êtes {admitted} en {training}.\n\n"
        f"Vous avez confirmé votre candidature le {french_date(letter.get('confirmed_at'))}. "
        "Vous recevrez prochainement les informations nécessaires à votre inscription "
        "administrative.\n\n"
        f"Nous vous prions d'agréer, {civility or 'Madame, Monsieur'}, l'expression de nos "
        "salutations distinguées.")
    pdf.ln(12)
    paragraph(commission.get("signatory") or "Le président de la commission", align="R")
    return bytes(pdf.output())
