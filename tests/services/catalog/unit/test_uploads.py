"""The catalogue's own files (piece templates, commission signatures): catalog
gets the upload URL from documents, has documents check what arrived for its
purpose once the rest of the form is accepted, records it and deletes the file
it replaces. documents is faked here (its checks are its own tests');
tests/e2e/test_administration.py runs the whole path on real storage."""
from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory

from services.catalog.models import Base
from services.catalog.service import CatalogService
from services.common.clock import FixedClock
from services.common.errors import Forbidden, ValidationFailed
from tests.services.catalog.world import MANAGER_LLSH, MANAGER_SCI, READONLY, SCOL

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)
KINDS = {"template": "application/pdf", "signature": "image/png"}


class FakeDocuments:
    """Files by id: what documents would answer, the content type given per upload."""

    def __init__(self):
        self.files, self.deleted, self.calls, self.arrived = {}, [], [], {}

    def create_upload(self, owner, filename, size, max_size):
        self.calls.append(("create_upload", owner, filename, size, max_size))
        if size > max_size:
            raise ValidationFailed("file_too_large", "x", {"file": "file_too_large"})
        document_id = f"doc-{len(self.calls)}"
        self.files[document_id] = {"document_id": document_id, "filename": filename,
                                   "status": "pending"}
        return {"document_id": document_id, "put_url": f"http://s3/{document_id}"}

    def confirm_upload(self, document_id, purpose=None):
        self.calls.append(("confirm_upload", document_id, purpose))
        if self.arrived.get(document_id) != KINDS[purpose]:
            self.files[document_id]["status"] = "rejected"
            code = "template_not_pdf" if purpose == "template" else "signature_not_image"
            raise ValidationFailed(code, "x", {"file": code})
        self.files[document_id]["status"] = "stored"
        return {**self.files[document_id], "content_type": KINDS[purpose], "size": 10}

    def delete_document(self, document_id):
        self.calls.append(("delete_document", document_id))
        self.files[document_id]["status"] = "deleted"
        self.deleted.append(document_id)
        return {"document_id": document_id, "deleted": True}


@pytest.fixture
def documents():
    return FakeDocuments()


@pytest.fixture
def call(catalog_db, unit_of_work, documents):
    def run(method, *args, **kwargs):
        unit = unit_of_work(catalog_db, Base.metadata)
        worker = worker_factory(CatalogService, db=unit, clock=FixedClock(NOW),
                                documents=documents)
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()
    return run


@pytest.fixture
def catalogue(rows):
    campaign = rows.campaign()
    sci, llsh = rows.centre("SCI"), rows.centre("LLSH", "UFR LLSH")
    info = rows.commission("SCI-INFO", sci)
    rows.commission("LLSH-LEA", llsh)
    rows.formation("MINFO1", "Master Informatique", info, campaign)
    return rows.piece("DOSSIER", 2, sci)


def upload(call, documents, purpose, content_type, who=SCOL):
    ticket = call("start_upload", who, purpose, f"{purpose}.bin", 100)
    documents.arrived[ticket["document_id"]] = content_type  # what the PUT brought
    return ticket["document_id"]


def test_a_template_is_checked_as_a_pdf_recorded_and_the_old_one_deleted(call, catalogue,
                                                                        documents):
    first = upload(call, documents, "template", "application/pdf")
    saved = call("save_piece", SCOL, {"code": "DOSSIER", "label": "Dossier", "scope": "centre",
                                      "owner": "SCI"}, catalogue.id, template_upload=first)
    assert saved["template_document_id"] == first and documents.deleted == []
    assert ("confirm_upload", first, "template") in documents.calls
    assert documents.calls[0][-1] == 10 * 1024 * 1024  # a template: 10 MB at most

    second = upload(call, documents, "template", "application/pdf")
    call("save_piece", SCOL, {"code": "DOSSIER", "label": "Dossier", "scope": "centre",
                              "owner": "SCI"}, catalogue.id, template_upload=second)
    assert documents.deleted == [first]  # replaced: the old object goes
    # a change without a file keeps the template
    kept = call("save_piece", SCOL, {"code": "DOSSIER", "label": "Dossier (modifié)",
                                     "scope": "centre", "owner": "SCI"}, catalogue.id)
    assert kept["template_document_id"] == second and documents.deleted == [first]


def test_a_refused_file_leaves_nothing_and_the_old_one_in_place(call, catalogue, documents):
    old = upload(call, documents, "signature", "image/png")
    call("save_commission", SCOL, {"label": "Commission Info", "centre": "SCI"}, "SCI-INFO",
         signature_upload=old)
    fake_png = upload(call, documents, "signature", "application/pdf")  # PDF bytes, .png name
    with pytest.raises(ValidationFailed) as refused:
        call("save_commission", SCOL, {"label": "Commission Info", "centre": "SCI"},
             "SCI-INFO", signature_upload=fake_png)
    assert refused.value.fields == {"signature": "signature_not_image"}
    assert documents.files[fake_png]["status"] == "deleted" and old not in documents.deleted
    commission = {c["code"]: c for c in call("list_commissions", SCOL)}["SCI-INFO"]
    assert commission["signature_document_id"] == old

    # the file is fine but the form is not: the file goes, nothing changes
    good = upload(call, documents, "signature", "image/png")
    with pytest.raises(ValidationFailed):
        call("save_commission", SCOL, {"label": "", "centre": "SCI"}, "SCI-INFO",
             signature_upload=good)
    assert documents.files[good]["status"] == "deleted"
    assert ("confirm_upload", good, "signature") not in documents.calls  # never kept
    assert {c["code"]: c for c in call("list_commissions", SCOL)}["SCI-INFO"][
        "signature_document_id"] == old


def test_a_template_shared_by_formations_stays_while_one_uses_it(call, catalogue, documents,
                                                                 rows):
    shared = upload(call, documents, "template", "application/pdf")
    call("assign_piece", SCOL, {"code": "LM", "label": "Lettre"}, ["MINFO1"],
         template_upload=shared)
    call("save_piece", SCOL, {"code": "DOSSIER", "label": "Dossier", "scope": "centre",
                              "owner": "SCI", "template_document_id": shared,
                              "template_filename": "x.pdf"}, catalogue.id)
    call("assign_piece", SCOL, {"code": "LM", "label": "Lettre", "template_document_id": ""},
         ["MINFO1"])
    assert documents.deleted == []  # the centre's piece still uses it


def test_who_may_upload_and_how_large(call, catalogue, documents):
    with pytest.raises(Forbidden):
        call("start_upload", READONLY, "template", "x.pdf", 10)
    assert call("start_upload", MANAGER_LLSH, "signature", "s.png", 10)["put_url"]
    with pytest.raises(ValidationFailed) as big:
        call("start_upload", MANAGER_SCI, "signature", "s.png", 3 * 1024 * 1024)
    assert big.value.fields == {"signature": "file_too_large"}  # a signature: 2 MB at most
    with pytest.raises(ValidationFailed):
        call("start_upload", SCOL, "photo", "p.png", 10)
    other = upload(call, documents, "signature", "image/png", who=MANAGER_SCI)
    with pytest.raises(Forbidden):  # not their centre's commission: the file goes too
        call("save_commission", MANAGER_SCI, {"label": "LEA", "centre": "LLSH"}, "LLSH-LEA",
             signature_upload=other)
    assert documents.files[other]["status"] == "deleted"
