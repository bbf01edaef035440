"""How RPC requests and replies travel: nameko's message format, published as an RPC needs.

nameko publishes every message alike: persistent, waiting for the broker's
confirm, through a kombu Connection described anew for each message (each
probing for librabbitmq with a failed import). A request and its reply cost
5 to 10 raw AMQP round trips that way. Here (docs/architecture.md, "How an
RPC travels"):

- `RpcClient` (the gateway's pooled clients): one connection and channel per
  client for its requests and its replies. Requests are transient and
  mandatory, unconfirmed: a request nothing consumes comes back on that
  channel at once (`UnknownService`); replies come to the client's exclusive
  queue, unacknowledged.
- `RpcServiceProxy` (`ServiceRpc`, service to service): nameko's proxy with
  transient requests, still confirmed (its mandatory check needs the confirm
  on a pooled channel), through one kombu producer pool per process.
- `RpcReplyingConsumer` (every `@rpc` service): replies serialised once,
  transient and unconfirmed, on one connection per process (`ReplyConnection`);
  the request is acknowledged once its reply is published, as before.

Kept: each request's expiration, context data (the request id) as `nameko.*`
headers, reconnection after a broken connection, and redelivery of a request
whose service died before answering.
"""
import contextlib
import os
import sys
import threading
import time
import uuid

import amqp
import kombu.serialization
from kombu import Connection, Queue
from kombu.exceptions import ChannelError
from kombu.pools import producers
from nameko import serialization as nameko_serialization
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER,
                              HEADER_PREFIX, LOGIN_METHOD_CONFIG_KEY, NON_PERSISTENT,
                              SERIALIZER_CONFIG_KEY)
from nameko.exceptions import (RpcTimeout, UnknownService, UnserializableValueError,
                               deserialize, serialize)
from nameko.rpc import (RPC_REPLY_QUEUE_TEMPLATE, MethodProxy, Responder, RpcConsumer,
                        ServiceProxy, get_rpc_exchange)
from nameko.standalone.rpc import StandaloneProxyBase

STANDALONE_NAME = StandaloneProxyBase.ServiceContainer.service_name
# what py-amqp raises when the connection or the channel breaks
BROKER_ERRORS = amqp.Connection.connection_errors + amqp.Connection.channel_errors
_pools = {}
_pools_lock = threading.Lock()


def producer_pool(amqp_uri, confirms, ssl=None, login_method=None, transport_options=None):
    """kombu's producer pool for this broker and confirm mode, described once per
    process (the pid is in the key: a forked gateway worker opens its own)."""
    options = {**(transport_options or {}), "confirm_publish": bool(confirms)}
    key = (os.getpid(), amqp_uri, repr(ssl), login_method, repr(sorted(options.items())))
    pool = _pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                connection = Connection(amqp_uri, transport_options=options, ssl=ssl,
                                        login_method=login_method)
                pool = _pools[key] = producers[connection]
    return pool


class RpcPublisher(Publisher):
    """nameko's Publisher (same options, retry policy and errors) through
    `producer_pool`, transient by default."""

    delivery_mode = NON_PERSISTENT

    def publish(self, payload, **kwargs):
        publish_kwargs = self.publish_kwargs.copy()
        headers = publish_kwargs.pop("headers", {}).copy()
        headers.update(kwargs.pop("headers", {}))
        headers.update(kwargs.pop("extra_headers", {}))
        confirms = kwargs.pop("use_confirms", self.use_confirms)
        transport_options = kwargs.pop("transport_options", self.transport_options)
        options = {name: kwargs.pop(name, getattr(self, name))
                   for name in ("delivery_mode", "mandatory", "priority", "expiration",
                                "serializer", "compression", "retry", "retry_policy")}
        if options["mandatory"] and not confirms:
            # an unroutable message would come back later, unasked, on a pooled channel
            options["mandatory"] = False
        declare = [*self.declare, *kwargs.pop("declare", ())]
        publish_kwargs.update(kwargs)
        pool = producer_pool(self.amqp_uri, confirms, self.ssl, self.login_method,
                             transport_options)
        with pool.acquire(block=True) as producer:
            try:
                producer.publish(payload, headers=headers, declare=declare,
                                 **options, **publish_kwargs)
            except ChannelError as exc:
                if "NO_ROUTE" in str(exc):
                    raise UndeliverableMessage() from None
                raise


