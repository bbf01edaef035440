"""Event handlers that apply only events the platform's services published,
and whose failures are retried later by the broker, then set aside.

Anyone on the broker could publish `account_deleted` on the accounts exchange;
the outbox relay signs every event with its publisher and type
(services/common/trust.py) and this entrypoint, replacing nameko's
`event_handler`, drops an event whose signature does not verify for the
exchange and routing key it came by, before any worker runs (acknowledged and
logged: redelivering it would not make it genuine).

A handler that raises does not get its event back at once: the event waits
in a delay queue of the broker, then comes back, a few times with growing
pauses (EVENT_RETRY_DELAYS), then lands in the service's dead-letter queue
(services/common/dead_letters.py). A body that is not an event goes there
straight away. No worker sleeps or spins meanwhile; each failed attempt logs
one warning, the last one its traceback. This applies to every handler,
whatever `requeue_on_error` its declaration says.
"""
import logging

from kombu import Queue, binding
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

from . import trust
from .dead_letters import DeadLetters, retry_binding

log = logging.getLogger(__name__)


class EventQueueConsumer(QueueConsumer):
    """The event handlers' consumer (its own connection; RPC keeps nameko's).
    A body that does not even decode (not JSON) would otherwise be logged and
    dropped by kombu: it goes to the dead letters like any malformed one."""

    def on_decode_error(self, message, exc):
        tag = message.delivery_info.get("consumer_tag")
        for provider, consumer in list(self._consumers.items()):
            if tag in consumer._active_tags.values():
                return provider._set_aside(message, "not JSON")
        return super().on_decode_error(message, exc)


class TrustedEventHandler(EventHandler):
    queue_consumer = EventQueueConsumer()
    dead_letters = DeadLetters()

    def __init__(self, source_service, event_type, expected_exceptions=(Exception,), **kwargs):
        # Every failure is expected here (retried, then dead-lettered): nameko
        # logs it as such, and serve.py keeps those tracebacks out of the logs.
        super().__init__(source_service, event_type, expected_exceptions=expected_exceptions,
                         **kwargs)

    @property
    def handler_name(self):
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self):
        super().setup()
        queue = self.queue
        # The same queue (same arguments, so an existing one is reused as it is),
        # also bound to the service's retries exchange for its delayed events.
        self.queue = Queue(queue.name, durable=queue.durable, auto_delete=queue.auto_delete,
                           exclusive=queue.exclusive,
                           bindings=[binding(queue.exchange, routing_key=queue.routing_key),
                                     retry_binding(self.container.service_name, queue.name)])

    def handle_message(self, body, message):
        if not isinstance(body, dict):
            return self._set_aside(message, "not a JSON object")
        if not trust.event_is_signed(body, self.source_service, self.event_type):
            log.warning("dropped an unsigned or altered %s.%s event",
                        self.source_service, self.event_type)
            self.queue_consumer.ack_message(message)
            return None
        if not isinstance(body.get("event_id"), str):
            return self._set_aside(message, "no event_id")
        return super().handle_message(body, message)

    def _set_aside(self, message, why):
        try:
            self.dead_letters.malformed(message, self.queue.name, why)
        except Exception:
            log.exception("%s: could not dead-letter a malformed message; it stays queued",
                          self.handler_name)
            self.queue_consumer.requeue_message(message)
            return None
        log.warning("%s: a malformed message (%s) went to %s.dead-letters",
                    self.handler_name, why, self.container.service_name)
        self.queue_consumer.ack_message(message)
        return None

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        error = exc_info[1]
        event = worker_ctx.args[0] if worker_ctx.args else {}
        what = f"{self.event_type} {event.get('event_id')}"
        try:
            attempt = self.dead_letters.failed(message, self.queue.name, error)
        except Exception:  # the broker is going away: it redelivers the event itself
            log.exception("%s: could not delay the failed %s; it goes back to its queue",
                          self.handler_name, what)
            self.queue_consumer.requeue_message(message)
            return result, exc_info
        self.queue_consumer.ack_message(message)
        allowed = self.dead_letters.attempts_allowed
        if attempt < allowed:
            log.warning("%s failed on %s (attempt %d of %d): %s; next attempt in %ss",
                        self.handler_name, what, attempt, allowed,
                        type(error).__name__, self.dead_letters.delays[attempt - 1])
        else:
            log.error("%s failed on %s %d times: it went to %s.dead-letters",
                      self.handler_name, what, attempt, self.container.service_name,
                      exc_info=exc_info)
        return result, exc_info


event_handler = TrustedEventHandler.decorator
