"""applications' pages ask the catalog for things that rarely change: the
active campaign and the centres' limits (every offer page, apply_status) and
a formation ("Candidater" on its page, can_apply). Each instance keeps those
answers in memory, dropped by the catalog's events, heard on a queue of its
own (services/common/invalidation.py): a change reaches them within the outbox
relay's delay, as it reaches the copies services keep from events. While that
queue is not heard, nothing is kept and every read asks the catalog.

Commands (create_application, transmit) still ask the catalog itself: what
they write follows the catalog as it is at that moment.
"""
from types import MappingProxyType

from nameko.extensions import DependencyProvider

from services.common.config import amqp_uri, env
from services.common.invalidation import InvalidationListener, ReadCache

# Everything the catalog says when what these answers hold may change.
EVENTS = ("formation_updated", "formation_deleted", "campaign_activated", "campaign_archived",
          "campaign_updated", "centre_updated", "piece_updated", "piece_deleted",
          "reference_item_updated")
TTL_SECONDS = 300


class CatalogReads(DependencyProvider):
    """`self.catalog_reads.read(key, fetch)`: the kept answer of `key`, else
    fetch()'s (kept if no event came meanwhile)."""

    # deploy/rabbitmq_users.py grants its queue these bindings
    invalidation_bindings = MappingProxyType({"catalog": EVENTS})

    def setup(self):
        name = f"{self.container.service_name}.cache"
        self.cache = ReadCache(ttl=TTL_SECONDS, maxsize=5000, name=name)
        self.listener = InvalidationListener(
            self.container.config.get("AMQP_URI") or amqp_uri(), self.invalidation_bindings,
            lambda *event: self.cache.invalidate("catalog"), self.cache.went_online,
            self.cache.went_offline, name=name)

    def start(self):
        if env("READ_CACHE", "1") != "0":  # READ_CACHE=0: nothing kept, every read asks
            self.listener.start()

    def stop(self):
        self.listener.stop()
        self.cache.went_offline()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self.cache
