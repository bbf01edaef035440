"""Storage that comes back without its bucket (a new volume, a wiped server)
is repaired by the documents service itself, without a restart."""
import uuid

import requests

from services.documents.dependencies import ObjectStore, storage_settings


def wipe(store):
    """What an operator sees after S3 came back empty: no bucket at all."""
    if not store.client.bucket_exists(store.bucket):
        return
    for item in store.client.list_objects(store.bucket, recursive=True):
        store.client.remove_object(store.bucket, item.object_name)
    store.client.remove_bucket(store.bucket)


def fresh_store(s3_endpoint):
    store = ObjectStore({**storage_settings(), "bucket": f"heal-{uuid.uuid4().hex[:12]}"})
    store.ensure_bucket()
    return store


def test_uploads_work_again_when_the_bucket_is_gone(s3_endpoint):
    store = fresh_store(s3_endpoint)
    wipe(store)
    # the gateway PUTs to a presigned URL: the bucket must be there first
    url = store.upload_url("candidates/7/cni.pdf")
    assert requests.put(url, data=b"%PDF-1.4 test", timeout=10).status_code == 200
    assert store.size("candidates/7/cni.pdf") == len(b"%PDF-1.4 test")


def test_writes_and_reads_work_again_when_the_bucket_is_gone(s3_endpoint):
    store = fresh_store(s3_endpoint)
    store.put("letters/1.pdf", b"%PDF-1.4 letter", "application/pdf")
    wipe(store)
    assert store.size("letters/1.pdf") is None        # gone with the bucket, said plainly
    wipe(store)
    store.put("letters/2.pdf", b"%PDF-1.4 letter", "application/pdf")
    assert store.size("letters/2.pdf") == len(b"%PDF-1.4 letter")
    wipe(store)
    store.remove("letters/2.pdf")                     # nothing to remove: no error
    assert store.client.bucket_exists(store.bucket)
