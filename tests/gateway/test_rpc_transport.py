"""What the gateway's RPC transport (services.common.transport) keeps while it
publishes without confirms or persistence: a call to a service nothing serves
fails at once, a request nobody picked up in time never runs late, and calls
keep being answered after the broker dropped every connection."""
import shutil
import subprocess
from urllib.parse import unquote, urlsplit

import pytest
from kombu import Connection, Queue
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.rpc import get_rpc_exchange

from gateway.rpc import Remote, RpcPool
from services.common.actors import ANONYMOUS
from services.common.rpc import rpc
from tests.support.waiting import eventually

pytestmark = pytest.mark.skipif(not shutil.which("rabbitmqctl"), reason="needs rabbitmqctl")

RAN = []


class LateService:
    name = "late_rpc_transport"

    @rpc
    def remember(self, actor, value):
        RAN.append(value)
        return value


def vhost(config):
    return unquote(urlsplit(config["AMQP_URI"]).path[1:]) or "/"


def wait_until(condition, seconds=20):
    return eventually(condition, seconds, step=0.1)


def queue_depth(config, name):
    with Connection(config["AMQP_URI"]) as connection:
        return Queue(name, durable=True)(connection.default_channel).queue_declare(
            passive=True).message_count


def test_a_service_nothing_serves_is_unknown_at_once(rabbit_config):
    pool = RpcPool(rabbit_config, size=1, timeout=60)
    try:
        # no queue was ever bound for it: the broker returns the request
        # (mandatory), the caller does not wait its 60 s
        with pytest.raises(UnknownService):
            Remote(pool).no_such_service.ping(ANONYMOUS)
    finally:
        pool.close()


def test_a_request_not_picked_up_in_time_never_runs(container_factory, rabbit_config):
    # the service's queue exists (it ran before) but nothing consumes it now
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        Queue(f"rpc-{LateService.name}", exchange=get_rpc_exchange(rabbit_config),
              routing_key=f"{LateService.name}.*", durable=True)(
            connection.default_channel).declare()
    RAN.clear()
    pool = RpcPool(rabbit_config, size=1, timeout=1)
    try:
        with pytest.raises(RpcTimeout):
            Remote(pool).late_rpc_transport.remember(ANONYMOUS, "given up")
    finally:
        pool.close()
    # the request expired with its caller's wait: the broker dropped it
    assert wait_until(lambda: queue_depth(rabbit_config, f"rpc-{LateService.name}") == 0)
    container_factory(LateService, rabbit_config).start()  # the service comes back
    pool = RpcPool(rabbit_config, size=1, timeout=10)
    try:
        assert Remote(pool).late_rpc_transport.remember(ANONYMOUS, "fresh") == "fresh"
    finally:
        pool.close()
    assert RAN == ["fresh"]


def close_connections(vhost_name):
    listed = subprocess.run(["rabbitmqctl", "-q", "list_connections", "vhost", "pid"],
                            capture_output=True, text=True, timeout=60, check=True).stdout
    pids = [line.split("\t")[1] for line in listed.splitlines()
            if line.split("\t")[0] == vhost_name]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test"],
                       capture_output=True, timeout=60, check=False)
    return len(pids)


def test_calls_are_answered_after_the_broker_dropped_every_connection(
        container_factory, rabbit_config):
    container_factory(LateService, rabbit_config).start()
    pool = RpcPool(rabbit_config, size=1, timeout=15)
    remote = Remote(pool)
    try:
        assert remote.late_rpc_transport.remember(ANONYMOUS, "before") == "before"
        # the gateway's idle client, the service's consumer and its reply publisher
        assert close_connections(vhost(rabbit_config)) >= 3
        # the idle client opens its connection again; the service's reply
        # publisher reconnects too: the answer comes back
        assert remote.late_rpc_transport.remember(ANONYMOUS, "after") == "after"
        assert pool._created == 1  # the same client, reconnected
    finally:
        pool.close()
