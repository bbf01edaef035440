"""A pool of long-lived nameko RPC clients for the gateway.

Opening a ClusterRpcProxy costs a connection and a reply queue: per request,
that caps a gateway at tens of requests per second. The pool keeps up to
`size` started proxies per process and lends one to a request at a time
(a proxy is not thread-safe). Created lazily, so gunicorn's master never
holds one across fork.
"""
import functools
import logging
import queue
import threading
import time
from contextlib import contextmanager

from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.errors import DomainError
from services.common.rpc import ActingProxy

log = logging.getLogger(__name__)


class RpcPoolExhausted(Exception):
    pass


class RpcPool:
    def __init__(self, config, size=8, timeout=30, wait=10):
        self.config = config
        self.size = size
        self.timeout = timeout  # seconds an RPC may take
        self.wait = wait        # seconds a request may wait for a free client
        self._idle = queue.LifoQueue()
        self._lock = threading.Lock()
        self._created = 0

    def _create(self):
        holder = ClusterRpcProxy(self.config, timeout=self.timeout)
        return holder, holder.start()

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
        holder, _ = client
        with self._lock:
            self._created -= 1
        try:
            holder.stop()
        except Exception:  # already broken
            log.debug("could not stop a broken RPC client", exc_info=True)

    @contextmanager
    def client(self):
        client = self._acquire()
        try:
            yield client[1]
        except DomainError:
            self._idle.put(client)  # a typed answer: the client is fine
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
        what its user was told had failed."""
        with self.client() as cluster:
            # nameko's ClusterProxy gives its service proxies no publish
            # options: one is made here on its context and reply queue.
            target = ServiceProxy(cluster._worker_ctx, service, cluster._reply_listener,
                                  expiration=self.timeout)
            return getattr(target, method)(*args, **kwargs)


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
