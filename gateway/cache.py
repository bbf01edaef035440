"""The gateway's read cache: answers that rarely change (the offer tree, a
formation's public page, the centres, the catalogue rights of a staff member,
accounts' reference data), kept per gunicorn worker and dropped by the events
that change them (docs/architecture.md, "The gateway's read cache").

Views call `remote().catalog.get_offer(...)` as before: `CachedRemote` wraps
the pool's `Remote` and answers the methods of `CACHED` from memory when it can.

When is a change seen?
- By everyone, within the outbox relay's delay: each worker's
  `InvalidationListener` hears the service's event and drops the entries of
  its topic. A fetch that was under way when the event came is not stored
  (the cache's generation moved on).
- By the staff member who made it, on their very next request, whichever worker
  serves it: any catalog command sent through the gateway stamps their session
  (`SESSION_KEY`: the time its answer came back, the service having committed
  before answering) and that session is never served an entry fetched before
  that time. The worker that sent it also drops the topic at once.
- Never from a cache that cannot hear events: while the listener's connection
  is down the cache is empty and every call goes to the service; it serves
  again once a new queue is bound. A TTL (READ_CACHE_TTL_SECONDS) bounds
  anything else (an event lost by a publisher's broker, the day changing).

Keys hold the actor's scope when the answer depends on it: candidates and
visitors share the public answers; a staff answer (their rights, their
centres) is kept for that very actor mapping only. Answers do not depend on
the language (labels are translated by the templates). Candidate-specific
answers (dossier, applications) are never cached.
"""
import json
import logging
import os
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import has_request_context, session

from services.common.clock import utcnow
from services.common.invalidation import InvalidationListener, ReadCache

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
SESSION_KEY = "cache_fresh_after"  # {topic: the time the session's last change was answered}

# The events that change each topic's answers.
TOPIC_EVENTS = {
    "catalog": {"catalog": ["formation_updated", "formation_deleted", "campaign_activated",
                            "campaign_archived", "campaign_updated", "centre_updated",
                            "commission_updated", "piece_updated", "piece_deleted",
                            "reference_item_updated"]},
    "reference": {"accounts": ["reference_data_changed"]},
}
# (service, method) -> topic, and whether the answer depends on a staff actor
# (a candidate's or visitor's is the same for all of them).
CACHED = {
    ("catalog", "get_offer"): "catalog",
    ("catalog", "get_formation"): "catalog",
    ("catalog", "list_centres"): "catalog",
    ("catalog", "catalogue_rights"): "catalog",
    ("catalog", "list_reference"): "catalog",  # the staff pages' tags (reference_item_updated)
    ("accounts", "reference_data"): "reference",
}
# Every other catalog method is taken for a change (a new command is thus
# covered without a word here); these only read.
CATALOG_READS = frozenset({
    "get_offer", "get_formation", "get_active_campaign", "list_centres", "centre_limits",
    "list_campaigns", "get_campaign", "get_centre", "list_commissions", "get_commission",
    "list_formations", "catalogue_rights", "catalogue_columns", "export_catalogue",
    "list_reference", "list_pieces", "get_piece", "list_dead_letters", "start_upload"})
WRITES_TOPIC = {"catalog": "catalog"}


def topic_of_event(source, event_type):
    for topic, bindings in TOPIC_EVENTS.items():
        if event_type in bindings.get(source, ()):
            return topic
    return None


def scope_of(actor):
    """Whose answer it is: staff answers belong to that actor mapping; the
    others are the same for every candidate and visitor."""
    if isinstance(actor, dict) and actor.get("kind") == "staff":
        return json.dumps(actor, sort_keys=True, default=str)
    return "public"


def canonical(args, kwargs):
    return json.dumps([list(args), kwargs], sort_keys=True, default=str)


class CachedRemote:
    """`Remote` with the read cache in front of the methods of CACHED; every
    catalog command stamps the session (read-your-writes) and drops the topic
    in this worker."""

    def __init__(self, remote, uri, ttl=300.0, maxsize=2000, heartbeat=10):
        self._remote = remote
        self.cache = ReadCache(ttl=ttl, maxsize=maxsize, name="gateway.cache")
        self._uri, self._heartbeat = uri, heartbeat
        self._listener, self._listener_pid = None, None
        self._start_lock = threading.Lock()

    # -- the listener: one per worker, started by the first cached call (after fork) --

    def listening(self):
        if self._listener_pid != os.getpid():
            with self._start_lock:
                if self._listener_pid != os.getpid():
                    bindings = {}
                    for topic_bindings in TOPIC_EVENTS.values():
                        for source, events in topic_bindings.items():
                            bindings.setdefault(source, []).extend(events)
                    self.cache.went_offline()  # a forked copy's state is not ours
                    self._listener = InvalidationListener(
                        self._uri, bindings, self._heard, self.cache.went_online,
                        self.cache.went_offline, name="gateway.cache",
                        heartbeat=self._heartbeat).start()
                    self._listener_pid = os.getpid()
        return self._listener

    def _heard(self, source, event_type, payload):
        topic = topic_of_event(source, event_type)
        if topic:
            self.cache.invalidate(topic)

    def close(self):
        if self._listener is not None and self._listener_pid == os.getpid():
            self._listener.stop()

    # -- calls ----------------------------------------------------------------------

    def __getattr__(self, service):
        return _CachedService(self, service)

    def call(self, service, method, args, kwargs):
        target = getattr(getattr(self._remote, service), method)
        topic = CACHED.get((service, method))
        if topic is not None:
            return self._cached(topic, service, method, target, args, kwargs)
        if WRITES_TOPIC.get(service) and method not in CATALOG_READS:
            try:
                return target(*args, **kwargs)
            finally:
                self.changed(WRITES_TOPIC[service])
        return target(*args, **kwargs)

    def _cached(self, topic, service, method, target, args, kwargs):
        self.listening()
        actor, rest = (args[0] if args else kwargs.get("actor")), args[1:]
        # the Paris day: the offer's "open now" and windows follow it
        key = (topic, service, method, scope_of(actor), canonical(rest, kwargs),
               datetime.fromtimestamp(utcnow().timestamp(), PARIS).date().isoformat())
        found = self.cache.get(key, fresh_after(topic))
        if found is not None:
            return found
        token, sent_at = self.cache.begin(), time.time()
        value = target(*args, **kwargs)
        self.cache.put(key, value, token, sent_at)
        return value

    def changed(self, topic):
        """A command of this topic was answered: this worker drops the topic,
        and the session's next requests read nothing fetched before now."""
        self.cache.invalidate(topic)
        if has_request_context():
            stamps = dict(session.get(SESSION_KEY) or {})
            stamps[topic] = time.time()
            session[SESSION_KEY] = stamps


def fresh_after(topic):
    if not has_request_context():
        return 0.0
    try:
        return float((session.get(SESSION_KEY) or {}).get(topic) or 0.0)
    except (TypeError, ValueError, AttributeError):
        return 0.0


class _CachedService:
    def __init__(self, owner, service):
        self._owner, self._service = owner, service

    def __getattr__(self, method):
        owner, service = self._owner, self._service

        def call(*args, **kwargs):
            return owner.call(service, method, args, kwargs)
        return call
