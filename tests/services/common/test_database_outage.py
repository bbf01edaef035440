"""A service whose database refuses connections answers `Unavailable` (a
typed "try again later", a 503 at the gateway), never a server error, and
serves again as soon as the database is back, without a restart."""
import time

import pytest

from services.catalog.service import CatalogService
from services.common.actors import ANONYMOUS
from services.common.errors import Unavailable
from tests.support.database_outage import allow_connections
from tests.support.rpc import acting_rpc_proxy


def test_a_database_outage_is_unavailable_then_over(container_factory, rabbit_config,
                                                    databases):
    engine = databases.empty("catalog")
    container_factory(CatalogService, rabbit_config).start()
    with acting_rpc_proxy("catalog", rabbit_config, timeout=20) as catalog:
        assert catalog.get_offer(ANONYMOUS) == []
        allow_connections(engine, False)
        try:
            with pytest.raises(Unavailable) as told:
                catalog.get_offer(ANONYMOUS)
            assert told.value.code == "service_unavailable"
        finally:
            allow_connections(engine, True)
            engine.dispose()  # this test's own connections were cut too
        deadline = time.monotonic() + 10
        while True:
            try:
                assert catalog.get_offer(ANONYMOUS) == []
                break
            except Unavailable:
                assert time.monotonic() < deadline, "still unavailable after the database came back"
                time.sleep(0.2)
