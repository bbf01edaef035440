"""A candidate's files for a piece: the upload corpus (each file with its outcome),
images made A4 pages, several files merged in the candidate's order, the virus
scanner (a real clamd knowing the EICAR test file), and clamd down then back."""
import io
import logging

import pytest
import requests
from pypdf import PdfReader

from services.common.actors import service
from services.common.errors import ValidationFailed
from services.documents import checks
from tests.services.documents import samples
from tests.services.documents.samples import FAKE_PDF, JPEG, OWNER, PDF, PNG
from tests.support.actors import candidate, staff

SERVICE = service("applications")
MB = 1024 * 1024
A4 = (595.3, 841.9)


def confirm(documents, document_id, base_id=None):
    return documents.call("confirm_upload", SERVICE, document_id, None, base_id)


def add(documents, content, name="carte.pdf", base_id=None, max_size=2 * MB):
    return confirm(documents, documents.upload(content, name=name, max_size=max_size), base_id)


def read_pdf(documents, document_id):
    link = documents.call("get_download", SERVICE, document_id)
    return PdfReader(io.BytesIO(requests.get(link["url"], timeout=10).content))


def page_size(page):
    return (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1))


# Each file of the corpus and what becomes of it: kept (the type it came as), or
# refused with the code the candidate's message is made from.
CORPUS = [
    ("valid PDF", lambda: PDF, "releves.pdf", "application/pdf"),
    ("JPEG", lambda: JPEG, "photo.jpg", "image/jpeg"),
    ("PNG", lambda: PNG, "scan.png", "image/png"),
    ("text renamed .pdf", lambda: FAKE_PDF, "carte.pdf", "file_type_invalid"),
    ("shell script renamed .png", lambda: b"#!/bin/sh\nrm -rf /\n", "x.png", "file_type_invalid"),
    ("PNG holding a PDF", samples.png_with_pdf_inside, "scan.png", "file_polyglot"),
    ("PDF with a ZIP appended", samples.pdf_with_zip_appended, "a.pdf", "file_polyglot"),
    ("PDF with JavaScript", samples.pdf_with_javascript, "a.pdf", "pdf_script"),
    ("PDF with an attached file", samples.pdf_with_attachment, "a.pdf", "pdf_attachment"),
    ("encrypted PDF", samples.encrypted_pdf, "a.pdf", "pdf_encrypted"),
    ("truncated PDF", lambda: PDF[:300], "a.pdf", "file_corrupt"),
    ("truncated PNG", lambda: PNG[:40], "a.png", "file_corrupt"),
    ("decompression bomb PNG", samples.decompression_bomb_png, "a.png", "image_too_large"),
    ("EICAR inside a PDF", samples.pdf_with_eicar, "a.pdf", "file_infected"),
    ("100-character name", lambda: PDF, "n" * 96 + ".pdf", "application/pdf"),
    ("unicode name", lambda: PDF, "Relevé de notes – 1re année 🎓.pdf", "application/pdf"),
]


@pytest.mark.parametrize("label, make, name, outcome", CORPUS, ids=[c[0] for c in CORPUS])
def test_the_upload_corpus(documents, label, make, name, outcome, caplog):
    content = make()
    document_id = documents.upload(content, name=name)
    if outcome.startswith(("application/", "image/")):
        stored = confirm(documents, document_id)
        assert stored["status"] == "stored" and stored["content_type"] == "application/pdf"
        part, = stored["parts"]
        assert part["source_type"] == outcome
        assert part["filename"] == (name if outcome == "application/pdf"
                                    else checks.pdf_name(name))
        assert len(read_pdf(documents, stored["document_id"]).pages) == 1
        return
    with caplog.at_level(logging.WARNING, logger="services.documents.service"):
        with pytest.raises(ValidationFailed) as info:
            confirm(documents, document_id)
    assert info.value.fields == {"file": outcome}
    row = documents.document(document_id)
    assert row.status == "rejected" and documents.store.size(row.object_key) is None
    assert documents.events("document_stored") == []
    if outcome == "file_infected":   # logged with the signature clamd found
        assert row.scan_result.startswith("Eicar-Test-Signature")
        assert any("infected file refused" in r.getMessage() and "Eicar" in r.getMessage()
                   for r in caplog.records)


