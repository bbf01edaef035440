"""Hearing the events that change what a process keeps in memory (the
gateway's read cache, gateway/cache.py; a service's copy of another's answers).

An `InvalidationListener` runs one pika connection in a thread of its own
(a green thread in an eventlet-patched service), on an exclusive, auto-delete
queue of its own bound to the events asked for: every process hears every
event (unlike a service's handlers, whose instances share one queue). Events
are checked as services check them (services/common/trust.py): an unsigned or
altered one is dropped.

The queue lives as long as the connection: while it is down, events are lost.
So a cache must not serve while its listener is offline: `on_offline()` is
called as soon as the connection is lost (closed by the broker, or silent for
two heartbeats), `on_online()` once a new queue is bound and consumed, and
then the cache starts empty.
"""
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass

import cachetools
import pika

from . import trust

log = logging.getLogger(__name__)
# pika says every connect and close at INFO: a listener's outages are said here, once
logging.getLogger("pika").setLevel(logging.WARNING)


class InvalidationListener:
    def __init__(self, uri, bindings, on_event, on_online=lambda: None,
                 on_offline=lambda: None, name="cache", heartbeat=10, retry_seconds=2.0):
        """`bindings` {publisher service: [event types]}; `on_event(source,
        event_type, payload)` for each signed event; `name`: the queue's and
        connection's name (then a unique suffix)."""
        self.uri = uri
        self.bindings = {source: sorted(set(events)) for source, events in bindings.items()}
        self.on_event, self.on_online, self.on_offline = on_event, on_online, on_offline
        self.name = name
        self.heartbeat = heartbeat
        self.retry_seconds = retry_seconds
        self.connection_name = f"{name}-{uuid.uuid4()}"
        self.online = False
        self._connection = self._channel = None
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.run, name=self.connection_name, daemon=True)
        self._thread.start()
        return self

    def run(self):
        failures = 0
        while not self._stopping.is_set():
            try:
                self._consume()
            except Exception as exc:  # noqa: BLE001  (any failure: offline, then reconnect)
                if not self._stopping.is_set():
                    failures += 1
                    # one line per outage, not one per attempt
                    (log.warning if failures == 1 else log.debug)(
                        "%s: invalidations not heard (%s); its cache does not serve meanwhile",
                        self.name, str(exc).splitlines()[0][:200] if str(exc) else
                        type(exc).__name__)
            else:
                failures = 0
            finally:
                self._went_offline()
            self._stopping.wait(self.retry_seconds)

    def _consume(self):
        params = pika.URLParameters(self.uri)
        params.heartbeat = self.heartbeat
        params.blocked_connection_timeout = self.heartbeat * 3
        params.client_properties = {"connection_name": self.connection_name}
        connection = self._connection = pika.BlockingConnection(params)
        try:
            channel = self._channel = connection.channel()
            queue = f"{self.name}-{uuid.uuid4()}"
            # exclusive queues are classic queues (the vhost's default type may be quorum)
            channel.queue_declare(queue, exclusive=True, auto_delete=True,
                                  arguments={"x-queue-type": "classic"})
            for source, events in self.bindings.items():
                exchange = f"{source}.events"
                # as nameko declares it: bindable before its publisher ever started
                channel.exchange_declare(exchange, exchange_type="topic", durable=True)
                for event in events:
                    channel.queue_bind(queue, exchange, routing_key=event)
            channel.basic_consume(queue, self._deliver, auto_ack=True)
            self.online = True
            self.on_online()
            if self._stopping.is_set():
                return
            channel.start_consuming()  # returns once stopped, or cancelled by the broker
            if not self._stopping.is_set():
                raise ConnectionError("the broker cancelled the consumer")
        finally:
            self._went_offline()
            try:
                if connection.is_open:
                    connection.close()
            except Exception:
                log.debug("closing a broken listener connection", exc_info=True)
            self._connection = self._channel = None

    def _went_offline(self):
        if self.online:
            self.online = False
        self.on_offline()

    def _deliver(self, channel, method, properties, body):
        source = method.exchange[:-len(".events")] if method.exchange.endswith(".events") else ""
        try:
            payload = json.loads(body)
        except ValueError:
            log.warning("%s: dropped a message that is not JSON", self.name)
            return
        if not trust.event_is_signed(payload, source, method.routing_key):
            log.warning("%s: dropped an unsigned or altered %s.%s event", self.name, source,
                        method.routing_key)
            return
        try:
            self.on_event(source, method.routing_key, payload)
        except Exception:
            log.exception("%s: could not apply %s.%s", self.name, source, method.routing_key)
            raise  # the connection goes: the cache is cleared and starts again

    def stop(self, timeout=2):
        self._stopping.set()
        connection, channel = self._connection, self._channel
        if connection is not None and channel is not None:
            try:
                connection.add_callback_threadsafe(channel.stop_consuming)
            except Exception:
                log.debug("listener connection already closed", exc_info=True)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)


@dataclass(frozen=True)
class Entry:
    text: str          # the answer as JSON: each reader gets its own copy
    fetched_at: float  # wall clock when its call was sent


class ReadCache:
    """Answers kept while their events are heard (keys are tuples, the topic
    first); nothing is kept or served while offline. Entries per topic; `generation` moves on at each invalidation, so a
    fetch that began before one is not stored after it."""

    def __init__(self, ttl=300.0, maxsize=2000, name="read cache"):
        self.name = name
        self._lock = threading.Lock()
        self._entries = cachetools.TTLCache(maxsize=maxsize, ttl=ttl, timer=time.monotonic)
        self.generation = 0
        self.online = False
        self.hits = self.misses = 0

    def begin(self):
        """The token of a fetch about to start: None when nothing may be stored."""
        with self._lock:
            return self.generation if self.online else None

    def read(self, key, fetch):
        """The entry of `key`, else `fetch()`'s answer, kept if no event came meanwhile."""
        found = self.get(key)
        if found is not None:
            return found
        token, sent_at = self.begin(), time.time()
        value = fetch()
        self.put(key, value, token, sent_at)
        return value

    def get(self, key, fresh_after=0.0):
        with self._lock:
            entry = self._entries.get(key) if self.online else None
            if entry is None or entry.fetched_at <= fresh_after:
                self.misses += 1
                return None
            self.hits += 1
        return json.loads(entry.text)

    def put(self, key, value, token, fetched_at):
        if token is None:
            return
        text = json.dumps(value)
        with self._lock:
            if self.online and token == self.generation:
                self._entries[key] = Entry(text, fetched_at)

    def invalidate(self, topic):
        with self._lock:
            self.generation += 1
            for key in [k for k in self._entries if k[0] == topic]:
                self._entries.pop(key, None)

    def went_online(self):
        with self._lock:
            self.generation += 1
            self._entries.clear()
            self.online = True
        log.info("%s serving (invalidations heard)", self.name)

    def went_offline(self):
        with self._lock:
            was = self.online
            self.generation += 1
            self._entries.clear()
            self.online = False
        if was:
            log.warning("%s bypassed: its invalidations are not heard", self.name)

    def __len__(self):
        with self._lock:
            return len(self._entries)
