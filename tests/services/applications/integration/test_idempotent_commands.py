"""Idempotent commands on the real container, broker and database: a form sent
ten times at once, a retry after an error page, a request delivered twice
apply once and all get the first answer (services/common/idempotency.py)."""
import random
import threading
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import replace_dependencies
from sqlalchemy import text

from services.applications.service import ApplicationsService
from services.common.errors import Conflict
from tests.support.actors import staff
from tests.support.rpc import acting_rpc_proxy

CERTLANG = [{"code": "CERTLANG", "label": "Certification en langue", "order": 5,
             "conditional": True, "shared": False}]
MANAGER = staff("manager", ["SCI"], id=3, login="gestion.sci", display_name="Gestion SCI")


@pytest.fixture
def running(container_factory, rabbit_config, service_db, doubles):
    engine = service_db("applications")
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    formation = doubles.make_formation("MINFO1", "Master Informatique 1re année", doubles.SCI,
                                       "SCI-INFO", today, pieces=CERTLANG)
    container = container_factory(ApplicationsService, rabbit_config)
    accounts, catalog, _ = replace_dependencies(container, "accounts", "catalog", "documents")
    accounts.check_ready_to_apply.side_effect = doubles.candidate_contact
    catalog.get_formation.return_value = formation
    catalog.get_active_campaign.return_value = dict(formation["campaign"])
    catalog.list_reference.return_value = [{"code": "INCOMPLET", "label": "Dossier incomplet"}]
    container.start()
    return engine


def candidate():
    return {"kind": "candidate", "id": random.randint(100_000, 999_999)}


def key():
    return uuid.uuid4().hex


