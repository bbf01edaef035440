"""The gateway's RPC clients are long-lived and shared, against a real broker."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from nameko.rpc import rpc

from gateway.rpc import Remote, RpcPool
from services.common.errors import EXPECTED, NotFound


class EchoService:
    name = "echo"

    @rpc(expected_exceptions=EXPECTED)
    def echo(self, value):
        if value == "missing":
            raise NotFound("not_found", "no such thing")
        return value


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
            results = list(threads.map(remote.echo.echo, range(40)))
        assert results == list(range(40))
        assert 1 <= len(created) <= 2  # 40 calls, never more clients than the pool size
    finally:
        pool.close()


def test_typed_error_comes_back_and_client_is_kept(echo):
    pool = RpcPool(echo, size=1)
    remote = Remote(pool)
    try:
        with pytest.raises(NotFound) as raised:
            remote.echo.echo("missing")
        assert raised.value.code == "not_found"
        assert remote.echo.echo("still works") == "still works"
        assert pool._created == 1
    finally:
        pool.close()
