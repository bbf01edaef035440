"""The documents service's scheduled jobs on a real database and a real S3
endpoint: orphaned files removed after their grace period (then the bucket
and the table agree, as the check command says), and the files of campaigns
archived for the retention period destroyed, never those of a campaign still
in use."""
import io
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from services.common.actors import service
from services.common.clock import utcnow
from services.common.errors import ValidationFailed
from services.documents import check, jobs
from tests.services.documents.samples import FAKE_PDF, LETTER, OWNER, PDF, PNG
from tests.support.actors import staff

APPLICATIONS = service("applications")


@pytest.fixture
def bucket(documents):
    """The session's bucket emptied: a stray object is one this test left."""
    for key, _size, _modified in list(documents.store.objects()):
        documents.store.remove(key)
    return documents.store


def run(documents, job, now):
    unit = documents.worker().db
    try:
        counts = getattr(jobs, job)(unit, now, store=documents.store)
        unit.commit()
        return counts
    finally:
        unit.close()


def stored(documents, content=PDF, base=None, **owner):
    """A candidate's file confirmed: its part and the piece's merged PDF (made
    with the files of the merged piece `base` first, when given)."""
    part = documents.upload(content, owner=dict(OWNER, **owner))
    answer = documents.call("confirm_upload", APPLICATIONS, part, None,
                            base.merged if base else None)
    assert answer["status"] == "stored"
    merged = answer["document_id"]
    return SimpleNamespace(part=part, merged=merged, ids={part, merged},
                           parts=[p["document_id"] for p in answer["parts"]])


def keys(documents, *document_ids):
    return {documents.document(d).object_key for d in document_ids}


def event(**payload):
    return {"event_id": str(uuid.uuid4()), **payload}


def checked():
    out = io.StringIO()
    return check.main([], out=out), out.getvalue()


def ids(documents):
    return {row[0] for row in documents.rows("SELECT id FROM documents")}


# -- orphaned files --------------------------------------------------------------------

def test_orphaned_files_go_after_their_grace_period_and_the_bucket_then_agrees(documents,
                                                                                bucket):
    kept = stored(documents)                 # the file uploaded and the piece's merged PDF
    unfinished = documents.upload(PNG, owner=dict(OWNER, piece_code="CV"))  # never confirmed
    refused = documents.upload(FAKE_PDF, owner=dict(OWNER, piece_code="LM"))
    with pytest.raises(ValidationFailed):
        documents.call("confirm_upload", APPLICATIONS, refused)
    # an account deleted while one of its uploads was on its way
    documents.call("on_account_deleted", event(candidate_id=8, reason="candidate"))
    late = stored(documents, candidate_id=8)
    late_keys = keys(documents, *late.ids)
    stray = "candidates/9/applications/3/piece/" + str(uuid.uuid4())  # no record keeps it
    bucket.put(stray, PDF, "application/pdf")

    # the deleted account's file and merged PDF go at once
    assert run(documents, "remove_orphaned_files", utcnow()) == {
        "unfinished_uploads": 0, "deleted_accounts": 2, "stray_objects": 0}
    assert ids(documents) == kept.ids | {unfinished, refused}
    assert all(documents.store.size(key) is None for key in late_keys)
    code, report = checked()
    assert code == 1 and f"object without a record (or refused/deleted): {stray}" in report

    later = utcnow() + timedelta(hours=25)
    assert run(documents, "remove_orphaned_files", later) == {
        "unfinished_uploads": 1, "deleted_accounts": 0, "stray_objects": 1}
    assert ids(documents) == kept.ids | {refused}   # a refusal stays on record, without bytes
    assert {key for key, _s, _m in bucket.objects()} == keys(documents, *kept.ids)
    assert checked() == (0, "2 objects, 2 documents kept: they agree\n")
    # nothing more to do: the job is idempotent
    assert run(documents, "remove_orphaned_files", later) == {
        "unfinished_uploads": 0, "deleted_accounts": 0, "stray_objects": 0}


