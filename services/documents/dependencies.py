"""Object storage through the S3 API (minio client): MinIO in production, any
S3-compatible endpoint locally and in tests (moto's server).

Presigned URLs are signed locally (the region is given, so no request is made):
the gateway sends and fetches the bytes itself, they never cross RabbitMQ."""
import io
import logging
from datetime import timedelta

from minio import Minio
from minio.error import S3Error
from nameko.extensions import DependencyProvider

from services.common.config import env

log = logging.getLogger(__name__)

PUT_EXPIRY = timedelta(minutes=15)   # long enough for a slow upload of a few MB
GET_EXPIRY = timedelta(minutes=5)    # the gateway fetches it at once
MISSING_CODES = ("NoSuchKey", "NoSuchObject", "NotFound")


def storage_settings():
    return {
        "endpoint": env("MINIO_ENDPOINT", "127.0.0.1:9000"),
        "access_key": env("MINIO_ACCESS_KEY", "minioadmin"),
        "secret_key": env("MINIO_SECRET_KEY", "minioadmin"),
        "secure": env("MINIO_SECURE", "0") == "1",
        "region": env("MINIO_REGION", "us-east-1"),
        "bucket": env("MINIO_BUCKET", "ecandidat-documents"),
    }


def _bucket_gone(exc):
    return isinstance(exc, S3Error) and exc.code == "NoSuchBucket"


class ObjectStore:
    """One bucket: presigned URLs, size, first bytes, put, remove. The bucket
    is made again when storage comes back without it (a new volume, a wiped
    test server): no restart needed."""

    def __init__(self, settings):
        self.bucket = settings["bucket"]
        self.client = Minio(settings["endpoint"], access_key=settings["access_key"],
                            secret_key=settings["secret_key"], secure=settings["secure"],
                            region=settings["region"])
        self.bucket_ready = False

    def ensure_bucket(self, check=False):
        """Makes the bucket if missing; `check`: ask storage even if it was
        there before (a presigned PUT goes to it without us)."""
        if self.bucket_ready and not check:
            return
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as exc:  # another instance made it meanwhile
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self.bucket_ready = True

    def _again_if_bucket_gone(self, operation):
        """Runs `operation`; if storage lost the bucket, makes it and runs it once more."""
        try:
            return operation()
        except S3Error as exc:
            if not _bucket_gone(exc):
                raise
            log.warning("bucket %s was gone: made again", self.bucket)
            self.bucket_ready = False
            self.ensure_bucket()
            return operation()

    def upload_url(self, key):
        # the PUT goes straight to the bucket, not through us: it must exist now
        self.ensure_bucket(check=True)
        return self.client.presigned_put_object(self.bucket, key, expires=PUT_EXPIRY)

    def download_url(self, key):
        return self.client.presigned_get_object(self.bucket, key, expires=GET_EXPIRY)

    def size(self, key):
        """Bytes stored under key, or None when nothing is there."""
        self.ensure_bucket()
        try:
            return self._again_if_bucket_gone(
                lambda: self.client.stat_object(self.bucket, key).size)
        except S3Error as exc:
            if exc.code in MISSING_CODES:
                return None
            raise

    def head(self, key, length):
        """The first `length` bytes only: a file is checked without fetching it whole."""
        response = self.client.get_object(self.bucket, key, offset=0, length=length)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def put(self, key, data, content_type):
        self.ensure_bucket()
        self._again_if_bucket_gone(lambda: self.client.put_object(
            self.bucket, key, io.BytesIO(data), len(data), content_type=content_type))

    def objects(self):
        """Every object of the bucket: (key, size, last modified), in key order."""
        self.ensure_bucket()
        for item in self.client.list_objects(self.bucket, recursive=True):
            yield item.object_name, item.size, item.last_modified
    def fetch(self, key, path):
        """The object's bytes into the file at `path`, streamed (constant memory)."""
        self.client.fget_object(self.bucket, key, str(path))

    def put_file(self, key, path, content_type):
        """The file at `path` stored under key, streamed."""
        self.ensure_bucket()
        self._again_if_bucket_gone(lambda: self.client.fput_object(
            self.bucket, key, str(path), content_type=content_type))

    def open(self, key):
        """A readable stream of the object; the caller closes it (close_stream)."""
        return self.client.get_object(self.bucket, key)

    @staticmethod
    def close_stream(response):
        response.close()
        response.release_conn()

    def remove(self, key):
        """Idempotent: removing what is not there succeeds (S3 semantics)."""
        self.ensure_bucket()
        self._again_if_bucket_gone(lambda: self.client.remove_object(self.bucket, key))


class Storage(DependencyProvider):
    """Injects the service's ObjectStore; the bucket is created at setup if missing."""

    def setup(self):
        self.store = ObjectStore(storage_settings())
        try:
            self.store.ensure_bucket()
        except Exception:  # storage not reachable yet: the first call that needs it retries
            log.warning("bucket %s not checked at start; will retry on first use",
                        self.store.bucket, exc_info=True)

    def get_dependency(self, worker_ctx):
        return self.store
