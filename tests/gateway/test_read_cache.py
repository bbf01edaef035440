"""The gateway's read cache (gateway/cache.py): rarely-changing answers served
from memory, never stale for the staff member who changed them, dropped by
the services' events, and never served while those events cannot be heard.

The services are faked where the cache's rules are checked page by page; the
events travel through the real broker (and from the real accounts service)."""
import os
import subprocess
import time

import pytest

from gateway import create_app
from gateway.cache import CachedRemote
from services.common.invalidation import InvalidationListener
from tests.support.gateway import TOK, FakeRemote, login_as, page_text
from tests.support.waiting import eventually

MANAGER = {"kind": "staff", "id": 3, "login": "gestion.sci", "display_name": "Gestion",
           "role": "manager", "centres": ["SCI"]}
OTHER_MANAGER = {**MANAGER, "id": 4, "login": "gestion.llsh", "centres": ["LLSH"]}
CANDIDATE = {"kind": "candidate", "id": 7, "dossier_number": "22PB7Y36", "email": "a@b.fr",
             "first_name": "Léa", "last_name": "Martin", "lang": "fr"}


def wait_for(check, timeout=15):
    return eventually(check, timeout)


class Catalog:
    """A catalog whose centres staff can change; it counts what it is asked."""

    def __init__(self):
        self.centres = {"SCI": "UFR Sciences", "LLSH": "UFR Lettres"}

    def answers(self):
        def list_centres(actor):
            scope = actor.get("centres") if actor.get("kind") == "staff" else None
            return [{"code": code, "label": label, "email": None, "can_edit": True}
                    for code, label in sorted(self.centres.items())
                    if scope is None or code in scope]

        def get_centre(actor, code):
            return {"code": code, "label": self.centres[code], "email": "s@u.fr",
                    "address": None, "max_file_size": 2 * 1024 * 1024,
                    "max_applications": None, "online": True, "can_edit": True}

        def save_centre(actor, form):  # the form carries the code of the centre changed
            self.centres[form["code"]] = form["label"]
            return get_centre(actor, form["code"])
        return {"list_centres": list_centres, "get_centre": get_centre,
                "save_centre": save_centre}


def gateway_worker(fakes, listening=True):
    """One gunicorn worker's app: the read cache over faked services; its
    listener counted as connected unless said otherwise (no broker here)."""
    app = create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})
    remote = CachedRemote(fakes, uri=None)
    remote.listening = lambda: None
    if listening:
        remote.cache.went_online()
    app.extensions["remote"] = remote
    return app, remote


def calls(fakes, method):
    return [c for c in fakes.catalog.calls if c[0] == method]


