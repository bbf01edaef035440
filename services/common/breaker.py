"""Failure isolation per target service: a circuit breaker and a bulkhead.

A caller (the gateway, or a service calling another through ServiceRpc) keeps
one `Guard` per target service:

- the **bulkhead** lets at most `limit` calls from this process wait on that
  target at once; one more waits for a slot only while calls to it keep
  ending (a burst towards a healthy service), else is answered `Unavailable`
  at once. A dead target therefore holds a few of the caller's
  threads (gateway) or workers (service), never all of them: the pages and
  RPCs that do not need it keep being served.
- the **circuit breaker** opens after `failures` consecutive failures of the
  target (no answer in time, broker trouble, or the target saying it is itself
  unavailable); while open every call is answered `Unavailable` without being
  sent. After `reset_seconds` one call is let through as a probe (half-open):
  its success closes the circuit, its failure opens it for another period.

A typed answer (NotFound, Conflict, ...) is a success: the target answered.
So is a server error it answered (nameko's RemoteError: one method's bug must
not shut the whole service out), and an `Unavailable` naming another service (`fields["service"]`): the
target is alive, one it needs is not. Rejections by the bulkhead or an open
circuit tell nothing about the target and are not counted.

The state changes under a lock held for a few instructions only (no I/O), so
it is safe between the gateway's threads and between eventlet green threads.
Transitions are logged once each (opened, half-open, closed), never per call.
"""
import logging
import threading
import time

import eventlet
from nameko.exceptions import RemoteError

from .errors import DomainError, Unavailable

log = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


def unavailable(service, message):
    """The `Unavailable` a caller raises for `service`: it names the service,
    so a caller further up knows the one it called is alive."""
    return Unavailable("service_unavailable", message, {"service": service})


def unavailable_service(exc):
    """The service an Unavailable names, None when it names none."""
    return (exc.fields or {}).get("service") if isinstance(exc, Unavailable) else None


