"""Event handlers that apply only events the platform's services published.

Anyone on the broker could publish `account_deleted` on the accounts exchange;
the outbox relay signs every event with its publisher and type
(services/common/trust.py) and this entrypoint, replacing nameko's
`event_handler`, drops an event whose signature does not verify for the
exchange and routing key it came by, before any worker runs (acknowledged and
logged: redelivering it would not make it genuine).
"""
import logging

from nameko.events import EventHandler

from . import trust

log = logging.getLogger(__name__)


class TrustedEventHandler(EventHandler):
    def handle_message(self, body, message):
        if not trust.event_is_signed(body, self.source_service, self.event_type):
            log.warning("dropped an unsigned or altered %s.%s event",
                        self.source_service, self.event_type)
            self.queue_consumer.ack_message(message)
            return
        super().handle_message(body, message)


event_handler = TrustedEventHandler.decorator
