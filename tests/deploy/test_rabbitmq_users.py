"""One RabbitMQ user per service and one for the gateway (deploy/rabbitmq/users.sh,
as compose runs it): the real services work with them, and none of them can take
another's RPC queue, tap its calls, forge its events or read events it does not
handle."""
import os
import random
import secrets
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text
from sqlalchemy.orm import Session

from deploy import rabbitmq_users
from services.common.actors import ANONYMOUS, service as service_actor
from services.common.config import SERVICES
from services.common.rpc import ActingProxy
from services.common.serve import service_class

ROOT = Path(__file__).resolve().parents[2]
LOCAL_BROKER = (os.environ.get("AMQP_URI") or "amqp://guest:guest@127.0.0.1:5672/").startswith(
    "amqp://guest:guest@127.0.0.1:5672/")


def test_the_committed_permissions_follow_the_services_code():
    committed = rabbitmq_users.PERMISSIONS_FILE.read_text()
    assert committed == rabbitmq_users.render(), (
        "event handlers changed: python -m deploy.rabbitmq_users render > deploy/rabbitmq/permissions")


def test_the_script_changes_nothing_when_a_password_is_missing():
    env = {**os.environ, "RABBITMQ_VHOST": "never-created", "PATH": os.environ["PATH"]}
    env.update({f"RABBITMQ_{u.upper()}_PASSWORD": "x" * 20 for u in rabbitmq_users.USERS})
    del env["RABBITMQ_CATALOG_PASSWORD"]
    done = subprocess.run(["sh", str(ROOT / "deploy" / "rabbitmq" / "users.sh")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "RABBITMQ_CATALOG_PASSWORD is not set" in done.stderr
    assert "ready" not in done.stdout


@pytest.fixture(scope="module")
def broker_users():
    """users.sh run against the local broker, on a vhost of its own, with user
    names prefixed so they stay apart from anything else on it."""
    if not (LOCAL_BROKER and shutil.which("rabbitmqctl")):
        pytest.skip("needs the local RabbitMQ and rabbitmqctl")
    vhost = os.environ.get("TEST_AMQP_VHOST", "ecandidat_test") + "_users"
    prefix = f"t{uuid.uuid4().hex[:6]}-"
    passwords = {user: secrets.token_urlsafe(18) for user in rabbitmq_users.USERS}
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
    env = {**os.environ, "RABBITMQ_VHOST": vhost, "RABBITMQ_USER_PREFIX": prefix,
           **{f"RABBITMQ_{user.upper()}_PASSWORD": pw for user, pw in passwords.items()}}
    subprocess.run(["sh", str(ROOT / "deploy" / "rabbitmq" / "users.sh")], env=env, check=True,
                   capture_output=True, timeout=300)

    def uri(user):
        return f"amqp://{prefix}{user}:{passwords[user]}@127.0.0.1:5672/{quote(vhost, safe='')}"
    yield uri
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
    for user in rabbitmq_users.USERS:
        subprocess.run(["rabbitmqctl", "-q", "delete_user", prefix + user], capture_output=True)


def config(uri):
    return {"AMQP_URI": uri, "serializer": "json", "max_workers": 4}


def wait_for(check, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_the_services_and_the_gateway_work_with_their_own_users(
        broker_users, container_factory, service_db, s3_endpoint, smtp_sink):
    engines = {name: service_db(name) for name in SERVICES}
    containers = {}
    for name in SERVICES:  # each declares its queues, exchanges and bindings as it starts
        containers[name] = container_factory(service_class(name), config(broker_users(name)))
        containers[name].start()
    # applications' copy of the catalog's answers binds its queue as applications
    reads = next(d for d in containers["applications"].extensions
                 if hasattr(d, "invalidation_bindings"))
    assert wait_for(lambda: reads.cache.online)

    with ClusterRpcProxy(config(broker_users("gateway")), timeout=10) as rpc:
        for name in SERVICES:
            assert ActingProxy(getattr(rpc, name), name).ping(ANONYMOUS)["status"] == "ok", name
    # a container's health check calls its own service with that service's user
    with ClusterRpcProxy(config(broker_users("documents")), timeout=10) as rpc:
        assert ActingProxy(rpc.documents, "documents").ping(service_actor("healthcheck"))["status"] == "ok"

    # accounts' outbox relay publishes, as accounts, to the three services handling it
    from services.accounts.models import Base
    from services.common.db import UnitOfWork
    unit = UnitOfWork(Session(engines["accounts"]), Base.metadata)
    event = unit.emit("account_deleted", {"candidate_id": random.randint(10**8, 10**9)})
    unit.commit()
    unit.close()

    def handled(service):
        with engines[service].connect() as conn:
            return conn.execute(text("SELECT count(*) FROM processed_events WHERE event_id = :id"),
                                {"id": event["event_id"]}).scalar() == 1
    for service in ("applications", "documents", "notifications"):
        assert wait_for(lambda: handled(service)), f"{service} never handled the event"

    # the gateway's read cache hears, as the gateway, the events that change it
    from gateway.cache import TOPIC_EVENTS
    from services.catalog.models import Base as CatalogBase
    from services.common.invalidation import InvalidationListener
    heard = []
    listener = InvalidationListener(broker_users("gateway"), TOPIC_EVENTS["catalog"],
                                    lambda *event: heard.append(event),
                                    name=rabbitmq_users.CACHE_QUEUE).start()
    try:
        assert wait_for(lambda: listener.online)
        unit = UnitOfWork(Session(engines["catalog"]), CatalogBase.metadata)
        unit.emit("centre_updated", {"code": "SCI"})
        unit.commit()
        unit.close()
        assert wait_for(lambda: [e[:2] for e in heard] == [("catalog", "centre_updated")])
    finally:
        listener.stop()


def attempt(uri, action):
    """None when the broker lets this user do `action(channel)`, else the error."""
    with Connection(uri, connect_timeout=10) as connection:
        channel = connection.channel()
        try:
            action(channel)
            channel.basic_qos(0, 10, False)  # a round trip: a refusal arrives before it
        except AccessRefused as refused:
            return refused
    return None


def declare(queue, durable=True, auto_delete=False):
    """As nameko declares them (the services may have declared them already)."""
    return lambda channel: channel.queue_declare(queue=queue, durable=durable,
                                                 auto_delete=auto_delete)


def consume(queue):
    return lambda channel: channel.basic_consume(queue=queue, callback=lambda message: None)


def bind(queue, exchange, key):
    return lambda channel: channel.queue_bind(queue=queue, exchange=exchange, routing_key=key)


def publish(exchange, key):
    def action(channel):
        channel.confirm_select()
        channel.basic_publish_confirm(channel.prepare_message(b"{}"), exchange=exchange,
                                      routing_key=key)
    return action


def exchange(name):
    return lambda channel: channel.exchange_declare(name, "topic", durable=True, auto_delete=False)


def test_no_user_reaches_beyond_its_own_queues_and_events(broker_users):
    accounts, applications, gateway = (broker_users(u) for u in ("accounts", "applications", "gateway"))
    # what accounts itself does, as nameko would: all allowed
    for action in (exchange("nameko-rpc"), declare("rpc-accounts"),
                   bind("rpc-accounts", "nameko-rpc", "accounts.*"), consume("rpc-accounts"),
                   exchange("accounts.events"), publish("accounts.events", "account_deleted")):
        assert attempt(accounts, action) is None

    # applications cannot take accounts' RPCs, nor tap the calls made to it
    assert isinstance(attempt(applications, declare("rpc-accounts")), AccessRefused)
    assert isinstance(attempt(applications, consume("rpc-accounts")), AccessRefused)
    reply_id = str(uuid.uuid4())
    reply = f"rpc.reply-applications-{reply_id}"
    assert attempt(applications, declare(reply, durable=False, auto_delete=True)) is None
    assert attempt(applications, bind(reply, "nameko-rpc", reply_id)) is None
    for key in ("accounts.*", "accounts.get_dossier", "#"):
        assert isinstance(attempt(applications, bind(reply, "nameko-rpc", key)), AccessRefused), key

    # it cannot forge accounts' events, nor read those it does not handle
    assert isinstance(attempt(applications, publish("accounts.events", "account_deleted")),
                      AccessRefused)
    handler = "evt-accounts-account_deleted--applications.on_account_deleted"
    assert attempt(applications, declare(handler)) is None
    assert attempt(applications, bind(handler, "accounts.events", "account_deleted")) is None
    for key in ("credentials_requested", "#"):  # reset links travel in credentials_requested
        assert isinstance(attempt(applications, bind(handler, "accounts.events", key)),
                          AccessRefused), key
    assert isinstance(attempt(applications, declare("evt-accounts-credentials_requested--x.y")),
                      AccessRefused)

    # the gateway only calls: no service queue, no events
    assert isinstance(attempt(gateway, declare("rpc-accounts")), AccessRefused)
    assert isinstance(attempt(gateway, publish("accounts.events", "account_deleted")), AccessRefused)
    assert isinstance(attempt(gateway, consume(handler)), AccessRefused)
    # but its read cache's own queue, bound to the events that change cached answers only
    cache_queue = f"gateway.cache-{uuid.uuid4()}"

    def cache_queue_bound_to(exchange_name, key):
        def action(channel):
            channel.queue_declare(queue=cache_queue, exclusive=True, auto_delete=True)
            channel.queue_bind(queue=cache_queue, exchange=exchange_name, routing_key=key)
        return action
    assert attempt(gateway, cache_queue_bound_to("catalog.events", "formation_updated")) is None
    assert attempt(gateway, cache_queue_bound_to("accounts.events", "reference_data_changed")) is None
    for key in ("credentials_requested", "#"):
        assert isinstance(attempt(gateway, cache_queue_bound_to("accounts.events", key)),
                          AccessRefused), key
    assert isinstance(attempt(gateway, declare("gateway.other")), AccessRefused)



def test_each_service_retries_and_dead_letters_with_its_own_user_only(
        broker_users, container_factory, service_db, monkeypatch):
    """The delay queues, the retries exchange and the dead-letter queue work
    under the service's own user; another service's user reaches none of them."""
    from services.common import dead_letters
    from services.common.db import Database, handle_once
    from services.common.events import event_handler
    from services.common.service_base import ServiceBase
    from services.documents.models import Base
    from tests.support import dead_letter_probe as probe
    from tests.support.rpc import signed_event_dispatcher

    class Documents(ServiceBase):  # documents' own handler queue, failing
        name = "documents"
        db = Database(Base.metadata)

        @event_handler("accounts", "account_deleted")
        @handle_once
        def on_account_deleted(self, event):
            probe.CALLS.append((event["event_id"], time.monotonic()))
            if probe.BROKEN["now"]:
                raise RuntimeError("documents is broken today")

    engine = service_db("documents")
    probe.CALLS.clear()
    probe.BROKEN["now"] = True
    monkeypatch.setenv("EVENT_RETRY_DELAYS", "0.1,0.2")
    documents = broker_users("documents")
    container_factory(Documents, config(documents)).start()
    sent = {**probe.event(), "event_type": "account_deleted", "candidate_id": 5}
    signed_event_dispatcher(config(broker_users("accounts")))("accounts", "account_deleted", sent)

    def mine():  # the earlier tests' raw messages to documents' queue are there too
        return [(d["event_id"], d["attempts"])
                for d in dead_letters.list_letters("documents", documents)
                if d["event_id"] == sent["event_id"]]
    assert wait_for(mine)
    assert mine() == [(sent["event_id"], 3)]
    assert len(probe.attempts(sent["event_id"])) == 3

    with pytest.raises(AccessRefused):
        dead_letters.list_letters("documents", broker_users("applications"))
    assert isinstance(attempt(broker_users("applications"),
                              consume("documents.dead-letters")), AccessRefused)

    probe.BROKEN["now"] = False
    letter = next(d for d in dead_letters.list_letters("documents", documents)
                  if d["event_id"] == sent["event_id"])
    assert dead_letters.replay("documents", [letter["id"]], documents)["replayed"] == [letter["id"]]
    assert wait_for(lambda: probe.processed(engine, sent["event_id"]) == 1)
    assert mine() == []