class RequestPublisher(RpcPublisher):
    use_confirms = True


class RequestProxy(MethodProxy):
    publisher_cls = RequestPublisher


class RpcServiceProxy(ServiceProxy):
    """nameko's ServiceProxy whose requests go through RequestPublisher."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return RequestProxy(self.worker_ctx, self.service_name, name, self.reply_listener,
                            **self.options)


class ReplyConnection:
    """The connection a service process publishes its replies on, one green
    thread at a time, through py-amqp itself (kombu's producer pool and retry
    wrapper cost as much as the publish). A broken connection is opened again
    as nameko's publisher would retry: up to 3 more attempts, 2 then 3 then
    4 s apart (a broker restart); then the error is raised, as before."""

    def __init__(self, amqp_uri, ssl=None, login_method=None):
        self.amqp_uri, self.ssl, self.login_method = amqp_uri, ssl, login_method
        self._lock = threading.Lock()  # green under eventlet
        self._connection = self._channel = None

    def _open(self):
        self._connection = Connection(self.amqp_uri, ssl=self.ssl, login_method=self.login_method)
        self._connection.ensure_connection(max_retries=3, interval_start=2, interval_step=1,
                                           interval_max=5)
        self._channel = self._connection.channel()

    def _drop(self):
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # it is broken already
                connection.collect()

    def publish(self, message, exchange, routing_key):
        with self._lock:
            try:
                if self._channel is None:
                    self._open()
                self._channel.basic_publish(message, exchange=exchange, routing_key=routing_key)
            except BROKER_ERRORS:
                self._drop()
                self._open()
                self._channel.basic_publish(message, exchange=exchange, routing_key=routing_key)


_reply_connections = {}


def reply_connection(amqp_uri, ssl=None, login_method=None):
    key = (os.getpid(), amqp_uri, repr(ssl), login_method)
    connection = _reply_connections.get(key)
    if connection is None:
        with _pools_lock:
            connection = _reply_connections.setdefault(
                key, ReplyConnection(amqp_uri, ssl, login_method))
    return connection


class ReplyResponder(Responder):
    """Publishes a worker's reply, serialised once, transient and unconfirmed,
    on the process's ReplyConnection."""

    def send_response(self, result, exc_info):
        error = serialize(exc_info[1]) if exc_info is not None else None
        # the reply is encoded as its request was
        serializer = kombu.serialization.registry.type_to_name[
            self.message.properties["content_type"]]
        try:
            content_type, encoding, body = kombu.serialization.dumps(
                {"result": result, "error": error}, serializer)
        except Exception:  # noqa: BLE001 - whatever the serializer raises, as nameko
            # an unserialisable result: the caller hears it, the worker fails as with nameko
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            result = None
            content_type, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer)
        message = amqp.Message(body, content_type=content_type, content_encoding=encoding,
                               delivery_mode=NON_PERSISTENT,
                               correlation_id=self.message.properties.get("correlation_id"))
        reply_connection(self.amqp_uri, self.ssl, self.login_method).publish(
            message, self.exchange.name, self.message.properties["reply_to"])
        return result, exc_info


class RpcReplyingConsumer(RpcConsumer):
    """nameko's RpcConsumer answering through ReplyResponder; the request is
    acknowledged once its reply is published, as before."""

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = ReplyResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class BrokerConnectionLost(ConnectionError):
    """The client's connection to the broker broke: the call may or may not
    have run, its reply is lost with the connection (a 503, like any
    ConnectionError, at the gateway)."""


