"""The gateway's RPC clients are long-lived and shared, against a real broker."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from gateway.rpc import Remote, RpcPool
from services.common import logs
from services.common.actors import ANONYMOUS
from services.common.errors import EXPECTED, Forbidden, NotFound
from services.common.rpc import rpc
from services.common.service_base import ServiceBase
from tests.support.actors import candidate

CANDIDATE = candidate(7)


class EchoService:
    name = "echo"

    @rpc(expected_exceptions=EXPECTED)
    def echo(self, actor, value):
        if value == "missing":
            raise NotFound("not_found", "no such thing")
        return value

    @rpc(expected_exceptions=EXPECTED)
    def whoami(self, actor):
        return actor


@pytest.fixture
def echo(container_factory, rabbit_config):
    container = container_factory(EchoService, rabbit_config)
    container.start()
    return rabbit_config


def test_many_calls_reuse_a_few_clients(echo):
    pool = RpcPool(echo, size=2)
    remote = Remote(pool)
    created = []
    original = pool._create
    pool._create = lambda: created.append(1) or original()
    try:
        with ThreadPoolExecutor(4) as threads:
            results = list(threads.map(lambda n: remote.echo.echo(ANONYMOUS, n), range(40)))
        assert results == list(range(40))
        assert 1 <= len(created) <= 2  # 40 calls, never more clients than the pool size
    finally:
        pool.close()


def test_typed_error_comes_back_and_client_is_kept(echo):
    pool = RpcPool(echo, size=1)
    remote = Remote(pool)
    try:
        with pytest.raises(NotFound) as raised:
            remote.echo.echo(ANONYMOUS, "missing")
        assert raised.value.code == "not_found"
        assert remote.echo.echo(ANONYMOUS, "still works") == "still works"
        assert pool._created == 1
    finally:
        pool.close()


def test_the_service_believes_the_actor_the_gateway_signed(echo):
    pool = RpcPool(echo, size=1)
    remote = Remote(pool)
    try:
        assert remote.echo.whoami(CANDIDATE) == CANDIDATE
        with pytest.raises(TypeError):  # a call without its actor never leaves the gateway
            remote.echo.whoami()
        with pool.client() as proxy:  # the same call, unsigned, as anyone on the broker
            with pytest.raises(Forbidden) as refused:
                proxy.echo.whoami(CANDIDATE)
        assert refused.value.code == "untrusted_actor"
    finally:
        pool.close()


class TracedService(ServiceBase):
    name = "traced"

    @rpc
    def request_id(self, actor):
        return logs.current_request_id()


def test_each_call_carries_the_request_id_of_its_own_request(container_factory, rabbit_config):
    container_factory(TracedService, rabbit_config).start()
    current = {}
    pool = RpcPool(rabbit_config, size=1, context=lambda: {"request_id": current["id"]})
    remote = Remote(pool)
    try:
        for request_id in ("first-request-1", "second-request-2"):  # one client, reused
            current["id"] = request_id
            assert remote.traced.request_id(ANONYMOUS) == request_id
    finally:
        pool.close()
