"""Dead letters over HTTP with every service running: a message that is not
an event, published to accounts' events, is set aside by each service handling
that event type; the administrator sees it on the portal and replays it."""
import json
import re
import time

import pytest
from kombu import Connection, Exchange, Producer

from tests.support.e2e import staff_login, text


pytestmark = pytest.mark.e2e


def test_an_administrator_sees_and_replays_each_services_dead_letters(platform, browser):
    admin = staff_login(browser, "admin")
    page = text(admin.get("/gestion/admin/lettres-mortes"))
    assert "Messages en échec" in page and "indisponible" not in page

    with Connection(platform.extra_env["AMQP_URI"]) as connection:
        Producer(connection.channel()).publish(
            json.dumps(["not", "an", "event"]),
            exchange=Exchange("accounts.events", "topic", durable=True),
            routing_key="account_deleted", content_type="application/json",
            content_encoding="utf-8")
    handlers = ("applications.on_account_deleted", "documents.on_account_deleted",
                "notifications.on_account_deleted")
    deadline = time.monotonic() + 30
    while not all(h in page for h in handlers) and time.monotonic() < deadline:
        time.sleep(0.3)
        page = text(admin.get("/gestion/admin/lettres-mortes"))
    assert all(h in page for h in handlers), page
    assert "message illisible" in page and "not a JSON object" in page

    documents = page[page.index('id="dead-letters-documents"'):]
    letter_id = re.search(r'name="id" value="([^"]+)"', documents).group(1)
    replayed = admin.post("/gestion/admin/lettres-mortes/documents/rejouer", {"id": letter_id})
    assert "1 message(s) rejoué(s) pour documents." in text(replayed)