def share_cookie(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


def test_a_centre_list_is_asked_once_then_served_from_memory():
    fakes = FakeRemote(accounts={}, catalog=Catalog().answers())
    app, _ = gateway_worker(fakes)
    client = app.test_client()
    login_as(client, MANAGER)
    for _ in range(3):
        assert "UFR Sciences" in page_text(client.get("/gestion/catalogue/centres"))
    assert len(calls(fakes, "list_centres")) == 1


def test_a_staff_answer_is_never_served_to_another_staff_member():
    fakes = FakeRemote(accounts={}, catalog=Catalog().answers())
    app, _ = gateway_worker(fakes)
    sci, llsh = app.test_client(), app.test_client()
    login_as(sci, MANAGER)
    login_as(llsh, OTHER_MANAGER)
    assert "UFR Sciences" in page_text(sci.get("/gestion/catalogue/centres"))
    page = page_text(llsh.get("/gestion/catalogue/centres"))
    assert "UFR Lettres" in page and "UFR Sciences" not in page
    assert len(calls(fakes, "list_centres")) == 2


def test_the_staff_member_who_changed_it_sees_it_next_whichever_worker_answers():
    catalog = Catalog()
    fakes = FakeRemote(accounts={}, catalog=catalog.answers())
    (worker_a, _), (worker_b, _) = gateway_worker(fakes), gateway_worker(fakes)
    worker_c, remote_c = gateway_worker(fakes)
    on_a, on_b = worker_a.test_client(), worker_b.test_client()
    login_as(on_a, MANAGER)
    share_cookie(on_a, on_b)
    colleague = worker_c.test_client()  # the same account in another browser
    login_as(colleague, MANAGER)
    assert "UFR Sciences" in page_text(on_b.get("/gestion/catalogue/centres"))
    assert "UFR Sciences" in page_text(colleague.get("/gestion/catalogue/centres"))

    saved = on_a.post("/gestion/catalogue/centres/SCI", data={
        "csrf_token": TOK, "label": "UFR Sciences et Techniques", "email": "s@u.fr",
        "max_file_size_mb": "2"})
    assert saved.status_code == 302
    share_cookie(on_a, on_b)
    # worker B heard no event: this session reads the change all the same
    assert "UFR Sciences et Techniques" in page_text(on_b.get("/gestion/catalogue/centres"))
    # others see it once the event comes (the relay's delay)
    assert "UFR Sciences et Techniques" not in page_text(
        colleague.get("/gestion/catalogue/centres"))
    remote_c._heard("catalog", "centre_updated", {"code": "SCI"})
    assert "UFR Sciences et Techniques" in page_text(colleague.get("/gestion/catalogue/centres"))


def test_an_answer_fetched_while_an_event_arrives_is_not_kept():
    catalog = Catalog()
    fakes = FakeRemote(accounts={}, catalog=catalog.answers())
    _, remote = gateway_worker(fakes)
    token = remote.cache.begin()
    remote._heard("catalog", "formation_updated", {"code": "MINFO1"})
    remote.cache.put(("catalog", "x"), {"stale": True}, token, time.time())
    assert remote.cache.get(("catalog", "x")) is None


def test_nothing_is_served_while_the_invalidations_are_not_heard():
    fakes = FakeRemote(accounts={}, catalog=Catalog().answers())
    app, remote = gateway_worker(fakes, listening=False)
    client = app.test_client()
    login_as(client, MANAGER)
    for _ in range(2):
        client.get("/gestion/catalogue/centres")
    assert len(calls(fakes, "list_centres")) == 2
    remote.cache.went_online()
    for _ in range(2):
        client.get("/gestion/catalogue/centres")
    assert len(calls(fakes, "list_centres")) == 3
    remote.cache.went_offline()
    client.get("/gestion/catalogue/centres")
    assert len(calls(fakes, "list_centres")) == 4


# -- with the broker ----------------------------------------------------------------------

class Versions:
    """accounts' reference data as a release changes it."""

    def __init__(self):
        self.version = 1

    def reference_data(self, actor):
        return {"countries": [["FR", "France"]], "version": self.version}


def broker_remote():
    versions = Versions()
    fakes = FakeRemote(accounts={"reference_data": versions.reference_data}, catalog={})
    remote = CachedRemote(fakes, uri=os.environ["AMQP_URI"], heartbeat=5)
    remote.listening()
    assert wait_for(lambda: remote.cache.online), "the listener never bound its queue"
    return remote, versions


def test_a_new_accounts_release_drops_the_cached_reference_data(
        rabbit_config, container_factory, service_db):
    from services.accounts.service import AccountsService
    service_db("accounts")
    remote, versions = broker_remote()
    try:
        assert remote.accounts.reference_data(CANDIDATE)["version"] == 1
        versions.version = 2  # the new release starts: it says so
        assert remote.accounts.reference_data(CANDIDATE)["version"] == 1
        container_factory(AccountsService, rabbit_config).start()
        assert wait_for(lambda: remote.accounts.reference_data(CANDIDATE)["version"] == 2)
    finally:
        remote.close()


def close_connection(name):
    """What a broker restart or a network cut does to one client's connection."""
    vhost = os.environ["AMQP_URI"].rsplit("/", 1)[-1] or "/"
    listed = subprocess.run(["rabbitmqctl", "-q", "list_connections", "-p", vhost, "pid",
                             "client_properties"], capture_output=True, text=True, timeout=60,
                            check=False)
    pids = [line.split("\t")[0] for line in listed.stdout.splitlines() if name in line]
    assert pids, listed.stdout
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test"],
                       capture_output=True, timeout=60, check=False)


def test_a_lost_listener_connection_stops_the_cache_until_it_is_back():
    if not os.environ.get("AMQP_URI", "").startswith("amqp://guest:guest@127.0.0.1:5672/"):
        pytest.skip("needs the local RabbitMQ and rabbitmqctl")
    remote, versions = broker_remote()
    try:
        remote.accounts.reference_data(CANDIDATE)
        asked = len(remote._remote.accounts.calls)
        remote.accounts.reference_data(CANDIDATE)
        assert len(remote._remote.accounts.calls) == asked  # served from memory
        generation = remote.cache.generation
        close_connection(remote._listener.connection_name)
        versions.version = 2  # changed while no event could be heard
        assert wait_for(lambda: remote.cache.generation != generation)
        # bypassed (or already back, then emptied): never the answer from before
        assert remote.accounts.reference_data(CANDIDATE)["version"] == 2
        assert wait_for(lambda: remote.cache.online)
        remote.accounts.reference_data(CANDIDATE)
        asked = len(remote._remote.accounts.calls)
        remote.accounts.reference_data(CANDIDATE)
        assert len(remote._remote.accounts.calls) == asked  # serving again
    finally:
        remote.close()


def test_the_listener_drops_unsigned_events(rabbit_config):
    from nameko.standalone.events import event_dispatcher

    from tests.support.rpc import signed_event_dispatcher
    heard = []
    listener = InvalidationListener(os.environ["AMQP_URI"],
                                    {"catalog": ["formation_updated"]},
                                    lambda *event: heard.append(event[:2])).start()
    try:
        assert wait_for(lambda: listener.online)
        event_dispatcher(rabbit_config)("catalog", "formation_updated", {"code": "X"})
        signed_event_dispatcher(rabbit_config)("catalog", "formation_updated", {"code": "Y"})
        assert wait_for(lambda: heard)  # delivered in order: the unsigned one came first
        assert heard == [("catalog", "formation_updated")]
    finally:
        listener.stop()