def at_once(count, rpc_config, method, *args, **kwargs):
    """`count` callers sending the same request at the same moment, each on its
    own connection -> their answers (or errors), in order."""
    answers = [None] * count
    ready = threading.Barrier(count)

    def send(index):
        with acting_rpc_proxy("applications", rpc_config) as applications:
            ready.wait()
            try:
                answers[index] = getattr(applications, method)(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 (compared below)
                answers[index] = exc
    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def rows(engine, statement, **params):
    with engine.connect() as conn:
        return conn.execute(text(statement), params).all()


def decided_file(applications, actor):
    """A complete (CO) application of `actor`, ready for a decision."""
    created = applications.create_application(actor, "MINFO1")
    applications.set_not_concerned(actor, created["id"], "CERTLANG", True)
    applications.transmit(actor, created["id"])
    applications.set_file_status(MANAGER, created["id"], "CO")
    return created["id"]


def test_ten_identical_requests_at_once_create_one_application_and_get_one_answer(
        running, rabbit_config):
    ada, same = candidate(), key()
    answers = at_once(10, rabbit_config, "create_application", ada, "MINFO1",
                      idempotency_key=same)
    assert all(isinstance(a, dict) for a in answers), answers
    assert all(a == answers[0] for a in answers)
    assert rows(running, "SELECT id FROM applications WHERE candidate_id = :c",
                c=ada["id"]) == [(answers[0]["id"],)]
    assert len(rows(running, "SELECT 1 FROM outbox_events")) <= 1  # one event, maybe sent already


def test_ten_identical_decisions_at_once_are_one_decision(running, rabbit_config):
    ada = candidate()
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        application_id = decided_file(applications, ada)
    same = key()
    answers = at_once(10, rabbit_config, "enter_decision", MANAGER, application_id, "DE",
                      {"reason": "Dossier incomplet"}, idempotency_key=same)
    assert all(isinstance(a, dict) for a in answers), answers
    assert all(a == answers[0] for a in answers)
    assert rows(running, "SELECT code, reason FROM decisions WHERE application_id = :a",
                a=application_id) == [("DE", "Dossier incomplet")]


def test_a_retry_with_the_same_key_gets_the_first_answer_and_changes_nothing(
        running, rabbit_config):
    ada = candidate()
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        created = applications.create_application(ada, "MINFO1")
        applications.set_not_concerned(ada, created["id"], "CERTLANG", True)
        first = applications.transmit(ada, created["id"], idempotency_key="k-transmit")
        # the user retries after an error page: the same form, the same key
        again = applications.transmit(ada, created["id"], idempotency_key="k-transmit")
        assert again == first and first["status"] == "RE"
        # without the key, the command itself says what it always said
        with pytest.raises(Conflict) as info:
            applications.transmit(ada, created["id"])
        assert info.value.code == "already_transmitted"
    history = rows(running, "SELECT to_status FROM status_changes WHERE application_id = :a "
                   "ORDER BY id", a=created["id"])
    assert history == [("AT",), ("RE",)]


def test_the_same_key_with_other_arguments_is_refused(running, rabbit_config):
    ada = candidate()
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        created = applications.create_application(ada, "MINFO1")
        applications.set_not_concerned(ada, created["id"], "CERTLANG", True,
                                       idempotency_key="k-piece")
        with pytest.raises(Conflict) as info:
            applications.set_not_concerned(ada, created["id"], "CERTLANG", False,
                                           idempotency_key="k-piece")
        assert info.value.code == "idempotency_key_reused"
        piece = applications.get_application(ada, created["id"])["pieces"]
    assert [p["status"] for p in piece if p["code"] == "CERTLANG"] == ["NC"]


def test_a_refused_command_keeps_no_key_and_its_retry_runs(running, rabbit_config):
    ada = candidate()
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        created = applications.create_application(ada, "MINFO1")
        with pytest.raises(Conflict) as info:  # the piece is still missing
            applications.transmit(ada, created["id"], idempotency_key="k-send")
        assert info.value.code == "pieces_missing"
        applications.set_not_concerned(ada, created["id"], "CERTLANG", True)
        sent = applications.transmit(ada, created["id"], idempotency_key="k-send")
    assert sent["status"] == "RE"


def test_keys_belong_to_their_actor(running, rabbit_config):
    ada, bob = candidate(), candidate()
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        mine = applications.create_application(ada, "MINFO1", idempotency_key="k-shared")
        theirs = applications.create_application(bob, "MINFO1", idempotency_key="k-shared")
    assert theirs["id"] != mine["id"]
    assert {r[0] for r in rows(running, "SELECT actor FROM idempotency_keys")} == \
        {f"candidate:{ada['id']}", f"candidate:{bob['id']}"}


def test_the_same_decision_entered_twice_is_one_and_a_validation_resent_succeeds(
        running, rabbit_config):
    ada = candidate()
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        application_id = decided_file(applications, ada)
        # two clicks, two forms (no common key): the same pending decision
        applications.enter_decision(MANAGER, application_id, "FA", {"comment": "Très bien"})
        applications.enter_decision(MANAGER, application_id, "FA", {"comment": "Très bien"})
        assert len(rows(running, "SELECT 1 FROM decisions")) == 1
        # a different one is a new entry (the history keeps both)
        applications.enter_decision(MANAGER, application_id, "FA", {"comment": "Excellent"})
        assert len(rows(running, "SELECT 1 FROM decisions")) == 2
        first = applications.validate_decision(MANAGER, application_id, idempotency_key="k-v")
        again = applications.validate_decision(MANAGER, application_id, idempotency_key="k-v")
        assert again == first and first["decision"]["code"] == "FA"
    assert rows(running, "SELECT comment FROM decisions WHERE validated_at IS NOT NULL") == \
        [("Excellent",)]


def test_expired_keys_are_purged_by_later_commands(running, rabbit_config):
    with running.begin() as conn:
        conn.execute(text(
            "INSERT INTO idempotency_keys (method, actor, key, fingerprint, result, created_at) "
            "VALUES ('applications.transmit', 'candidate:1', 'old', 'x', 'null', "
            "now() - interval '25 hours'), "
            "('applications.transmit', 'candidate:1', 'recent', 'x', 'null', "
            "now() - interval '23 hours')"))
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        applications.create_application(candidate(), "MINFO1", idempotency_key="k-new")
    assert sorted(r[0] for r in rows(running, "SELECT key FROM idempotency_keys")) == \
        ["k-new", "recent"]


class GatewayRemote:
    """The gateway's own RPC client for applications; the staff session is
    answered by a fake accounts (outside this test)."""

    def __init__(self, real, fake):
        self.real, self.fake = real, fake

    def __getattr__(self, service):
        return getattr(self.real if service == "applications" else self.fake, service)


def test_ten_identical_decision_posts_through_the_gateway_make_one_decision(
        running, rabbit_config):
    from gateway import create_app
    from gateway.rpc import Remote, RpcPool
    from tests.support.gateway import TOK, FakeRemote, login_as

    ada = candidate()
    with acting_rpc_proxy("applications", rabbit_config) as applications:
        application_id = decided_file(applications, ada)
    app = create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})
    pool = RpcPool(rabbit_config, size=10, timeout=30)
    app.extensions["remote"] = GatewayRemote(Remote(pool), FakeRemote(accounts={}))
    form = {"csrf_token": TOK, "idempotency_key": key(), "code": "DE",
            "reason": "Dossier incomplet"}
    statuses = [None] * 10
    ready = threading.Barrier(10)

    def post(index):
        client = app.test_client()  # the same user's browser sending the same form again
        login_as(client, MANAGER)
        ready.wait()
        answer = client.post(f"/gestion/candidatures/{application_id}/avis", data=form)
        with client.session_transaction() as session:
            statuses[index] = (answer.status_code, session.get("_flashes"))
    threads = [threading.Thread(target=post, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    pool.close()
    assert statuses == [(302, [("success", "Modification enregistrée.")])] * 10
    assert rows(running, "SELECT code FROM decisions WHERE application_id = :a",
                a=application_id) == [("DE",)]
