"""RPC with a verified caller, the one way services expose and call methods.

- `@rpc` (an entrypoint replacing nameko's): every RPC method takes `actor`
  as its first parameter. On the wire that argument is a signed token
  (services/common/trust.py) bound to the method and the call's other
  arguments; the entrypoint verifies it before a worker starts and hands the
  method the actor mapping. An unsigned, expired,
  tampered or misdirected actor is answered `Forbidden` and nothing runs.
  A method whose first parameter is not `actor` stops the service at start.
  A database that cannot be reached is answered `Unavailable`, as a service
  that does not answer is.
- `ServiceRpc("catalog")` (a dependency replacing nameko's RpcProxy): calls
  to another service carry this service's own signed identity as the actor,
  prepended to the arguments, so calling code reads as before:
  `self.catalog.get_formation(code)`; each waits SERVICE_RPC_TIMEOUT at most
  (then `Unavailable`) and its request expires in the broker at that moment.
  Each target has its circuit breaker and bulkhead in the calling service
  (services/common/breaker.py): a dead target is not called again for
  CIRCUIT_RESET_SECONDS after CIRCUIT_FAILURES failures, and never holds more
  than SERVICE_RPC_CONCURRENCY of the caller's workers.
- `ActingProxy(proxy, "accounts")` wraps a standalone nameko proxy (the
  gateway's pool, health checks, tests): the first argument of each call is an
  actor mapping, which it signs for that one call.
"""
import inspect
import logging

import eventlet
from nameko.exceptions import IncorrectSignature, MalformedRequest
from nameko.rpc import Rpc, RpcProxy
from sqlalchemy.exc import InterfaceError, OperationalError

from . import trust
from .actors import service as service_actor
from .breaker import Guards, unavailable
from .config import (circuit_failures, circuit_reset_seconds, concurrency_wait_seconds,
                     service_rpc_concurrency, service_rpc_timeout)
from .errors import EXPECTED, Unavailable
from .transport import RpcReplyingConsumer, RpcServiceProxy

log = logging.getLogger(__name__)

# A database refusing or dropping connections: nothing the request did is kept.
DB_UNREACHABLE = (OperationalError, InterfaceError)


class TrustedRpc(Rpc):
    rpc_consumer = RpcReplyingConsumer()  # transient, unconfirmed replies (transport.py)

    def __init__(self, expected_exceptions=EXPECTED, **kwargs):
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)

    @property
    def audience(self):
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        method = getattr(self.container.service_cls, self.method_name)
        parameters = list(inspect.signature(method).parameters)
        if parameters[1:2] != ["actor"]:
            raise TypeError(f"{self.audience}: the first parameter of an RPC must be `actor`")
        # nameko's check_signature inspects the method anew for every request
        self._signature = inspect.signature(method, follow_wrapped=False)
        super().setup()

    def check_signature(self, args, kwargs):
        try:
            self._signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None

    def handle_message(self, body, message):
        try:
            args, kwargs = list(body["args"]), dict(body["kwargs"])
        except (KeyError, TypeError):
            raise MalformedRequest("Message missing `args` or `kwargs`") from None
        token = args[0] if args else kwargs.pop("actor", None)
        try:
            actor = trust.verify_actor(token, self.audience, args[1:], kwargs)
        except Exception as exc:
            log.warning("refused %s: %s", self.audience, exc)
            raise
        if args:
            args[0] = actor
        else:
            kwargs["actor"] = actor
        super().handle_message({**body, "args": args, "kwargs": kwargs}, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], DB_UNREACHABLE):
            # the caller hears a typed "try again later", not a server error;
            # naming this service tells its callers' breakers it is the one in trouble
            exc_info = (Unavailable, unavailable(self.container.service_name,
                                                 f"{self.audience}: database unreachable"), None)
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = TrustedRpc.decorator


