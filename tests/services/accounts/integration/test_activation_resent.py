"""An activation form sent again (its answer lost with the connection, a
reload, the request delivered twice) shows the success it had, not "lien déjà
utilisé"; a later, different use of the used link is told it was used. The
gateway and the accounts container on the real broker and database."""
import html
import re
import uuid

from services.common.actors import ANONYMOUS
from tests.services.accounts.harness import PASSWORD
from tests.services.accounts.integration.listener import next_event
from tests.support.rpc import acting_rpc_proxy

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def flashes(client):
    with client.session_transaction() as session:
        return session.get("_flashes") or []


def test_an_activation_sent_again_shows_its_success(running, rabbit_config):
    from gateway import create_app
    _, received = running
    email = f"lea.{uuid.uuid4().hex[:8]}@example.org"
    with acting_rpc_proxy("accounts", rabbit_config) as accounts:
        accounts.register_candidate(ANONYMOUS, {"last_name": "Martin", "first_name": "Léa",
                                                "email": email, "email_confirm": email,
                                                "lang": "fr"})
    registered = next_event(received, "candidate_registered", email)
    path = f"/compte/activer/{registered['activation_token']}"
    app = create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})
    try:
        browser = app.test_client()
        page = browser.get(path).get_data(as_text=True)
        form = {"csrf_token": CSRF.search(page).group(1),
                "idempotency_key": KEY.search(page).group(1),
                "password": PASSWORD, "password_confirm": PASSWORD}
        done = ("success", "Votre compte est activé. Votre numéro de dossier est "
                f"{registered['dossier_number']} : connectez-vous avec ce numéro ou votre "
                "adresse mail.")
        for _ in range(2):  # the same form, sent again
            answer = browser.post(path, data=form)
            assert answer.status_code == 302 and answer.headers["Location"] == "/"
            assert flashes(browser) == [done]
            browser.get("/")  # the message is shown, and leaves the session
        # Someone opening the link later, with a form of their own.
        later = app.test_client()
        shown = later.get(path)
        assert shown.status_code == 410
        assert "a déjà été utilisé" in html.unescape(shown.get_data(as_text=True))
        page = later.get("/compte/creer").get_data(as_text=True)
        refused = later.post(path, data={**form, "csrf_token": CSRF.search(page).group(1),
                                         "idempotency_key": uuid.uuid4().hex})
        assert refused.status_code == 410
        assert "a déjà été utilisé" in html.unescape(refused.get_data(as_text=True))
    finally:
        app.extensions["rpc_pool"].close()
