"""Entry points every service has."""
from nameko.dependency_providers import Config

from . import dead_letters
from .actors import require_admin
from .logs import LogContext
from .rpc import rpc


class ServiceBase:
    nameko_config = Config()
    # every log line of a worker names the request and the kind of actor it serves
    log_context = LogContext()

    @rpc
    def ping(self, actor):
        """Liveness: used by health checks and by the local runner (any verified caller)."""
        return {"service": self.name, "status": "ok"}

    @rpc
    def list_dead_letters(self, actor):
        """The events this service's handlers gave up on (administrators only);
        they stay where they are."""
        require_admin(actor)
        return dead_letters.list_letters(self.name, self.nameko_config.get("AMQP_URI"))

    @rpc
    def replay_dead_letters(self, actor, ids=None, idempotency_key=None):
        """Sends dead letters back to their handler (`ids`, or all when None);
        administrators only. Replaying again changes nothing: a replayed letter
        has left the queue, and each event is applied once per handler."""
        require_admin(actor)
        return dead_letters.replay(self.name, None if ids is None else list(ids),
                                   self.nameko_config.get("AMQP_URI"))
