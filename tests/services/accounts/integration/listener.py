"""A service listening to accounts' events in the integration tests, and the
next event it heard about an address."""
import eventlet
from eventlet.queue import Empty
from nameko.events import event_handler

WAIT_SECONDS = 15
LISTENER = "accounts_test_listener"


def make_listener(received):
    """A small service subscribed to the accounts events, like notifications is."""
    class Listener:
        name = LISTENER

        @event_handler("accounts", "candidate_registered")
        def registered(self, payload):
            received.put(payload)

        @event_handler("accounts", "account_activated")
        def activated(self, payload):
            received.put(payload)

    return Listener


def next_event(received, event_type, email):
    """The next event of that type about that email (queues may hold older ones)."""
    deadline = eventlet.Timeout(WAIT_SECONDS, AssertionError(f"no {event_type} for {email}"))
    with deadline:
        while True:
            try:
                event = received.get(timeout=WAIT_SECONDS)
            except Empty:
                continue
            if event["event_type"] == event_type and event["email"] == email:
                return event