def test_names_over_100_characters_and_empty_files_are_refused_before_any_byte(documents):
    for name, size, code in (("n" * 97 + ".pdf", 10, "filename_too_long"),
                             ("vide.pdf", 0, "file_empty")):
        with pytest.raises(ValidationFailed) as info:
            documents.call("create_upload", SERVICE, OWNER, name, size, 2 * MB)
        assert info.value.fields == {"file": code}
    with pytest.raises(ValidationFailed) as info:   # announced 10 bytes, nothing came
        confirm(documents, documents.upload(b"", declared=10))
    assert info.value.fields == {"file": "file_empty"}


def test_a_pdf_over_the_limit_is_refused_and_the_piece_keeps_what_it_had(documents):
    kept = add(documents, PDF)
    with pytest.raises(ValidationFailed) as info:
        add(documents, samples.padded_pdf(300 * 1024), base_id=kept["document_id"],
            max_size=200 * 1024)
    assert info.value.fields == {"file": "file_too_large"}
    assert documents.document(kept["document_id"]).status == "stored"
    assert len(read_pdf(documents, kept["document_id"]).pages) == 1


def test_a_6_mb_phone_photo_becomes_an_upright_a4_page_well_under_2_mb(documents):
    photo = samples.phone_photo(orientation=6)          # landscape pixels, held upright
    assert len(photo) > 5 * MB
    stored = add(documents, photo, name="IMG_2041.JPG")
    # pure noise, the worst case for JPEG: a real photo ends far smaller
    assert stored["size"] < 1.5 * MB and stored["filename"] == "IMG_2041.pdf"
    page, = read_pdf(documents, stored["document_id"]).pages
    assert page_size(page) == A4                        # portrait: the EXIF turn applied
    image, = page.images
    assert image.image.height > image.image.width
    assert image.image.height <= round(11.69 * 170)     # about 170 dpi over the page


def test_a_landscape_photo_is_a_landscape_a4_page(documents):
    stored = add(documents, samples.phone_photo(orientation=1, size=(1600, 1200)))
    page, = read_pdf(documents, stored["document_id"]).pages
    assert page_size(page) == (A4[1], A4[0])


@pytest.mark.skipif(samples.heic_photo() is None, reason="no HEIC writer installed")
def test_an_heic_photo_is_converted(documents):
    stored = add(documents, samples.heic_photo(), name="IMG_0001.HEIC")
    assert stored["parts"][0]["source_type"] == "image/heic"
    assert stored["filename"] == "IMG_0001.pdf"
    assert page_size(read_pdf(documents, stored["document_id"]).pages[0]) == (A4[1], A4[0])


def test_files_added_one_after_another_are_merged_in_order_then_rearranged(documents):
    first = add(documents, samples.pdf_of("page un"), name="un.pdf")
    second = add(documents, JPEG, name="deux.jpg", base_id=first["document_id"])
    third = add(documents, samples.pdf_of("page trois"), name="trois.pdf",
                base_id=second["document_id"])
    assert [p["filename"] for p in third["parts"]] == ["un.pdf", "deux.pdf", "trois.pdf"]
    assert third["filename"] == "CNI-3-fichiers.pdf"
    merged = read_pdf(documents, third["document_id"])
    assert len(merged.pages) == 3
    assert "page un" in merged.pages[0].extract_text()
    assert "page trois" in merged.pages[2].extract_text()
    assert page_size(merged.pages[1]) == A4             # the photo's page

    # The candidate moves the last file first and removes the photo.
    ids = [p["document_id"] for p in third["parts"]]
    arranged = documents.call("arrange_piece", SERVICE, third["document_id"], [ids[2], ids[0]])
    assert [p["filename"] for p in arranged["parts"]] == ["trois.pdf", "un.pdf"]
    merged = read_pdf(documents, arranged["document_id"])
    assert len(merged.pages) == 2 and "page trois" in merged.pages[0].extract_text()
    # Earlier merged PDFs stay until the piece lets go of them (staff may be reading one).
    assert documents.document(third["document_id"]).status == "stored"
    listed = documents.call("piece_parts", SERVICE, [arranged["document_id"]])
    assert [p["filename"] for p in listed["parts"][arranged["document_id"]]] == [
        "trois.pdf", "un.pdf"]

    # Deleting the old merged PDFs keeps the files the new one is made of.
    for old in (first, second, third):
        documents.call("delete_document", SERVICE, old["document_id"])
    status = dict(documents.rows("SELECT id, status FROM documents WHERE kind = 'part'"))
    assert status == {ids[0]: "stored", ids[1]: "deleted", ids[2]: "stored"}
    assert len(read_pdf(documents, arranged["document_id"]).pages) == 2


