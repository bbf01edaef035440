"""Entry points every service has."""
from nameko.rpc import rpc


class ServiceBase:
    @rpc
    def ping(self):
        """Liveness: used by health checks and by the local runner."""
        return {"service": self.name, "status": "ok"}
