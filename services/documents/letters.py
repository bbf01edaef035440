"""Admission letters as PDF (fpdf2, core fonts: text is mapped to latin-1)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from services.common.config import env

PARIS = ZoneInfo("Europe/Paris")
CIVILITIES = {"M": "Monsieur", "MME": "Madame"}
NOT_LATIN1 = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                            "œ": "oe", "Œ": "OE", "…": "...", "\u202f": " ", "\u00a0": " "})


def latin1(text):
    return str(text or "").translate(NOT_LATIN1).encode("latin-1", "replace").decode("latin-1")


def french_date(value):
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(PARIS) if value.tzinfo else value
    return value.strftime("%d/%m/%Y")


def admission_letter(letter, today):
    """PDF bytes of the admission letter described by `letter` (services/README.md)."""
    candidate = letter.get("candidate") or {}
    formation = letter.get("formation") or {}
    commission = letter.get("commission") or {}
    centre = letter.get("centre") or {}
    institution = env("INSTITUTION_NAME", "Université de démonstration")
    civility = CIVILITIES.get(candidate.get("civility") or "", "")
    name = f"{civility} {candidate.get('first_name', '')} {candidate.get('last_name', '')}".strip()

    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Lettre d'admission - {formation.get('label', '')}"))
    pdf.set_author(latin1(institution))
    pdf.add_page()
    pdf.set_margins(20, 20, 20)
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, latin1(institution), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in (commission.get("label"), commission.get("address"), centre.get("label"),
                 centre.get("email")):
        if line:
            pdf.multi_cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, latin1(f"Le {french_date(today)}"), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, latin1(f"{name}\nNuméro de dossier : {candidate.get('dossier_number', '')}"),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, latin1(f"Objet : admission en {formation.get('label', '')} "
                                f"({formation.get('code', '')})"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    body = (
        f"{civility or 'Madame, Monsieur'},\n\n"
        f"Suite à l'avis favorable de la commission du {french_date(letter.get('validated_at'))}, "
        f"nous avons le plaisir de vous informer que vous êtes admis(e) en "
        f"« {formation.get('label', '')} ».\n\n"
        f"Vous avez confirmé votre candidature le {french_date(letter.get('confirmed_at'))}. "
        "Vous recevrez prochainement les informations nécessaires à votre inscription "
        "administrative.\n\n"
        "Nous vous prions d'agréer l'expression de nos salutations distinguées."
    )
    pdf.multi_cell(0, 6, latin1(body), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    signatory = commission.get("signatory") or "Le président de la commission"
    pdf.cell(0, 6, latin1(signatory), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