def test_rearranging_takes_only_files_of_that_piece(documents):
    piece = add(documents, PDF)
    other = add(documents, PNG, name="x.png")
    for part_ids in ([], [other["parts"][0]["document_id"]],
                     [piece["parts"][0]["document_id"]] * 2, "x"):
        with pytest.raises(ValidationFailed):
            documents.call("arrange_piece", SERVICE, piece["document_id"], part_ids)


def test_a_retried_confirmation_answers_the_same_merged_pdf(documents):
    first = add(documents, PDF)
    part = documents.upload(PNG, name="b.png")
    once = confirm(documents, part, first["document_id"])
    assert confirm(documents, part, first["document_id"]) == once
    # told again once the piece holds it: the piece as it is
    assert confirm(documents, part, once["document_id"]) == once
    assert len(documents.events("document_stored")) == 2


def test_another_candidates_piece_is_never_a_base(documents):
    theirs = add(documents, samples.pdf_of("pas a moi"))
    owner = dict(OWNER, candidate_id=8)
    document_id = documents.upload(PDF, owner=owner)
    mine = confirm(documents, document_id, theirs["document_id"])
    assert len(mine["parts"]) == 1 and len(read_pdf(documents, mine["document_id"]).pages) == 1
    # nor another piece of the same candidate
    cv = documents.upload(PDF, owner=dict(owner, piece_code="CV"))
    assert len(confirm(documents, cv, mine["document_id"])["parts"]) == 1


@pytest.mark.parametrize("method, args", [
    ("arrange_piece", ("doc", ["a"])), ("piece_parts", (["doc"],))])
def test_only_the_applications_service_arranges_and_lists_files(documents, method, args):
    for who in (candidate(7), staff("admin"), service("catalog")):
        with pytest.raises(Exception) as info:
            documents.call(method, who, *args)
        assert getattr(info.value, "code", None) in ("forbidden", "untrusted_actor",
                                                     "read_only")


def test_clamd_down_the_file_waits_then_is_scanned_when_it_returns(documents):
    if documents.clamd is None:
        pytest.skip("an external clamd (CLAMD_ADDRESS) cannot be stopped here")
    kept = add(documents, PDF)
    documents.clamd.stop()
    try:
        waiting = documents.upload(JPEG, name="photo.jpg")
        infected = documents.upload(samples.pdf_with_eicar(), name="b.pdf",
                                    owner=dict(OWNER, piece_code="CV"))
        answer = confirm(documents, waiting, kept["document_id"])
        assert answer["status"] == "scanning" and answer["parts"] == []
        assert confirm(documents, infected)["status"] == "scanning"
        assert documents.document(waiting).status == "scanning"
        assert documents.call("piece_parts", SERVICE, [], 12)["scanning"] == ["CNI", "CV"]
        assert documents.call("piece_parts", SERVICE, [], 13)["scanning"] == []
        # Never shown unscanned: nothing merged, nothing to download.
        assert documents.events("document_stored") == documents.events("document_stored")[:1]
        assert documents.call("scan_waiting") == 0       # still down: both keep waiting
        assert documents.document(waiting).status == "scanning"
    finally:
        documents.clamd.start()
    assert documents.call("scan_waiting") == 2
    assert documents.document(waiting).status == "stored"
    assert documents.document(infected).status == "rejected"
    verdicts = {e["document_id"]: e["clean"] for e in documents.events("document_scanned")}
    assert verdicts == {waiting: True, infected: False}
    assert documents.call("scan_waiting") == 0
    # The applications service, told, attaches the file to the piece as usual.
    merged = confirm(documents, waiting, kept["document_id"])
    assert merged["status"] == "stored" and len(merged["parts"]) == 2
    assert len(read_pdf(documents, merged["document_id"]).pages) == 2
    with pytest.raises(ValidationFailed) as info:
        confirm(documents, infected)
    assert info.value.fields == {"file": "file_infected"}


def test_bytes_that_look_like_an_archive_end_inside_a_photo_are_not_a_polyglot(tmp_path):
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="JPEG", comment=b"PK\x05\x06 by chance")
    path = tmp_path / "photo.jpg"
    path.write_bytes(out.getvalue())
    assert checks.identify(path, len(out.getvalue())) == "image/jpeg"