def test_a_file_waiting_for_the_virus_scanner_keeps_its_bytes_however_long(documents, bucket):
    # clamd down for days: the file waits in "scanning", its object is no stray
    waiting = documents.upload(PDF)
    documents.rows("UPDATE documents SET status = 'scanning', size = :size WHERE id = :id "
                   "RETURNING id", id=waiting, size=len(PDF))
    assert run(documents, "remove_orphaned_files", utcnow() + timedelta(days=3)) == {
        "unfinished_uploads": 0, "deleted_accounts": 0, "stray_objects": 0}
    assert documents.store.size(documents.document(waiting).object_key) == len(PDF)
    assert checked() == (0, "1 objects, 1 documents kept: they agree\n")


def test_the_check_reports_a_file_lost_from_the_bucket(documents, bucket):
    lost, resized = stored(documents), stored(documents, piece_code="CV")
    bucket.remove(documents.document(lost.merged).object_key)
    bucket.put(documents.document(resized.part).object_key, PDF + b"more", "application/pdf")
    code, report = checked()
    assert code == 1
    assert f"stored document without its object: {lost.merged}" in report
    assert f"stored document whose object has another size: {resized.part}" in report
    assert report.endswith("3 objects, 4 documents kept: 2 difference(s)\n")


def test_an_administrator_runs_the_clean_up_by_hand(documents, bucket):
    admin = staff("admin")
    names = [job["name"] for job in documents.call("list_jobs", admin)]
    assert names == ["remove_orphaned_files", "destroy_expired_files"]
    documents.upload(PNG)
    record = documents.call("run_job", admin, "remove_orphaned_files")
    assert record["status"] == "done" and record["counts"]["unfinished_uploads"] == 0


# -- retention -------------------------------------------------------------------------

def applied(documents, application_id, campaign, candidate_id):
    documents.call("on_application_created", event(
        event_type="application_created", application_id=application_id,
        candidate_id=candidate_id, campaign=campaign))


def archived_long_ago(documents, code):
    documents.rows("INSERT INTO archived_campaigns VALUES (:code, "
                   "(SELECT archived_on FROM archived_campaigns WHERE code = '2025'), NULL)"
                   " RETURNING code", code=code)


def test_archived_campaigns_files_are_destroyed_after_the_retention_period(documents, bucket):
    applied(documents, 12, "2025", 7)
    applied(documents, 13, "2025", 8)
    applied(documents, 14, "2026", 8)        # the same candidate, a campaign still in use
    applied(documents, 20, "2026", 9)
    piece_12 = stored(documents)
    two_files_12 = stored(documents, PNG, base=piece_12)   # a second file: a new merged PDF
    assert two_files_12.parts == [piece_12.part, two_files_12.part]
    letter_12 = documents.call("render_admission_letter", APPLICATIONS, LETTER)["document_id"]
    piece_13 = stored(documents, candidate_id=8, application_id=13)
    piece_14 = stored(documents, candidate_id=8, application_id=14)
    piece_20 = stored(documents, candidate_id=9, application_id=20)
    documents.call("on_campaign_archived", event(code="2025", next_active="2026"))
    documents.call("on_campaign_archived", event(code="2025", next_active="2026"))  # again
    now = utcnow()

    nothing = {"campaigns": [], "applications": 0, "files": 0, "bytes": 0,
               "kept_for_another_campaign": 0}
    assert run(documents, "destroy_expired_files", now + timedelta(days=360)) == nothing
    assert len(ids(documents)) == 11

    later = now + timedelta(days=366)
    counts = run(documents, "destroy_expired_files", later)
    # candidate 7's two files, both merged PDFs and the letter
    assert {k: counts[k] for k in ("campaigns", "applications", "files",
                                   "kept_for_another_campaign")} == {
        "campaigns": ["2025"], "applications": 1, "files": 5, "kept_for_another_campaign": 2}
    assert counts["bytes"] > 3 * len(PDF)
    # candidate 8's piece of 2025 stays, its file and merged PDF, while their 2026
    # application may share it
    kept = piece_13.ids | piece_14.ids | piece_20.ids
    assert ids(documents) == kept
    assert {key for key, _s, _m in bucket.objects()} == keys(documents, *kept)
    assert documents.rows("SELECT application_id FROM application_campaigns ORDER BY 1") == [
        (13,), (14,), (20,)]
    assert documents.rows("SELECT code, destroyed_at IS NULL FROM archived_campaigns") == [
        ("2025", True)]
    assert (piece_12.ids | two_files_12.ids | {letter_12}).isdisjoint(ids(documents))
    assert run(documents, "destroy_expired_files", later)["files"] == 0   # idempotent
    assert checked()[0] == 0

    # 2026 archived long ago too: now everything of both goes
    archived_long_ago(documents, "2026")
    counts = run(documents, "destroy_expired_files", later)
    assert (counts["campaigns"], counts["files"], counts["applications"]) == (
        ["2025", "2026"], 6, 3)
    assert ids(documents) == set() and list(bucket.objects()) == []
    assert documents.rows("SELECT code, destroyed_at IS NOT NULL FROM archived_campaigns "
                          "ORDER BY code") == [("2025", True), ("2026", True)]
    assert run(documents, "destroy_expired_files", later) == nothing


