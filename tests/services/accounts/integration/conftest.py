"""Fixtures of the accounts service running in a real container."""
import pytest
from eventlet.queue import Queue
from kombu import Connection

from services.accounts.service import AccountsService
from tests.services.accounts.integration.listener import LISTENER, make_listener


@pytest.fixture
def running(rabbit_config, container_factory, service_db):
    engine = service_db("accounts")
    # Durable queues of an earlier, interrupted run could still hold events
    # about candidate ids this run reuses: start from fresh queues.
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        for queue in ("evt-applications-application_created--accounts.lock_personal_information",
                      f"evt-accounts-candidate_registered--{LISTENER}.registered",
                      f"evt-accounts-account_activated--{LISTENER}.activated"):
            channel.queue_delete(queue)
    received = Queue()
    container_factory(AccountsService, rabbit_config).start()
    container_factory(make_listener(received), rabbit_config).start()
    return engine, received
