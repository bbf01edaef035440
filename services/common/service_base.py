"""Entry points every service has."""
from .rpc import rpc


class ServiceBase:
    @rpc
    def ping(self, actor):
        """Liveness: used by health checks and by the local runner (any verified caller)."""
        return {"service": self.name, "status": "ok"}
