"""The real container: presigned upload, check, download, over the real broker."""
import pytest
import requests
from nameko.standalone.rpc import ServiceRpcProxy

from services.common.errors import ValidationFailed
from services.documents.service import DocumentsService

from ..conftest import OWNER, PNG


def test_upload_check_download_over_rpc(container_factory, rabbit_config, service_db, s3_endpoint):
    service_db("documents")
    container = container_factory(DocumentsService, rabbit_config)
    container.start()
    with ServiceRpcProxy("documents", rabbit_config) as documents:
        ticket = documents.create_upload(OWNER, "photo.png", len(PNG), 1024)
        requests.put(ticket["put_url"], data=PNG, timeout=10).raise_for_status()
        assert documents.confirm_upload(ticket["document_id"])["content_type"] == "image/png"
        link = documents.get_download(ticket["document_id"])
        assert requests.get(link["url"], timeout=10).content == PNG

        bad = documents.create_upload(OWNER, "cv.pdf", 5, 1024)
        requests.put(bad["put_url"], data=b"hello", timeout=10).raise_for_status()
        with pytest.raises(ValidationFailed) as info:
            documents.confirm_upload(bad["document_id"])
        assert info.value.fields == {"file": "file_type_invalid"}
