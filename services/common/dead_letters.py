"""Delayed retries and dead letters of event handlers, and the command that
lists and replays them.

A handler that fails does not get its event back at once (that spun a worker
on a poison message, and flooded the logs during a database outage). Its
entrypoint (services/common/events.py) publishes a copy to one of the service's
delay queues and acknowledges the original; the broker holds the copy there
for that queue's delay, then routes it back to the handler's own queue:

    evt-X-<event>--S.<method>  --fails-->  S.delays (direct) --> S.delay-<ms>ms
        ^                                   (x-message-ttl = the delay,
        |                                    x-dead-letter-exchange = S.retries)
        +--- S.retries (headers: event-queue = the handler's queue) <--+

One delay queue per delay (EVENT_RETRY_DELAYS, say 2, 10, 60 and 300 s), so
that a short delay never waits behind a long one. After the last delay's
attempt fails, or straight away for a body that is not an event (not a JSON
object, no event_id), the message goes through the exchange S.dead-letters to
the queue S.dead-letters, with headers saying which handler queue, exchange
and routing key it came by, how many attempts failed, the last error (its
type and first line, no values) and when. It stays there until someone
replays it: back to its handler's queue through S.retries, with its attempts
counted from zero. Replaying twice applies once (handle_once records each
event id per handler).

An event whose signature does not verify is dropped, as before, never
dead-lettered: replaying a forgery would not make it genuine.

    python -m services.common.dead_letters list [--service S]
    python -m services.common.dead_letters replay [--service S] (--all | ID...)

(AMQP_URI: a service's own broker user reaches its own dead letters only.)
"""
import argparse
import logging
import sys
import uuid

from kombu import Connection, Exchange, Producer, Queue, binding
from nameko.amqp.publish import Publisher
from nameko.extensions import SharedExtension

from .clock import utcnow
from .config import SERVICES, amqp_uri, event_retry_delays

log = logging.getLogger(__name__)

# Headers of a retried or dead-lettered event (no "x-" prefix: a headers
# exchange ignores those when it matches).
QUEUE = "event-queue"              # the handler queue it goes back to
ATTEMPTS = "event-attempts"        # attempts that failed so far
EXCHANGE = "event-exchange"        # where it was first published
ROUTING_KEY = "event-routing-key"
ERROR = "event-error"              # the last error, short
FAILED_AT = "event-failed-at"
LETTER_ID = "dead-letter-id"       # what list shows and replay takes
REASON = "dead-letter-reason"      # "failed" (attempts used up) or "malformed"

ERROR_LENGTH = 200


class _Queue(Queue):
    """Declared before every message sent to it, not once per connection: a
    queue an operator deleted comes back at once, instead of the messages
    meant for it being dropped by an exchange with no queue bound."""
    can_cache_declaration = False


def delays_exchange(service):
    return Exchange(f"{service}.delays", type="direct", durable=True)


def retries_exchange(service):
    return Exchange(f"{service}.retries", type="headers", durable=True)


def dead_letter_exchange(service):
    return Exchange(f"{service}.dead-letters", type="direct", durable=True)


def dead_letter_queue(service):
    name = f"{service}.dead-letters"
    return _Queue(name, exchange=dead_letter_exchange(service), routing_key=name, durable=True)


def delay_queue(service, seconds):
    """Named after its delay: a new EVENT_RETRY_DELAYS declares new queues
    instead of clashing with the arguments of the old ones."""
    ms = max(1, int(round(seconds * 1000)))
    name = f"{service}.delay-{ms}ms"
    return _Queue(name, exchange=delays_exchange(service), routing_key=name, durable=True,
                 queue_arguments={"x-message-ttl": ms,
                                  "x-dead-letter-exchange": f"{service}.retries"})


def retry_binding(service, queue_name):
    """How the handler's queue gets its delayed events back."""
    return binding(retries_exchange(service), routing_key="",
                   arguments={"x-match": "all", QUEUE: queue_name})


