"""The documents the platform produces: the dossier PDF (summary, pieces, each
piece merged after its header page), kept until its data changes; letters in
the commission's wording; archives of several dossiers with their progress and
a link that expires. Texts are checked as a reader extracts them (pypdf)."""
import io
import zipfile
from datetime import timedelta

import pytest
import requests
from pypdf import PdfReader

from services.common.actors import service
from services.common.clock import utcnow
from services.common.errors import Forbidden, NotFound, ValidationFailed
from tests.services.documents.samples import LETTER, PDF, PNG
from tests.support.actors import staff

APPS = service("applications")


def pages(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def download(documents, document_id):
    link = documents.call("get_download", APPS, document_id)
    return requests.get(link["url"], timeout=10).content


def dossier_data(documents, application_id=12):
    cni = documents.upload(PDF, "cni.pdf")
    documents.call("confirm_upload", APPS, cni)
    photo = documents.upload(PNG, "releves.png",
                             owner={"candidate_id": 7, "application_id": 12, "piece_code": "RELEVES"})
    documents.call("confirm_upload", APPS, photo)
    return {
        "application_id": application_id, "candidate_id": 7, "status": "CO",
        "candidate": {"dossier_number": "27AB12CD", "civility": "MME", "first_name": "Léa",
                      "last_name": "Garçon", "email": "lea@example.org"},
        "dossier": {"personal": {"birth_date": "2001-02-03", "nationality": "FR"},
                    "address": {"line1": "3 rue des Lilas", "postal_code": "69001",
                                "commune": "Lyon", "country": "FR"},
                    "bac": {"has_bac": "yes", "year": "2019", "series": "S", "mention": "B"},
                    "external": [{"year": "2022", "institution": "Université de Lyon",
                                  "diploma_type": "Licence", "label": "Informatique",
                                  "obtained": "O"}],
                    "internships": [{"year": "2023", "duration": "2 mois",
                                     "organisation": "Inria", "description": "Compilateurs"}],
                    "experience": [{"year": "2024", "duration": "1 an", "job_title": "Développeuse",
                                    "employer": "ACME"}]},
        "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
        "centre": {"label": "UFR Sciences", "email": "scolarite@univ-demo.fr"},
        "commission": {"code": "SCI-INFO", "label": "Commission Informatique",
                       "address": "1 rue de l'Université\n69000 Lyon",
                       "email": "commission-info@univ-demo.fr"},
        "dates": {"created_at": "2026-11-01T10:00:00+00:00", "transmitted_at": "2026-11-03T10:00:00+00:00"},
        "pieces": [{"code": "CNI", "label": "Pièce d'identité", "status": "VA",
                    "document_id": cni, "filename": "cni.pdf"},
                   {"code": "RELEVES", "label": "Relevés de notes", "status": "TR",
                    "document_id": photo, "filename": "releves.png"},
                   {"code": "LM", "label": "Lettre de motivation", "status": "AT"}],
    }


def test_the_dossier_pdf_holds_the_summary_then_each_piece_after_its_header(documents):
    data = dossier_data(documents)
    document_id = documents.call("render_dossier", APPS, data)["document_id"]
    text = pages(download(documents, document_id))
    whole = "\n".join(text)
    for expected in ("Dossier de candidature", "Mme Léa Garçon", "27AB12CD", "lea@example.org",
                     "3 rue des Lilas", "69001 Lyon", "Master Informatique 1re année (MINFO1)",
                     "Commission Informatique", "commission-info@univ-demo.fr", "Complet",
                     "Transmise le", "03/11/2026", "2019", "Université de Lyon", "Inria",
                     "Développeuse", "Pièce d'identité Validée cni.pdf",
                     "Relevés de notes Transmise releves.png", "Lettre de motivation En attente"):
        assert expected in whole, expected
    # header, the piece's own page; header, the photo as a page
    cni_header = next(i for i, t in enumerate(text) if "Pièce 1 / 2" in t)
    assert "cni.pdf" in text[cni_header] and "Carte d'identite" in text[cni_header + 1]
    assert "Pièce 2 / 2" in text[cni_header + 2] and len(text) == cni_header + 4


def test_the_dossier_is_made_once_and_again_when_the_application_changes(documents):
    data = dossier_data(documents)
    first = documents.call("render_dossier", APPS, data)["document_id"]
    assert documents.call("render_dossier", APPS, data)["document_id"] == first

    changed = dict(data, status="IN")
    second = documents.call("render_dossier", APPS, changed)["document_id"]
    assert second != first
    assert "Incomplet" in "\n".join(pages(download(documents, second)))
    assert documents.document(first).status == "deleted"   # only the current one is kept


def test_only_the_applications_service_asks_for_a_dossier(documents):
    with pytest.raises(Forbidden):
        documents.call("render_dossier", staff("admin"), {"application_id": 12})
    with pytest.raises(ValidationFailed):
        documents.call("render_dossier", APPS, {"candidate_id": 7})


REFUSAL = dict(LETTER, commission=dict(LETTER["commission"], code="SCI-INFO"),
               decision={"code": "DE", "reason": "Capacité d'accueil atteinte",
                         "comment": "Dossier solide, places limitées."},
               postal_address=["3 rue des Lilas", "69001 Lyon"], dated="2026-11-20")


def test_a_refusal_letter_gives_the_reason_the_comment_and_the_address(documents):
    document_id = documents.call("render_letter", APPS, REFUSAL, "refusal")["document_id"]
    text = "\n".join(pages(download(documents, document_id)))
    for expected in ("Madame Léa Garçon-Müller", "3 rue des Lilas", "69001 Lyon",
                     "Numéro de dossier : 22PB7Y36", "avis défavorable",
                     "Motif : Capacité d'accueil atteinte", "Dossier solide, places limitées.",
                     "Pr. Anne Dupont, présidente", "Le 20/11/2026"):
        assert expected in text, expected
    assert "APERÇU" not in text


def test_the_commission_wording_is_used_once_saved_and_checked(documents):
    saved = documents.call("save_letter_template", APPS, "SCI-INFO", "admission",
                           "{{ salutation }},\n\nBienvenue en {{ formation }}, code OPI {{ opi_code }}.",
                           True, "Admin")
    assert saved["custom"] and saved["updated_by"] == "Admin"
    letter = dict(LETTER, commission=dict(LETTER["commission"], code="SCI-INFO"),
                  opi_code="OPI2027000042")
    first = documents.call("render_letter", APPS, letter, "admission")["document_id"]
    text = "\n".join(pages(download(documents, first)))
    assert "Bienvenue en Master Informatique – 1re année (MINFO1), code OPI OPI2027000042." in text

    with pytest.raises(ValidationFailed) as refused:
        documents.call("save_letter_template", APPS, "SCI-INFO", "admission", "{% if %}")
    assert refused.value.fields == {"body": "template_invalid"}
    with pytest.raises(ValidationFailed):  # the sandbox: no way into Python's internals
        documents.call("save_letter_template", APPS, "SCI-INFO", "admission",
                       "{{ salutation.__class__.__mro__[1].__subclasses__() }}")

    back = documents.call("save_letter_template", APPS, "SCI-INFO", "admission", None)
    assert not back["custom"] and back["body"] == back["default"]
    again = documents.call("render_letter", APPS, letter, "admission")["document_id"]
    assert "nous avons le plaisir" in "\n".join(pages(download(documents, again)))


def test_the_letter_carries_the_commission_signature_image(documents):
    ticket = documents.call("create_upload", service("catalog"), {}, "signature.png", len(PNG),
                            1024 * 1024)
    requests.put(ticket["put_url"], data=PNG, timeout=10)
    documents.call("confirm_upload", service("catalog"), ticket["document_id"], "signature")
    unsigned = documents.call("render_letter", APPS, REFUSAL, "refusal")["document_id"]
    signed = documents.call("render_letter", APPS, dict(REFUSAL, commission=dict(
        REFUSAL["commission"], signature_document_id=ticket["document_id"])),
        "refusal")["document_id"]

    def images(document_id):
        return len(PdfReader(io.BytesIO(download(documents, document_id))).pages[0].images)
    assert images(signed) == images(unsigned) + 1


def test_a_preview_is_marked_as_such(documents):
    document_id = documents.call("render_letter", APPS, REFUSAL, "refusal", True)["document_id"]
    assert "APERÇU" in "\n".join(pages(download(documents, document_id)))


def build_all(documents):
    worker = documents.worker()
    try:
        while worker.build_next_archive():
            pass
    finally:
        worker.db.close()


def test_an_archive_is_built_in_the_background_with_its_progress_then_expires(documents):
    data = dossier_data(documents)
    other = dict(data, application_id=13, candidate=dict(data["candidate"], dossier_number="27ZZ99YY"))
    me = staff("manager", centres=["SCI"])
    started = documents.call("start_archive", APPS, me["id"], "zip", [data, other])
    assert (started["status"], started["done"], started["total"]) == ("queued", 0, 2)
    assert documents.call("get_archive", me, started["archive_id"])["status"] == "queued"

    build_all(documents)
    done = documents.call("get_archive", me, started["archive_id"])
    assert (done["status"], done["done"]) == ("done", 2)
    with zipfile.ZipFile(io.BytesIO(requests.get(done["url"], timeout=10).content)) as zf:
        assert sorted(zf.namelist()) == ["dossier-27AB12CD-MINFO1.pdf", "dossier-27ZZ99YY-MINFO1.pdf"]
        assert "27ZZ99YY" in pages(zf.read("dossier-27ZZ99YY-MINFO1.pdf"))[0]

    with pytest.raises(NotFound):  # someone else's archive
        documents.call("get_archive", staff("manager", centres=["SCI"], id=99), started["archive_id"])

    later = utcnow() + timedelta(hours=3)
    worker = documents.worker()
    worker.clock = lambda: later
    try:
        expired = worker.get_archive(me, started["archive_id"])
    finally:
        worker.db.close()
    assert expired["status"] == "expired" and "url" not in expired


def test_a_merged_pdf_archive_holds_every_dossier(documents):
    data = dossier_data(documents)
    me = staff("admin")
    started = documents.call("start_archive", APPS, me["id"], "pdf", [data, dict(data, application_id=14)])
    build_all(documents)
    done = documents.call("get_archive", me, started["archive_id"])
    text = pages(requests.get(done["url"], timeout=10).content)
    assert sum("Dossier de candidature" in t for t in text) == 2

    with pytest.raises(ValidationFailed) as refused:  # a merged PDF is held in memory
        documents.call("start_archive", APPS, me["id"], "pdf", [data] * 101)
    assert refused.value.fields == {"format": "too_many_for_pdf"}
