"""Signed assertions, so that a service trusts no identity it cannot verify.

Anyone who can reach the broker can publish an RPC request or an event. So:

- the actor of every RPC travels as a short-lived token signed with
  ACTOR_SIGNING_KEY (shared by the gateway and the services, nobody else),
  bound to the one call it was issued for: the method and its other arguments
  (a token read off a call to `catalog.get_offer` cannot be replayed against
  `applications.enter_decision`, nor a decision's token with another code);
- every event carries a signature over its publisher, its type and its
  payload, made by the publishing service's outbox relay and checked before a
  handler runs (a genuine `candidate_updated` republished as `account_deleted`
  does not verify).

itsdangerous (Flask's own signing library) does the HMAC-SHA256 work.
"""
import functools
import hashlib
import json

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from kombu.utils import json as wire_json

from .config import env
from .errors import Forbidden

ACTOR_SALT = "candidatures.actor"
EVENT_SALT = "candidatures.event"
SIGNATURE_FIELD = "signature"
UNTRUSTED = "untrusted_actor"
# Long enough for a request waiting briefly in a queue, short enough that a
# token seen on the wire is soon worthless.
DEFAULT_ACTOR_TTL = 120


class SigningKeyMissing(RuntimeError):
    pass


def signing_key():
    key = env("ACTOR_SIGNING_KEY")
    if not key:
        raise SigningKeyMissing(
            "ACTOR_SIGNING_KEY is not set: the gateway and every service need the same "
            "secret key to sign and verify who is asking (make run generates one)")
    return key


def actor_ttl():
    return int(env("ACTOR_TTL_SECONDS", str(DEFAULT_ACTOR_TTL)))


class _ActorTokens(URLSafeTimedSerializer):
    """Tokens as itsdangerous makes them, without trying zlib on each: a
    claim is a hundred-odd bytes, which compression barely shortens and which
    every RPC pays for twice (it reads the same either way)."""

    def dump_payload(self, obj):
        return base64_encode(self.serializer.dumps(obj, **self.serializer_kwargs).encode())


@functools.lru_cache(maxsize=4)
def _actor_tokens(key):
    # built once per key, not per call: every RPC signs once and verifies once
    return _ActorTokens(key, salt=ACTOR_SALT, signer_kwargs={"digest_method": hashlib.sha256})


def _actors():
    return _actor_tokens(signing_key())


def _canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def arguments_digest(args, kwargs, sent=False):
    """What binds a token to a call's other arguments. `sent`: as the callee
    receives them; otherwise as the caller holds them, so first passed through
    the wire's JSON (tuples become lists, dates strings) to compare alike."""
    value = [list(args), dict(kwargs or {})]
    if sent:
        return _digest(value)
    try:
        # plain JSON values (nearly every call) read the same after the wire
        return _digest(value)
    except TypeError:  # a date, a UUID...: compare it as the callee will receive it
        return _digest(wire_json.loads(wire_json.dumps(value)))


def _digest(value):
    return hashlib.sha256(_canonical_json(value).encode()).hexdigest()


def sign_actor(actor, audience, args=(), kwargs=None):
    """A token saying `actor` makes this call: `audience` ("service.method")
    with these other arguments; valid actor_ttl() seconds."""
    if not isinstance(actor, dict) or not actor.get("kind"):
        raise TypeError(f"{audience}: the first argument of an RPC is the actor (a mapping)")
    return _actors().dumps({"actor": actor, "aud": audience,
                            "args": arguments_digest(args, kwargs)})


def verify_actor(token, audience, args=(), kwargs=None):
    """The actor a token asserts for this call (`audience`, the other arguments
    as received); Forbidden when it is not a token, was not signed with our
    key, was altered, has expired, or was issued for another call."""
    if not isinstance(token, str):
        raise Forbidden(UNTRUSTED, "the actor is not a signed assertion")
    try:
        claims = _actors().loads(token, max_age=actor_ttl())
    except BadSignature:  # includes SignatureExpired
        raise Forbidden(UNTRUSTED, "the actor's signature is invalid or expired") from None
    actor = claims.get("actor") if isinstance(claims, dict) else None
    if (claims.get("aud") != audience or not isinstance(actor, dict)
            or claims.get("args") != arguments_digest(args, kwargs, sent=True)):
        raise Forbidden(UNTRUSTED, "the actor was issued for another call")
    if actor.get("kind") == "system":  # scheduled jobs run inside a service, never over the wire
        raise Forbidden(UNTRUSTED, "the system actor does not travel")
    return actor


def _event_body(source, event_type, payload):
    body = {k: v for k, v in payload.items() if k != SIGNATURE_FIELD}
    return _canonical_json({"source": source, "type": event_type, "payload": body}).encode()


@functools.lru_cache(maxsize=4)
def _event_signer(key):
    # built once per key, as the actor tokens' serializer: every event is signed and checked
    return Signer(key, salt=EVENT_SALT, digest_method=hashlib.sha256)


def _events():
    return _event_signer(signing_key())


def sign_event(source, event_type, payload):
    """The event `source` publishes as `event_type`, with its signature."""
    signature = _events().get_signature(_event_body(source, event_type, payload)).decode()
    return {**payload, SIGNATURE_FIELD: signature}


def event_is_signed(payload, source, event_type):
    """Whether `source` published this payload as `event_type`."""
    if not isinstance(payload, dict) or not isinstance(payload.get(SIGNATURE_FIELD), str):
        return False
    return _events().verify_signature(_event_body(source, event_type, payload),
                                      payload[SIGNATURE_FIELD].encode())
