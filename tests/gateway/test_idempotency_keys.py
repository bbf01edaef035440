"""Every state-changing form carries a fresh `idempotency_key`, and the view
hands it to the service command: the same form sent again (a double click, a
reload of an error page) is applied once by the service. Services faked."""
import re


from services.common.errors import ValidationFailed
from tests.support.actors import staff
from tests.support.gateway import TOK, fake, login_as, login_candidate, page_text

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
MANAGER = staff("manager", ["SCI"], id=3, login="gestion.sci")


def recording(app, **services):
    """Fake services that also keep each call's keyword arguments."""
    remote = fake(app, **services)
    keywords = []
    for name, service in remote.services.items():
        original = type(service).__getattr__

        def getattr_(self, method, original=original):
            call = original(self, method)

            def recorded(*args, **kwargs):
                if method in self.answers and not method.startswith(("check_", "get_")):
                    keywords.append((method, kwargs))
                return call(*args, **kwargs)
            return recorded
        service.__class__ = type("Recording", (type(service),), {"__getattr__": getattr_})
    remote.keywords = keywords
    return remote


def test_each_rendered_form_has_its_own_key(app):
    fake(app, accounts={"check_activation_token": {"valid": True}})
    client = app.test_client()
    first = KEY.findall(client.get("/compte/activer/tok-1").get_data(as_text=True))
    second = KEY.findall(client.get("/compte/activer/tok-1").get_data(as_text=True))
    assert len(first) == len(second) == 1 and first != second
    assert len(KEY.findall(client.get("/compte/creer").get_data(as_text=True))) == 1


def test_the_posted_key_reaches_the_command(app):
    remote = recording(app, accounts={"check_activation_token": {"valid": True},
                                      "activate_account": {"candidate_id": 1,
                                                           "dossier_number": "27AB0001"}})
    client = app.test_client()
    page = client.get("/compte/activer/tok-1").get_data(as_text=True)
    key = KEY.search(page).group(1)
    for _ in range(2):  # the form sent twice: the same key both times
        client.post("/compte/activer/tok-1", data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "idempotency_key": key, "password": "x", "password_confirm": "x"})
    assert remote.keywords == [("activate_account", {"idempotency_key": key})] * 2


def test_staff_and_candidate_commands_pass_the_key_and_work_without_one(app):
    remote = recording(app, applications={"enter_decision": {}, "validate_decision": {},
                                          "transmit": {}})
    staff = app.test_client()
    login_as(staff, MANAGER)
    staff.post("/gestion/candidatures/4/avis", data={
        "csrf_token": TOK, "idempotency_key": "k-1", "code": "DE", "reason": "Incomplet"})
    staff.post("/gestion/candidatures/4/avis/valider", data={"csrf_token": TOK})
    candidate = app.test_client()
    login_candidate(candidate)
    candidate.post("/candidatures/5/transmettre",
                   data={"csrf_token": TOK, "idempotency_key": "k-2"})
    assert remote.keywords == [("enter_decision", {"idempotency_key": "k-1"}),
                               ("validate_decision", {"idempotency_key": None}),
                               ("transmit", {"idempotency_key": "k-2"})]


def test_a_form_shown_again_after_an_error_gets_a_new_key_and_keeps_the_input(app):
    fake(app, accounts={"register_candidate": ValidationFailed(
        "invalid", "bad", {"email_confirm": "email_mismatch"})})
    client = app.test_client()
    page = client.get("/compte/creer").get_data(as_text=True)
    sent = KEY.search(page).group(1)
    answer = client.post("/compte/creer", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
        "idempotency_key": sent, "last_name": "Martin", "first_name": "Léa",
        "email": "lea@example.org", "email_confirm": "leo@example.org"})
    assert answer.status_code == 422
    again = KEY.findall(answer.get_data(as_text=True))
    assert len(again) == 1 and again[0] != sent
    assert "lea@example.org" in page_text(answer)