class CircuitBreaker:
    def __init__(self, name, failures=5, reset_seconds=10.0, clock=time.monotonic):
        self.name = name
        self.failures = max(1, int(failures))
        self.reset_seconds = float(reset_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failed = 0          # consecutive failures while closed
        self._opened_at = None
        self._probing = False     # a half-open probe is in flight

    @property
    def state(self):
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.reset_seconds:
                return HALF_OPEN  # the next call is a probe
            return self._state

    def is_open(self):
        """Whether calls are refused now (a probe not yet due, or one in flight)."""
        with self._lock:
            if self._state == CLOSED:
                return False
            due = self._state == OPEN and self._clock() - self._opened_at >= self.reset_seconds
            return not (due or (self._state == HALF_OPEN and not self._probing))

    def before(self):
        """Raises Unavailable while the circuit is open; returns whether this
        call is the half-open probe."""
        with self._lock:
            if self._state == CLOSED:
                return False
            if self._state == OPEN and self._clock() - self._opened_at >= self.reset_seconds:
                self._state, self._probing = HALF_OPEN, False
                log.warning("circuit to %s half-open: one call will probe it", self.name)
            if self._state == HALF_OPEN and not self._probing:
                self._probing = True
                return True
        raise unavailable(self.name, f"{self.name}: circuit open")

    def success(self, probe=False):
        with self._lock:
            self._failed = 0
            # a call sent before the circuit opened proves little: only the probe closes it
            if probe and self._state == HALF_OPEN:
                self._state, self._probing, self._opened_at = CLOSED, False, None
                log.warning("circuit to %s closed: it answers again", self.name)

    def failure(self, probe=False, relayed=False):
        """`relayed`: another service said this one is unavailable; while
        the circuit is open that starts its period again (no probe is sent
        to a service others still find dead)."""
        with self._lock:
            if relayed and self._state == OPEN:
                self._opened_at = self._clock()
                return
            if self._state == CLOSED:
                self._failed += 1
                if self._failed < self.failures:
                    return
                log.error("circuit to %s opened after %s consecutive failures: calls fail at "
                          "once for %ss", self.name, self._failed, self.reset_seconds)
            elif self._state == HALF_OPEN and probe:
                log.error("circuit to %s opened again: the probe failed", self.name)
            else:
                return  # a call started before the circuit opened: already counted
            self._state, self._probing, self._opened_at = OPEN, False, self._clock()
            self._failed = 0

    def forget_probe(self):
        """The probe never reached the target (refused by the bulkhead): the
        next call probes instead."""
        with self._lock:
            if self._state == HALF_OPEN:
                self._probing = False


class Bulkhead:
    """At most `limit` calls at once. A call finding every slot taken waits
    for one, up to `wait` seconds, only while the slots turn over: a call
    ended, or one of the calls holding a slot started, less than `wait` ago.
    A burst towards a healthy service (calls of milliseconds) queues; calls
    stuck on a dead one make the next one fail at once, so that waiting
    requests never fill the caller's threads."""

    def __init__(self, name, limit, wait=0.05, clock=time.monotonic):
        self.name = name
        self.limit = max(1, int(limit))
        self.wait = float(wait)
        self._clock = clock
        self._slots = threading.BoundedSemaphore(self.limit)
        self._lock = threading.Lock()
        self._started = []         # when each call holding a slot started
        self._last_release = None  # when a call last ended

    @property
    def busy(self):
        return len(self._started)

    def turning_over(self):
        now, recent = self._clock(), max(self.wait, 0.05)
        with self._lock:
            last, started = self._last_release, list(self._started)
        return ((last is not None and now - last < recent)
                or any(now - began < recent for began in started))

    def acquire(self):
        """Takes a slot; returns what `release` needs."""
        if not self._slots.acquire(blocking=False):
            patience = self.wait if self.turning_over() else 0
            if not (patience and self._slots.acquire(timeout=patience)):
                raise unavailable(self.name,
                                  f"{self.name}: {self.limit} calls already waiting on it")
        began = self._clock()
        with self._lock:
            self._started.append(began)
        return began

    def release(self, began=None):
        with self._lock:
            if began in self._started:
                self._started.remove(began)
            elif self._started:
                self._started.pop(0)
            self._last_release = self._clock()
        self._slots.release()


def is_failure(exc, target):
    """Whether an exception raised by a call to `target` counts against it."""
    if isinstance(exc, Unavailable):
        return unavailable_service(exc) in (None, target)
    if isinstance(exc, (DomainError, RemoteError)):
        return False
    # eventlet.Timeout: a caller's own deadline (a BaseException) ran out first
    return isinstance(exc, (Exception, eventlet.Timeout))


class Guard:
    """The breaker and bulkhead of one caller for one target service."""

    def __init__(self, caller, target, failures, reset_seconds, concurrency, wait,
                 local_errors=()):
        self.target = target
        self.local_errors = local_errors  # the caller's own trouble: says nothing of the target
        self.breaker = CircuitBreaker(f"{target} (from {caller})", failures, reset_seconds)
        self.bulkhead = Bulkhead(f"{target} (from {caller})", concurrency, wait)

    def call(self, function, *args, **kwargs):
        try:
            probe = self.breaker.before()
        except Unavailable:
            raise unavailable(self.target, f"{self.target}: circuit open") from None
        try:
            slot = self.bulkhead.acquire()
        except Unavailable:
            if probe:
                self.breaker.forget_probe()
            raise unavailable(self.target,
                              f"{self.target}: {self.bulkhead.limit} calls already waiting") from None
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:
            if isinstance(exc, self.local_errors):
                if probe:
                    self.breaker.forget_probe()
            elif is_failure(exc, self.target):
                self.breaker.failure(probe)
            elif isinstance(exc, (DomainError, RemoteError)):
                self.breaker.success(probe)
            elif probe:  # e.g. GreenletExit: the caller went away, nothing learnt
                self.breaker.forget_probe()
            raise
        else:
            self.breaker.success(probe)
            return result
        finally:
            self.bulkhead.release(slot)


class Guards:
    """One Guard per target, created on first use, for one caller."""

    def __init__(self, caller, failures, reset_seconds, concurrency, wait, local_errors=()):
        self.caller = caller
        self._settings = (failures, reset_seconds, concurrency, wait, local_errors)
        self._guards = {}
        self._lock = threading.Lock()

    def __getitem__(self, target):
        guard = self._guards.get(target)
        if guard is None:
            with self._lock:
                guard = self._guards.setdefault(
                    target, Guard(self.caller, target, *self._settings))
        return guard

    def heard_unavailable(self, exc):
        """An answer relayed that a service further away is unavailable: counted
        against that service's circuit here too, so pages can tell it is down
        (and this caller's own calls to it fail fast) without asking it."""
        service = unavailable_service(exc)
        if service:
            self[service].breaker.failure(relayed=True)

    def open_circuits(self):
        """The targets whose circuit refuses calls now; never waits on a call."""
        return sorted(target for target, guard in list(self._guards.items())
                      if guard.breaker.is_open())

    def is_down(self, target):
        guard = self._guards.get(target)
        return guard is not None and guard.breaker.is_open()
