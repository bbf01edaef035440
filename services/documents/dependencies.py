"""Object storage (S3 API through the minio client): MinIO in production,
any S3-compatible endpoint locally and in tests (moto's server)."""
import io
from datetime import timedelta

from minio import Minio
from minio.error import S3Error
from nameko.extensions import DependencyProvider

from services.common.config import env

PUT_EXPIRY = timedelta(minutes=15)
GET_EXPIRY = timedelta(minutes=5)


def storage_settings():
    return {
        "endpoint": env("MINIO_ENDPOINT", "127.0.0.1:9000"),
        "access_key": env("MINIO_ACCESS_KEY", "minioadmin"),
        "secret_key": env("MINIO_SECRET_KEY", "minioadmin"),
        "secure": env("MINIO_SECURE", "0") == "1",
        "region": env("MINIO_REGION", "us-east-1"),
        "bucket": env("MINIO_BUCKET", "ecandidat-documents"),
    }


class Storage:
    def __init__(self, settings):
        self.bucket = settings["bucket"]
        self.client = Minio(settings["endpoint"], access_key=settings["access_key"],
                            secret_key=settings["secret_key"], secure=settings["secure"],
                            region=settings["region"])
        self._bucket_ready = False

    def ensure_bucket(self):
        if not self._bucket_ready:
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket)
                except S3Error as exc:  # another instance made it meanwhile
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            self._bucket_ready = True

    def upload_url(self, key):
        self.ensure_bucket()
        return self.client.presigned_put_object(self.bucket, key, expires=PUT_EXPIRY)

    def download_url(self, key, filename, content_type):
        self.ensure_bucket()
        return self.client.presigned_get_object(self.bucket, key, expires=GET_EXPIRY)

    def size(self, key):
        """Bytes stored under key, or None when nothing is there."""
        self.ensure_bucket()
        try:
            return self.client.stat_object(self.bucket, key).size
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    def head(self, key, length):
        response = self.client.get_object(self.bucket, key, offset=0, length=length)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def put(self, key, data, content_type):
        self.ensure_bucket()
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                               content_type=content_type)

    def remove(self, key):
        self.ensure_bucket()
        self.client.remove_object(self.bucket, key)


class StorageProvider(DependencyProvider):
    def setup(self):
        self.storage = Storage(storage_settings())

    def get_dependency(self, worker_ctx):
        return self.storage