def short_error(exc):
    """The error's type and first line, bounded: enough to recognise it, and
    none of what SQLAlchemy appends (the statement and its parameters)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    found = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return found[:ERROR_LENGTH]


def _kept_headers(message):
    # the broker's own record of the delay queues passed through (x-death)
    # grows with each attempt and says nothing our headers do not
    return {k: v for k, v in (message.headers or {}).items() if k != "x-death"}


def _header_text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class DeadLetters(SharedExtension):
    """One per service container: sends a failed event on to its next delay
    queue or to the dead letters (the event handlers share it)."""

    def setup(self):
        self.service = self.container.service_name
        self.delays = event_retry_delays()
        self.queues = [delay_queue(self.service, d) for d in self.delays]
        self.publisher = Publisher(
            self.container.config.get("AMQP_URI") or amqp_uri(),
            declare=[retries_exchange(self.service)])

    @property
    def attempts_allowed(self):
        return len(self.delays) + 1

    def _forward(self, message, queue, headers):
        # the body exactly as it came: a copy that is not an event stays one
        self.publisher.publish(message.body, exchange=queue.exchange,
                               routing_key=queue.routing_key, headers=headers,
                               content_type=message.content_type,
                               content_encoding=message.content_encoding, declare=[queue])

    def _headers(self, message, queue_name, attempts, error):
        headers = _kept_headers(message)
        headers.setdefault(EXCHANGE, message.delivery_info.get("exchange", ""))
        headers.setdefault(ROUTING_KEY, message.delivery_info.get("routing_key", ""))
        headers.update({QUEUE: queue_name, ATTEMPTS: attempts, ERROR: error,
                        FAILED_AT: utcnow().isoformat()})
        return headers

    def failed(self, message, queue_name, exc):
        """After a failed attempt: the next delay queue, or the dead letters
        when none is left. Returns the attempt that failed (1, 2...)."""
        attempts = int((message.headers or {}).get(ATTEMPTS) or 0) + 1
        headers = self._headers(message, queue_name, attempts, short_error(exc))
        if attempts <= len(self.delays):
            self._forward(message, self.queues[attempts - 1], headers)
        else:
            self._dead_letter(message, headers, "failed")
        return attempts

    def malformed(self, message, queue_name, why):
        headers = self._headers(message, queue_name,
                                int((message.headers or {}).get(ATTEMPTS) or 0) + 1, why)
        self._dead_letter(message, headers, "malformed")

    def _dead_letter(self, message, headers, reason):
        headers.update({LETTER_ID: str(uuid.uuid4()), REASON: reason})
        self._forward(message, dead_letter_queue(self.service), headers)


# -- listing and replaying (the command, and the services' RPCs) --------------

def describe(service, message):
    """What an operator sees of one dead letter."""
    headers = {k: _header_text(v) for k, v in (message.headers or {}).items()}
    try:
        body = message.decode()
    except Exception:  # not JSON at all: shown as such
        body = None
    event = body if isinstance(body, dict) else {}
    queue = headers.get(QUEUE) or ""
    return {
        "id": headers.get(LETTER_ID) or "",
        "service": service,
        "queue": queue,
        "handler": queue.rsplit("--", 1)[-1] if "--" in queue else queue,
        "exchange": headers.get(EXCHANGE) or "",
        "routing_key": headers.get(ROUTING_KEY) or "",
        "event_type": event.get("event_type") or headers.get(ROUTING_KEY) or "",
        "event_id": event.get("event_id") if isinstance(event.get("event_id"), str) else None,
        "attempts": int(headers.get(ATTEMPTS) or 0),
        "error": headers.get(ERROR) or "",
        "reason": headers.get(REASON) or "",
        "failed_at": headers.get(FAILED_AT) or "",
    }


def _connection(uri):
    return Connection(uri or amqp_uri(), connect_timeout=10,
                      transport_options={"confirm_publish": True})


def _queue_exists(connection, name):
    channel = connection.channel()  # a missing queue closes the channel that asked
    try:
        channel.queue_declare(queue=name, passive=True)
        return True
    except Exception:
        return False
    finally:
        try:
            channel.close()
        except Exception:
            pass


def _sweep(service, uri, replay_if):
    """Takes every dead letter of `service` once, in order: those
    `replay_if(letter)` chooses go back to their handler's queue, the others
    back to the dead-letter queue, each published (confirmed) before the
    original is acknowledged, so none is lost. Putting the others back as new
    messages, rather than rejecting them, keeps a quorum queue's delivery
    limit from dropping letters that are only looked at.
    Returns [(letter, replayed)]."""
    seen = []
    queue = dead_letter_queue(service)
    with _connection(uri) as connection:
        channel = connection.channel()
        bound = queue(channel)
        bound.declare()
        count = channel.queue_declare(queue=queue.name, passive=True).message_count
        producer = Producer(channel)
        exists = {}
        for _ in range(count):
            message = bound.get(no_ack=False, accept=["json"])
            if message is None:
                break
            letter = describe(service, message)
            target = letter["queue"]
            replay = bool(target) and replay_if(letter)
            if replay and target not in exists:
                exists[target] = _queue_exists(connection, target)
            replay = replay and exists[target]
            headers = _kept_headers(message)
            if replay:
                headers.update({ATTEMPTS: 0, "event-replayed-at": utcnow().isoformat()})
                exchange, routing_key = retries_exchange(service), ""
            else:
                exchange, routing_key = queue.exchange, queue.routing_key
            producer.publish(message.body, exchange=exchange, routing_key=routing_key,
                             headers=headers, content_type=message.content_type,
                             content_encoding=message.content_encoding, delivery_mode=2,
                             declare=[exchange])
            message.ack()
            seen.append((letter, replay))
    return seen


def list_letters(service, uri=None):
    """The dead letters of `service`, oldest first; they stay where they are."""
    return [letter for letter, _ in _sweep(service, uri, lambda letter: False)]


def replay(service, ids=None, uri=None):
    """Sends the chosen dead letters (`ids`, or all of them when None) back to
    their handler. {"replayed": [ids], "missing": [ids not found or whose
    handler queue is gone]}."""
    wanted = None if ids is None else {str(i) for i in ids}
    swept = _sweep(service, uri, lambda letter: wanted is None or letter["id"] in wanted)
    replayed = [letter["id"] for letter, done in swept if done]
    missing = sorted((wanted or set()) - set(replayed))
    if wanted is None:
        missing = [letter["id"] for letter, done in swept if not done]
    return {"replayed": replayed, "missing": missing}


# -- the command ------------------------------------------------------------------

def _services(chosen):
    return [chosen] if chosen else list(SERVICES)


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(prog="python -m services.common.dead_letters",
                                     description="List or replay the event handlers' dead letters.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show the dead letters (they stay)")
    listing.add_argument("--service", choices=SERVICES)
    replaying = commands.add_parser("replay", help="send dead letters back to their handler")
    replaying.add_argument("--service", choices=SERVICES)
    replaying.add_argument("--all", action="store_true", help="every dead letter")
    replaying.add_argument("ids", nargs="*", help="dead-letter ids, as list shows them")
    args = parser.parse_args(argv)
    if args.command == "replay" and not (args.all or args.ids):
        parser.error("replay needs --all or dead-letter ids")
    failed, found = False, set()
    for service in _services(args.service):
        try:
            if args.command == "list":
                for letter in list_letters(service):
                    out.write("{service}\t{handler}\t{event_type}\t{event_id}\t{attempts}\t"
                              "{failed_at}\t{id}\t{error}\n".format(
                                  **{k: ("-" if v in (None, "") else v)
                                     for k, v in letter.items()}))
                continue
            wanted = None if args.all else [i for i in args.ids if i not in found]
            if wanted == []:
                continue
            done = replay(service, wanted)
            found.update(done["replayed"])
            for letter_id in done["replayed"]:
                out.write(f"{service}\treplayed\t{letter_id}\n")
            if args.all:
                for letter_id in done["missing"]:
                    out.write(f"{service}\tkept, its handler queue is gone\t{letter_id}\n")
        except Exception as exc:  # a broker user that may not reach this service's letters
            failed = True
            print(f"{service}: {short_error(exc)}", file=sys.stderr)
    if args.command == "replay" and not args.all:
        for letter_id in args.ids:
            if letter_id not in found:  # already replayed, mistyped, or its handler queue gone
                out.write(f"-\tnot replayed\t{letter_id}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())
