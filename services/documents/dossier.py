"""The application's dossier as one PDF ("Télécharger mon dossier"): a summary
(candidate, dossier, formation, commission contact, dates, bac, cursus, stages,
experiences), the pieces with their statuses, then each uploaded piece after a
header page of its own. The data comes from the applications service (it alone
knows who may read it); the pieces' bytes from storage."""
import io
import logging

from pypdf import PdfReader, PdfWriter

from services.common.config import env

from . import letters, rendering

log = logging.getLogger(__name__)

STATUSES = {"AT": "En attente", "RE": "Réceptionné", "IN": "Incomplet", "CO": "Complet"}
PIECE_STATUSES = {"AT": "En attente", "TR": "Transmise", "VA": "Validée", "RE": "Refusée",
                  "NC": "Non concerné"}
DECISIONS = {"FA": "Favorable", "DE": "Défavorable", "LC": "Liste complémentaire",
             "LA": "Liste d'attente", "PR": "Présélection"}
CIVILITIES = {"M": "M.", "MME": "Mme"}
PERSONAL = (("birth_name", "Nom de naissance"), ("usage_name", "Nom d'usage"),
            ("other_first_names", "Autres prénoms"), ("birth_date", "Date de naissance"),
            ("nationality", "Nationalité"), ("birth_country", "Pays de naissance"),
            ("birth_commune", "Commune de naissance"), ("birth_town", "Ville de naissance"),
            ("phone", "Téléphone"), ("mobile", "Portable"), ("ine", "INE"))
BAC = (("year", "Année"), ("series", "Série"), ("mention", "Mention"),
       ("school", "Établissement"), ("country", "Pays"), ("department", "Département"),
       ("specialities", "Spécialités"))
DATES = (("created_at", "Créée le"), ("transmitted_at", "Transmise le"),
         ("return_deadline", "Date limite de retour"),
         ("confirm_deadline", "Date limite de confirmation"), ("confirmed_at", "Confirmée le"),
         ("withdrawn_at", "Désistement le"))
LISTS = (
    ("internal", "Cursus interne", (("year", "Année"), ("label", "Intitulé"),
                                    ("result", "Résultat"))),
    ("external", "Cursus externe", (("year", "Année"), ("institution", "Établissement"),
                                    ("diploma_type", "Type de diplôme"), ("label", "Intitulé"),
                                    ("obtained", "Obtenu"), ("mention", "Mention"))),
    ("internships", "Stages", (("year", "Année"), ("duration", "Durée"),
                               ("organisation", "Organisme"), ("description", "Description"))),
    ("experience", "Expériences pro.", (("year", "Année"), ("duration", "Durée"),
                                        ("job_title", "Fonction"), ("employer", "Employeur"),
                                        ("description", "Description"))),
)


def filename(data):
    candidate, formation = data.get("candidate") or {}, data.get("formation") or {}
    return f"dossier-{candidate.get('dossier_number') or data.get('application_id')}-" \
           f"{formation.get('code') or ''}.pdf"


def fingerprint(data):
    """What the PDF depends on: the data (statuses, dossier, pieces' files)."""
    return rendering.fingerprint("dossier", data)


def _pairs(values, fields):
    values = values or {}
    return [(label, values[name]) for name, label in fields if values.get(name)]


def postal_address(address):
    """The lines of a dossier's address section, as on an envelope."""
    address = address or {}
    town = " ".join(p for p in (address.get("postal_code"), address.get("commune")
                                or address.get("city"), address.get("cedex")) if p)
    lines = [address.get(k) for k in ("line1", "line2", "line3")] + [town]
    if address.get("country") and address.get("country") != "FR":
        lines.append(address["country"])
    return [line for line in lines if line]


def _summary_html(data, merged, now):
    candidate = dict(data.get("candidate") or {})
    dossier = data.get("dossier") or {}
    candidate["civility_label"] = CIVILITIES.get(candidate.get("civility") or "", "")
    decision = data.get("decision") or {}
    decision_text = " - ".join(p for p in (DECISIONS.get(decision.get("code"), ""),
                                           decision.get("reason"), decision.get("comment"))
                               if p) if decision else ""
    lists = []
    for key, title, fields in LISTS:
        rows = [[str(entry.get(name) or "") for name, _ in fields]
                for entry in dossier.get(key) or [] if isinstance(entry, dict)]
        lists.append({"title": title, "labels": [label for _, label in fields], "rows": rows})
    pieces = [dict(p, status_label=PIECE_STATUSES.get(p.get("status"), p.get("status") or ""))
              for p in data.get("pieces") or []]
    return rendering.page(
        "dossier.html", institution=env("INSTITUTION_NAME", letters.INSTITUTION),
        logo=letters.logo_url(), generated_at=now, candidate=candidate,
        personal=_pairs(dossier.get("personal"), PERSONAL),
        address=postal_address(dossier.get("address")),
        bac=_pairs(dossier.get("bac"), BAC) if (dossier.get("bac") or {}).get("has_bac") != "no"
        else [("Baccalauréat", "Non")],
        lists=lists, formation=data.get("formation") or {}, centre=data.get("centre") or {},
        commission=data.get("commission") or {},
        status_label=STATUSES.get(data.get("status"), data.get("status") or ""),
        dates=[(label, (data.get("dates") or {}).get(name)) for name, label in DATES
               if (data.get("dates") or {}).get(name)],
        decision=decision_text, opi_code=data.get("opi_code"),
        pieces=pieces, merged=[dict(m, status_label=PIECE_STATUSES.get(m.get("status"), ""))
                               for m in merged])


def _piece_reader(content, content_type):
    """The piece's pages as a PdfReader, or None when they cannot be read."""
    try:
        if content_type in ("image/jpeg", "image/png"):
            content = rendering.image_pdf(content)
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            reader.decrypt("")
        len(reader.pages)  # parses the page tree now: a broken file fails here
        return reader
    except Exception:  # a file the candidate sent that no reader opens: its header says so
        log.warning("piece file not merged into the dossier", exc_info=True)
        return None


def build(data, read_piece, now, out):
    """Writes the dossier PDF of `data` to the binary stream `out`. read_piece:
    document_id -> (bytes, content_type) of a stored piece."""
    merged = []
    for piece in data.get("pieces") or []:
        if piece.get("document_id"):
            content, content_type = read_piece(piece["document_id"])
            reader = _piece_reader(content, content_type)
            merged.append(dict(piece, reader=reader,
                               filename=piece.get("filename") if reader
                               else f"{piece.get('filename') or ''} (fichier illisible)"))
    document = rendering.html_document(_summary_html(
        data, [{k: v for k, v in m.items() if k != "reader"} for m in merged], now))
    # Where each piece's header page fell: its pages go right after it.
    header_pages = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("piece-"):
                header_pages[number] = merged[int(anchor[len("piece-"):])]
    summary = PdfReader(io.BytesIO(document.write_pdf()))
    writer = PdfWriter()
    for number, page in enumerate(summary.pages):
        writer.add_page(page)
        piece = header_pages.get(number)
        if piece and piece["reader"] is not None:
            for piece_page in piece["reader"].pages:
                writer.add_page(piece_page)
    candidate, formation = data.get("candidate") or {}, data.get("formation") or {}
    writer.add_metadata({"/Title": f"Dossier {candidate.get('dossier_number') or ''} - "
                                   f"{formation.get('label') or ''}"})
    writer.write(out)


def build_bytes(data, read_piece, now):
    out = io.BytesIO()
    build(data, read_piece, now, out)
    return out.getvalue()
