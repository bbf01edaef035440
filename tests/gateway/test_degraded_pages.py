"""Pages that do not need a dead service keep working: what they show of it is
replaced by a short notice; pages that need it answer 503 with Retry-After.
The services are faked; the gateway's own circuits are the real ones."""
from collections import defaultdict


from services.common.breaker import unavailable
from services.common.errors import Unavailable
from tests.support.gateway import (APPLICATION, DOSSIER, as_staff, fake, login_candidate, page_text,
                                   staff_services)

DOCUMENTS_NOTICE = "Le dépôt et la consultation des pièces sont momentanément indisponibles"
MAILS_NOTICE = "Les messages envoyés sont momentanément indisponibles"
SUMMARY = {"id": 5, "status": "AT", "cancelled": False, "archived": False,
           "formation": {"code": "MINFO1", "label": "Master Informatique"}}


def down(service):
    """A faked service whose every RPC answers that it is unavailable."""
    return defaultdict(lambda: Unavailable("service_unavailable", f"{service} is down"))


def open_circuit(app, service):
    """What the gateway learns when its calls to `service` fail, or when other
    services answer that it is down."""
    guards = app.extensions["rpc_pool"].guards
    for _ in range(app.config["CIRCUIT_FAILURES"]):
        guards.heard_unavailable(unavailable(service, f"{service} did not answer"))


def candidate_services(app):
    return fake(app, accounts={"get_dossier": DOSSIER},
                applications={"get_application": APPLICATION, "list_my_applications": [SUMMARY]},
                documents=down("documents"))


def test_with_documents_down_the_candidate_reads_applications_and_dossier(app):
    remote = candidate_services(app)
    open_circuit(app, "documents")
    client = app.test_client()
    login_candidate(client)
    listing = client.get("/candidatures")
    assert listing.status_code == 200 and "Master Informatique" in page_text(listing)
    one = client.get("/candidatures/5")
    assert one.status_code == 200
    text = page_text(one)
    assert "Master Informatique" in text and DOCUMENTS_NOTICE in text
    assert client.get("/dossier").status_code == 200
    assert remote.documents.calls == []


def test_the_notice_is_in_english_for_an_english_reader(app):
    candidate_services(app)
    open_circuit(app, "documents")
    client = app.test_client()
    login_candidate(client)
    client.get("/langue/en")
    text = page_text(client.get("/candidatures/5"))
    assert "Uploading and viewing documents is briefly unavailable" in text


def test_no_notice_while_documents_answers(app):
    candidate_services(app)
    client = app.test_client()
    login_candidate(client)
    text = page_text(client.get("/candidatures/5"))
    assert DOCUMENTS_NOTICE not in text and "Master Informatique" in text


def test_a_page_that_needs_documents_answers_503(app):
    remote = candidate_services(app)
    remote.services["accounts"].answers["export_my_data"] = {"account": {}}
    remote.services["applications"].answers["export_my_data"] = []
    remote.services["notifications"] = type(remote.services["accounts"])({"list_mails": []})
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/compte/mes-donnees")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert "momentanément indisponible" in page_text(answer)


def test_with_notifications_down_staff_read_applications_and_candidates(app):
    remote = staff_services(app)
    remote.services["notifications"].answers = down("notifications")
    remote.services["applications"].answers["get_application"] = {
        **APPLICATION, "candidate": {"id": 7, "dossier_number": "22PB7Y36", "first_name": "Léa",
                                     "last_name": "Martin", "email": "lea@example.org"},
        "can_validate": False}
    remote.services["catalog"] = type(remote.services["accounts"])({"list_centres": []})
    client = app.test_client()
    as_staff(client)
    listing = client.get("/gestion/")
    assert listing.status_code == 200 and "Master Info" in page_text(listing)
    one = client.get("/gestion/candidatures/5")
    assert one.status_code == 200 and "Master Informatique" in page_text(one)
    candidate = client.get("/gestion/candidats/7")
    assert candidate.status_code == 200
    text = page_text(candidate)
    assert MAILS_NOTICE in text and "Master Info" in text and "Claire Scol" in text


def test_the_candidate_mails_page_needs_notifications(app):
    fake(app, notifications=down("notifications"))
    client = app.test_client()
    login_candidate(client)
    answer = client.get("/mails")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