class RpcClient:
    """A standalone RPC client for one thread at a time (the gateway's pool
    lends each to one request), in place of nameko's ClusterRpcProxy: one
    connection and one channel, on which requests leave (transient, mandatory,
    unconfirmed) and replies come back, from the client's own exclusive queue,
    without acknowledgements. A request nothing consumes comes back to this
    same channel before anything else (mandatory), so `UnknownService` is
    raised at once without waiting for a confirm. Same messages as nameko's
    (args and kwargs, context data as `nameko.*` headers, reply_to and
    correlation_id), so nameko services answer it as any caller.

    `client.call("catalog", "ping", [token])`, or `client.catalog.ping(token)`."""

    def __init__(self, config, timeout=None):
        self.config = config
        self.timeout = timeout
        self.serializer, accept = nameko_serialization.setup(config)
        self.accept = kombu.serialization.prepare_accept_content(accept)  # as content types
        self.exchange = get_rpc_exchange(config)
        # named as nameko's standalone reply queues: the gateway's broker user may use those
        self.routing_key = str(uuid.uuid4())
        self.queue = Queue(RPC_REPLY_QUEUE_TEMPLATE.format(STANDALONE_NAME, self.routing_key),
                           exchange=self.exchange, routing_key=self.routing_key,
                           durable=False, exclusive=True, auto_delete=True)
        self.connection = self.channel = None
        self._awaiting = self._reply = self._returned = None

    def start(self):
        self.connection = Connection(self.config[AMQP_URI_CONFIG_KEY],
                                     ssl=self.config.get(AMQP_SSL_CONFIG_KEY),
                                     login_method=self.config.get(LOGIN_METHOD_CONFIG_KEY))
        self.channel = self.connection.channel()
        self.channel.events["basic_return"].add(self._on_return)
        # declared by kombu (exchange, queue, binding), consumed by py-amqp itself:
        # kombu's Consumer wraps and dispatches each reply at a cost close to the reply's own
        self.queue(self.channel).declare()
        self.channel.basic_consume(self.queue.name, callback=self._on_reply, no_ack=True)
        return self

    def stop(self):
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.release()

    def _broken(self):
        with contextlib.suppress(Exception):  # it is broken already
            self.stop()

    def _on_reply(self, message):
        properties = message.properties
        if properties.get("correlation_id") == self._awaiting:
            self._reply = kombu.serialization.loads(
                message.body, properties.get("content_type"),
                properties.get("content_encoding") or "utf-8", accept=self.accept)
        # else the late reply of a call that gave up: nobody waits for it

    def _on_return(self, exc, exchange, routing_key, message):
        if message.properties.get("correlation_id") == self._awaiting:
            self._returned = routing_key

    def call(self, service, method, args=(), kwargs=None, context=None, expiration=None):
        """The method's result, or its error raised (nameko's deserialised
        exception); RpcTimeout after `timeout` seconds, UnknownService when
        nothing consumes the service's queue, BrokerConnectionLost."""
        correlation_id = str(uuid.uuid4())
        routing_key = f"{service}.{method}"
        # encoded as kombu's Producer would (same serializer), published by py-amqp itself
        content_type, encoding, body = kombu.serialization.dumps(
            {"args": list(args), "kwargs": dict(kwargs or {})}, self.serializer)
        properties = {"content_type": content_type, "content_encoding": encoding,
                      "delivery_mode": NON_PERSISTENT, "reply_to": self.routing_key,
                      "correlation_id": correlation_id,
                      "application_headers": {f"{HEADER_PREFIX}.{key}": value
                                              for key, value in (context or {}).items()
                                              if value is not None}}
        if expiration is not None:
            properties["expiration"] = str(int(expiration * 1000))
        message = amqp.Message(body, **properties)
        self._awaiting, self._reply, self._returned = correlation_id, None, None
        try:
            # a connection found broken on publishing (the broker restarted while
            # this client was idle) is opened again, once: the request did not leave
            for attempt in (1, 2):
                try:
                    if self.connection is None:
                        self.start()
                    self.channel.basic_publish(message, exchange=self.exchange.name,
                                               routing_key=routing_key, mandatory=True)
                    break
                except BROKER_ERRORS as exc:
                    self._broken()
                    if attempt == 2:
                        raise BrokerConnectionLost(f"{service}.{method}: {exc!r}") from exc
            try:
                reply = self._wait(service)
            except BROKER_ERRORS as exc:
                self._broken()
                raise BrokerConnectionLost(f"{service}.{method}: {exc!r}") from exc
        finally:
            self._awaiting = None
        error = reply.get("error")
        if error:
            raise deserialize(error)
        return reply["result"]

    def _wait(self, service):
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while self._reply is None:
            if self._returned is not None:
                raise UnknownService(service)
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise RpcTimeout(self.timeout)
            try:
                self.connection.drain_events(timeout=remaining)
            except TimeoutError:  # socket.timeout
                raise RpcTimeout(self.timeout) from None
        return self._reply

    def __getattr__(self, service):
        if service.startswith("_"):
            raise AttributeError(service)
        return _ServiceCalls(self, service)


class _ServiceCalls:
    def __init__(self, client, service):
        self._client, self._service = client, service

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            return self._client.call(self._service, method, args, kwargs)
        return call