def test_a_file_stays_while_a_merged_piece_kept_holds_it(documents, bucket):
    applied(documents, 12, "2025", 7)
    first = stored(documents)
    # the same piece, a file added for an application whose campaign documents
    # never heard of: its merged PDF is kept, so is the 2025 file inside it
    both = stored(documents, PNG, base=first, application_id=77)
    assert both.parts == [first.part, both.part]
    documents.call("on_campaign_archived", event(code="2025"))

    counts = run(documents, "destroy_expired_files", utcnow() + timedelta(days=400))
    assert (counts["files"], counts["kept_for_another_campaign"]) == (1, 1)
    assert ids(documents) == both.ids | {first.part}
    assert {key for key, _s, _m in bucket.objects()} == keys(documents, first.part, *both.ids)
    # still to destroy once nothing holds it: the campaign is not done
    assert documents.rows("SELECT destroyed_at IS NULL FROM archived_campaigns") == [(True,)]


def test_a_merged_piece_destroyed_takes_its_files_along(documents, bucket):
    applied(documents, 12, "2025", 7)
    first = stored(documents, application_id=77)         # its campaign unknown here
    both = stored(documents, PNG, base=first)            # then the piece of application 12
    assert both.parts == [first.part, both.part]
    documents.call("delete_document", APPLICATIONS, first.merged)   # the piece let go of it
    documents.call("on_campaign_archived", event(code="2025"))

    counts = run(documents, "destroy_expired_files", utcnow() + timedelta(days=400))
    # the file uploaded for application 77 served only the merged PDF destroyed
    assert (counts["files"], counts["applications"]) == (3, 1)
    assert ids(documents) == {first.merged}              # a deleted record, without bytes
    assert documents.document(first.merged).status == "deleted"
    assert list(bucket.objects()) == []
    assert documents.rows("SELECT destroyed_at IS NOT NULL FROM archived_campaigns") == [(True,)]


def test_a_file_whose_campaign_is_unknown_is_kept(documents, bucket):
    mystery = stored(documents, application_id=77)   # its application_created never came
    documents.call("on_campaign_archived", event(code="2025"))
    assert run(documents, "destroy_expired_files", utcnow() + timedelta(days=400))["files"] == 0
    assert ids(documents) == mystery.ids


def test_the_retention_period_is_configurable(documents, bucket, monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "30")
    applied(documents, 12, "2025", 7)
    stored(documents)
    documents.call("on_campaign_archived", event(code="2025"))
    assert run(documents, "destroy_expired_files", utcnow() + timedelta(days=29))["files"] == 0
    assert run(documents, "destroy_expired_files", utcnow() + timedelta(days=31))["files"] == 2
