"""The candidate's piece uploads through the gateway (services faked, object
storage a stand-in): several files in one form, each streamed to storage then
finished; the page's script gets where to go instead of a redirect; the files
of a piece listed, moved and removed; the limits said before a byte is sent."""
import io

import pytest

from services.common.errors import ValidationFailed
from tests.support.gateway import APPLICATION, TOK, fake, login_candidate, page_text

PIECE_FILES = {"CV": {"files": [
    {"document_id": "p1", "filename": "cv-page1.pdf", "size": 120_000,
     "source_type": "application/pdf"},
    {"document_id": "p2", "filename": "photo.pdf", "size": 480_000, "source_type": "image/jpeg"},
    {"document_id": "p3", "filename": "annexe.pdf", "size": 20_000,
     "source_type": "application/pdf"}], "checking": False}}
WITH_FILE = {**APPLICATION, "pieces": [{**APPLICATION["pieces"][0], "status": "TR",
                                        "has_file": True, "filename": "CV-3-fichiers.pdf"}]}


class Storage:
    """What the gateway PUTs to the presigned URLs, read as a stream."""

    def __init__(self):
        self.objects = {}

    def put(self, url, data, headers, timeout):
        self.objects[url] = data.read()

        class Answer:
            status_code = 200

            def raise_for_status(self):
                pass
        return Answer()


@pytest.fixture
def storage(monkeypatch):
    store = Storage()
    monkeypatch.setattr("gateway.views.candidate.requests.put", store.put)
    return store


def services(app, finish=None, **answers):
    tickets = iter(range(1, 100))

    def start(actor, application_id, piece_code, filename, size, idempotency_key=None):
        number = next(tickets)
        return {"document_id": f"d{number}", "put_url": f"http://s3.test/{number}"}
    return fake(app, applications={
        "get_application": WITH_FILE, "list_piece_files": PIECE_FILES,
        "start_piece_upload": start,
        "finish_piece_upload": finish or {**WITH_FILE, "upload_status": "stored"}, **answers})


def post_files(client, files, xhr=False):
    data = {"csrf_token": TOK, "file": [(io.BytesIO(content), name) for name, content in files]}
    headers = {"X-Requested-With": "XMLHttpRequest"} if xhr else {}
    return client.post("/candidatures/5/pieces/CV/fichier", data=data, headers=headers,
                        content_type="multipart/form-data")


def flashes(client):
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def test_three_files_in_one_form_are_sent_in_order(app, storage):
    remote = services(app)
    client = app.test_client()
    login_candidate(client)
    answer = post_files(client, [("a.pdf", b"%PDF-a"), ("b.jpg", b"jpeg"), ("c.png", b"png")])
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/candidatures/5")
    started = [args[3] for method, args in remote.applications.calls
               if method == "start_piece_upload"]
    assert started == ["a.pdf", "b.jpg", "c.png"]
    finished = [args[3] for method, args in remote.applications.calls
                if method == "finish_piece_upload"]
    assert finished == ["d1", "d2", "d3"]
    assert list(storage.objects.values()) == [b"%PDF-a", b"jpeg", b"png"]
    assert flashes(client) == ["3 fichiers déposés et réunis en un seul PDF."]


def test_the_pages_script_is_told_where_to_go_and_the_message_waits_there(app, storage):
    services(app)
    client = app.test_client()
    login_candidate(client)
    answer = post_files(client, [("a.pdf", b"%PDF-a")], xhr=True)
    assert answer.status_code == 200 and answer.get_json() == {"location": "/candidatures/5"}
    assert "Fichier déposé." in page_text(client.get("/candidatures/5"))


def test_a_refused_file_says_which_and_that_the_earlier_ones_are_kept(app, storage):
    outcomes = iter([{**WITH_FILE, "upload_status": "stored"},
                     ValidationFailed("pdf_encrypted", "encrypted", {"file": "pdf_encrypted"})])

    def finish(*args, **kwargs):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    services(app, finish=finish)
    client = app.test_client()
    login_candidate(client)
    post_files(client, [("a.pdf", b"%PDF-a"), ("secret.pdf", b"%PDF-b"), ("c.pdf", b"%PDF-c")])
    message, = flashes(client)
    assert message.startswith("« secret.pdf » : ")
    assert "mot de passe" in message and "Les fichiers précédents sont bien déposés." in message
    assert len(storage.objects) == 2              # the third was not sent


def test_a_file_waiting_for_the_antivirus_is_said_so(app, storage):
    services(app, finish={**APPLICATION, "upload_status": "scanning"})
    client = app.test_client()
    login_candidate(client)
    post_files(client, [("a.pdf", b"%PDF-a")])
    assert "en cours de vérification" in flashes(client)[0]


def test_the_piece_lists_its_files_in_order_with_their_buttons_and_the_limits(app):
    services(app)
    client = app.test_client()
    login_candidate(client)
    page = client.get("/candidatures/5").get_data(as_text=True)
    text = page_text(client.get("/candidatures/5"))
    assert text.index("cv-page1.pdf") < text.index("photo.pdf") < text.index("annexe.pdf")
    assert 'value="haut:p2"' in page and 'value="bas:p2"' in page and 'value="retirer:p3"' in page
    assert 'value="haut:p1"' not in page and 'value="bas:p3"' not in page
    assert 'name="file" multiple' in page and "upload.js" in page and "<progress" in page
    assert "c'est le fichier ainsi enregistré qui doit faire 2 Mo au plus" in text
    assert 'data-max-bytes="20971520"' in page


def test_a_file_being_checked_is_shown(app):
    services(app, list_piece_files={"CV": {"files": [], "checking": True}})
    client = app.test_client()
    login_candidate(client)
    assert "en cours de vérification (analyse antivirus)" in page_text(client.get("/candidatures/5"))


@pytest.mark.parametrize("action, order, message", [
    ("haut:p2", ["p2", "p1", "p3"], "Ordre des fichiers enregistré."),
    ("bas:p2", ["p1", "p3", "p2"], "Ordre des fichiers enregistré."),
    ("retirer:p1", ["p2", "p3"], "Fichier retiré."),
])
def test_files_are_moved_and_removed(app, action, order, message):
    remote = services(app, arrange_piece_files=WITH_FILE)
    client = app.test_client()
    login_candidate(client)
    answer = client.post("/candidatures/5/pieces/CV/fichiers", data={
        "csrf_token": TOK, "part": ["p1", "p2", "p3"], "action": action})
    assert answer.status_code == 302
    (method, args), = [c for c in remote.applications.calls if c[0] == "arrange_piece_files"]
    assert args[1:] == (5, "CV", order)
    assert flashes(client) == [message]


def test_a_forged_arrangement_asks_nothing(app):
    remote = services(app, arrange_piece_files=WITH_FILE)
    client = app.test_client()
    login_candidate(client)
    client.post("/candidatures/5/pieces/CV/fichiers", data={
        "csrf_token": TOK, "part": ["p1"], "action": "retirer:p9"})
    assert not [c for c in remote.applications.calls if c[0] == "arrange_piece_files"]
