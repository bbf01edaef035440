"""Entry points every service has."""
from .logs import LogContext
from .rpc import rpc


class ServiceBase:
    # every log line of a worker names the request and the kind of actor it serves
    log_context = LogContext()

    @rpc
    def ping(self, actor):
        """Liveness: used by health checks and by the local runner (any verified caller)."""
        return {"service": self.name, "status": "ok"}
