"""The access log never holds a working token or CAS ticket."""
import datetime
import types

from gunicorn.config import Config

from gateway.access_log import MaskingLogger, mask_secrets


def test_links_and_tickets_are_masked_and_the_rest_is_kept():
    assert mask_secrets("GET /compte/activer/AbC-123_x HTTP/1.1") == "GET /compte/activer/[masqué] HTTP/1.1"
    assert mask_secrets("/compte/reinitialiser/tok?x=1") == "/compte/reinitialiser/[masqué]?x=1"
    assert mask_secrets("/compte/email/tok") == "/compte/email/[masqué]"
    assert mask_secrets("POST /compte/refuser-email/tok HTTP/1.1") == \
        "POST /compte/refuser-email/[masqué] HTTP/1.1"
    assert mask_secrets("GET /cas/retour?ticket=ST-1-abc&x=2 HTTP/1.1") == \
        "GET /cas/retour?ticket=[masqué]&x=2 HTTP/1.1"
    assert mask_secrets("GET /offre?filtre=informatique HTTP/1.1") == \
        "GET /offre?filtre=informatique HTTP/1.1"


def test_gunicorn_access_log_line_is_masked():
    config = Config()
    config.set("logger_class", "gateway.access_log.MaskingLogger")
    logger = MaskingLogger(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/cas/retour?ticket=ST-42-secret",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": "/cas/retour",
               "QUERY_STRING": "ticket=ST-42-secret", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "http://x/compte/activer/secret-token"}
    response = types.SimpleNamespace(status="302 FOUND", sent=0, headers=[])
    request = types.SimpleNamespace(headers=[("REFERER", "http://x/compte/activer/secret-token")])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(seconds=0))
    line = " ".join(str(value) for value in atoms.values())
    assert "ST-42-secret" not in line and "secret-token" not in line
    assert "/cas/retour" in line