class SigningProxy:
    """Calls `service.method(token, *args)`, the token made by `actor_for(args)`;
    with a `timeout`, waits that many seconds at most, then raises Unavailable;
    with a `guard` (services/common/breaker.py), the call goes through it."""

    def __init__(self, proxy, service, actor_for, timeout=None, guard=None):
        self._proxy, self._service, self._actor_for = proxy, service, actor_for
        self._timeout, self._guard = timeout, guard

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)
        target = getattr(self._proxy, method)
        audience = f"{self._service}.{method}"

        def call(*args, **kwargs):
            actor, rest = self._actor_for(args)
            token = trust.sign_actor(actor, audience, rest, kwargs)
            if self._timeout is None:
                return target(token, *rest, **kwargs)
            if self._guard is None:
                return _within(self._timeout, audience, target, token, *rest, **kwargs)
            return self._guard.call(_within, self._timeout, audience, target, token,
                                    *rest, **kwargs)
        call.__name__ = audience
        return call


def _within(seconds, audience, target, *args, **kwargs):
    timer = eventlet.Timeout(seconds)
    try:
        return target(*args, **kwargs)
    except eventlet.Timeout as exc:
        if exc is not timer:  # a caller's own, wider deadline
            raise
        log.warning("%s did not answer within %ss", audience, seconds)
        raise unavailable(audience.split(".")[0], f"{audience} did not answer in time") from None
    finally:
        timer.cancel()


def _first_argument(args):
    if not args:
        raise TypeError("the first argument of an RPC is the actor")
    return args[0], args[1:]


def ActingProxy(proxy, service):
    """`ActingProxy(cluster_proxy.accounts, "accounts").get_dossier(actor, ...)`."""
    return SigningProxy(proxy, service, _first_argument)


class ServiceRpc(RpcProxy):
    """nameko's RpcProxy, each call signed with the calling service's identity
    and bounded by SERVICE_RPC_TIMEOUT: a dead service answers Unavailable in
    seconds instead of holding this worker (its locks and its database
    connection) forever, and the request expires in the broker at the same
    moment, so it never runs after its caller gave up. Its breaker and
    bulkhead are the container's: shared by all its workers, they last as
    long as the service runs."""

    def setup(self):
        super().setup()
        self.guards = Guards(self.container.service_name, circuit_failures(),
                             circuit_reset_seconds(), service_rpc_concurrency(),
                             concurrency_wait_seconds())

    def get_dependency(self, worker_ctx):
        identity = service_actor(self.container.service_name)
        timeout = service_rpc_timeout()
        proxy = RpcServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                **{**self.options, "expiration": timeout})
        return SigningProxy(proxy, self.target_service, lambda args: (identity, args),
                            timeout=timeout, guard=self.guards[self.target_service])


# -- a call the caller can do without -------------------------------------------------

OPTIONAL_ANSWER_SECONDS = 3
_going_without = set()  # the calls given up since they last answered (one warning each)


def answer_or_none(call, *args, timeout=None, **kwargs):
    """`call(*args, **kwargs)`'s answer, or None when it does not come within
    `timeout` seconds (OPTIONAL_ANSWER_SECONDS by default) or the service is
    unavailable (down, its circuit open, unknown to the broker): for an answer
    the caller can do without (a login goes on without the active campaign). A
    typed error of the service (NotFound...) is raised as usual. One warning when
    a call starts going without its answer, one line when it answers again, not
    one per call through an outage."""
    from nameko.exceptions import UnknownService

    name = getattr(call, "__name__", None) or repr(call)
    timeout = OPTIONAL_ANSWER_SECONDS if timeout is None else timeout
    timer = eventlet.Timeout(timeout)
    try:
        answer = call(*args, **kwargs)
    except eventlet.Timeout as exc:
        if exc is not timer:  # a caller's own deadline
            raise
        reason = f"no answer within {timeout}s"
    except (Unavailable, UnknownService) as exc:
        reason = str(exc) or type(exc).__name__
    else:
        if name in _going_without:
            _going_without.discard(name)
            log.info("%s answers again", name)
        return answer
    finally:
        timer.cancel()
    if name not in _going_without:
        _going_without.add(name)
        log.warning("%s: going on without its answer (%s)", name, reason)
    return None
