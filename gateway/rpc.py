"""A pool of long-lived nameko RPC clients for the gateway.

Opening an RPC client costs a connection and a reply queue: per request,
that caps a gateway at tens of requests per second. The pool keeps up to
`size` started clients (services.common.transport.RpcClient: one connection
each, requests and replies on it) per process and lends one to a request at
a time (a client is not thread-safe). Created lazily, so gunicorn's master
never holds one across fork.

Views reach the services through `remote()` (below), not through gateway.app,
so the app imports the views and never the other way round.

Every call goes through the target service's circuit breaker and bulkhead
(services/common/breaker.py), before it takes a client: a dead service holds
at most RPC_CONCURRENCY threads and clients, and once its circuit is open its
pages fail at once while the others, /healthz included, keep being served.
"""
import functools
import logging
import queue
import threading
import time
from contextlib import contextmanager

from flask import current_app, request
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from services.common.breaker import Guards
from services.common.config import (circuit_failures, circuit_reset_seconds,
                                    concurrency_wait_seconds, rpc_concurrency)
from services.common.errors import DomainError, Unavailable
from services.common.rpc import ActingProxy
from services.common.transport import RpcClient

log = logging.getLogger(__name__)


class RpcPoolExhausted(Exception):
    pass


class RpcPool:
    def __init__(self, config, size=8, timeout=30, wait=10, guards=None, context=dict):
        self.config = config
        self.context = context  # () -> context data for the next call (the request id)
        self.size = size
        self.timeout = timeout  # seconds an RPC may take
        self.wait = wait        # seconds a request may wait for a free client
        self.guards = guards or Guards(
            "gateway", circuit_failures(), circuit_reset_seconds(), rpc_concurrency(),
            concurrency_wait_seconds(), local_errors=(RpcPoolExhausted,))
        self._idle = queue.LifoQueue()
        self._lock = threading.Lock()
        self._created = 0

    def _create(self):
        return RpcClient(self.config, timeout=self.timeout).start()

    def _acquire(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            create = self._created < self.size
            if create:
                self._created += 1
        if create:
            try:
                return self._create()
            except Exception:
                with self._lock:
                    self._created -= 1
                raise
        try:
            return self._idle.get(timeout=self.wait)
        except queue.Empty:
            raise RpcPoolExhausted("no RPC client free") from None

    def _discard(self, client):
        with self._lock:
            self._created -= 1
        try:
            client.stop()
        except Exception:  # already broken
            log.debug("could not stop a broken RPC client", exc_info=True)

    @contextmanager
    def client(self):
        client = self._acquire()
        try:
            yield client
        except (DomainError, RemoteError, UnknownService):
            self._idle.put(client)  # an answer (or the broker's): the client is fine
            raise
        except BaseException:
            self._discard(client)   # connection trouble or timeout: start afresh
            raise
        else:
            self._idle.put(client)

    def close(self, timeout=2):
        """Stops the idle clients (a worker's exit, gateway/gunicorn_conf.py),
        all at once and for `timeout` seconds at most: a broker that is gone or
        slow to answer never holds the exit. Clients lent to a request waiting
        for a service are not waited for; they end with the process."""
        stopping = []
        while True:
            try:
                client = self._idle.get_nowait()
            except queue.Empty:
                break
            thread = threading.Thread(target=self._discard, args=(client,), daemon=True)
            thread.start()
            stopping.append(thread)
        deadline = time.monotonic() + timeout
        for thread in stopping:
            thread.join(max(0, deadline - time.monotonic()))

    def call(self, service, method, *args, **kwargs):
        """One call, waiting `timeout` seconds at most; the request expires in
        the broker at that moment, so a service that comes back never runs
        what its user was told had failed. Refused at once (Unavailable) when
        the service's circuit is open or RPC_CONCURRENCY calls already wait on it."""
        try:
            return self.guards[service].call(self._call, service, method, *args, **kwargs)
        except Unavailable as exc:
            if (exc.fields or {}).get("service") != service:
                # the service answered that one it needs is down: pages that can
                # do without that one show it as such (gateway.rpc.optional)
                self.guards.heard_unavailable(exc)
            raise

    def _call(self, service, method, *args, **kwargs):
        with self.client() as client:
            # the call carries its request's id; the request expires with the wait
            return client.call(service, method, args, kwargs, context=self.context(),
                               expiration=self.timeout)


class Remote:
    """`remote.accounts.get_dossier(actor, ...)` -> one call through the pool.

    The first argument of every call is the actor mapping (the session's user,
    or security.caller() on public pages); it travels signed for that one
    method and a few minutes (services/common/trust.py), which is what the
    services believe."""

    def __init__(self, pool):
        self._pool = pool

    def __getattr__(self, service):
        return ActingProxy(_PooledService(self._pool, service), service)


class _PooledService:
    """`.method(*args)`: one call to the service through the pool."""

    def __init__(self, pool, service):
        self._pool, self._service = pool, service

    def __getattr__(self, method):
        return functools.partial(self._pool.call, self._service, method)


# -- for views ---------------------------------------------------------------------------

def remote():
    """The RPC entry point for views: `remote().accounts.get_dossier(actor)`."""
    return current_app.extensions["remote"]


def service_down(service):
    """Whether `service`'s circuit is open in this process: known without a call."""
    return current_app.extensions["rpc_pool"].guards.is_down(service)


def optional(call, *args, **kwargs):
    """`call(*args)` for a part of a page that can do without its service:
    None when that service is unavailable (the page shows a short notice),
    so the rest of the page is served."""
    try:
        return call(*args, **kwargs)
    except (Unavailable, RpcTimeout, RpcPoolExhausted, ConnectionError, OSError):
        current_app.logger.warning("part of %s left out: a service is unavailable", request.path)
        return None
