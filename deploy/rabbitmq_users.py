"""One RabbitMQ user per service and one for the gateway, each allowed only
the queues and exchanges nameko 2.14 uses for it (read from the code):

service S                         configure  write  read
  nameko-rpc (RPC exchange)           x        x      x   declares it, calls and replies, binds
  rpc-S (its RPC queue)               x        x      x   declares, binds (`S.*`), consumes
  rpc.reply-S-<uuid>                  x        x      x   replies to the calls S makes
  rpc.reply-standalone_rpc_proxy-<uuid>  x     x      x   the container health check's calls
  S.events (its events)               x        x          the outbox relay declares and publishes
  X.events (S handles X's events)     x               x   declared and bound by S's handlers
  evt-X-<event>--S.<method>           x        x      x   one queue per event handler
  S.delays, S.delay-<ms>ms            x        x      x   a failed event waits there (TTL)...
  S.retries                           x        x      x   ...then goes back to its handler's queue
  S.dead-letters (exchange, queue)    x        x      x   events given up on; list, replay
  S.cache-<uuid>                      x        x      x   an instance's in-memory copy hears X's events
gateway: nameko-rpc and rpc.reply-standalone_rpc_proxy-<uuid>; for its read cache
  (gateway/cache.py) gateway.cache-<uuid> (one exclusive queue per worker) and
  X.events (configure, read), bound to the events that drop cached answers only.

Topic permissions narrow the routing keys a user may bind with: on nameko-rpc,
S binds only `S.*` and reply ids (it cannot tap another service's calls); on
X.events, only the event types S handles (it cannot read X's other events).

    python -m deploy.rabbitmq_users render > deploy/rabbitmq/permissions
    python -m deploy.rabbitmq_users commands [VHOST]   # the rabbitmqctl lines, for a cluster

deploy/rabbitmq/users.sh applies deploy/rabbitmq/permissions with rabbitmqctl
(compose runs it once RabbitMQ is up); tests/deploy/test_rabbitmq_users.py
checks the file matches the code and that real services work with it.
"""
import re
import sys
from pathlib import Path

from services.common.config import SERVICES

PERMISSIONS_FILE = Path(__file__).with_name("rabbitmq") / "permissions"
RPC_EXCHANGE = "nameko-rpc"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
STANDALONE = "standalone_rpc_proxy"  # nameko's name for ClusterRpcProxy's reply queues
USERS = ("gateway", *SERVICES)
CACHE_QUEUE = "gateway.cache"  # the read cache's queue, one per gateway worker


def event_handlers(service):
    """[(source service, event type, method)] of the service's @event_handler methods."""
    from nameko.events import SERVICE_POOL
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from services.common.serve import service_class
    found = []
    cls = service_class(service)
    for name in dir(cls):
        for entrypoint in getattr(getattr(cls, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if hasattr(entrypoint, "source_service"):
                if entrypoint.handler_type is not SERVICE_POOL:  # other types name queues otherwise
                    raise ValueError(f"{service}.{name}: only service-pool handlers are covered")
                found.append((entrypoint.source_service, entrypoint.event_type, name))
    return sorted(found)


def cache_events(service):
    """{source: {event types}} a service's in-memory copies listen to on a queue of
    their own per instance (dependencies with `invalidation_bindings`, such as
    applications' CatalogReads)."""
    from nameko.extensions import DependencyProvider

    from services.common.serve import service_class
    found = {}
    for value in vars(service_class(service)).values():
        if isinstance(value, DependencyProvider):
            for source, events in getattr(value, "invalidation_bindings", {}).items():
                found.setdefault(source, set()).update(events)
    return found


def gateway_events():
    """{source: {event types}} the gateway's read cache listens to (gateway/cache.py)."""
    import services.common.serve  # noqa: F401  (patches first, as event_handlers does)
    from gateway.cache import TOPIC_EVENTS
    found = {}
    for bindings in TOPIC_EVENTS.values():
        for source, events in bindings.items():
            found.setdefault(source, set()).update(events)
    return found


def _anchored(names):
    return "^(" + "|".join(names) + ")$"


def permissions(user):
    """(configure, write, read) regular expressions for `user` on the vhost."""
    if user == "gateway":
        names = [re.escape(RPC_EXCHANGE), rf"rpc\.reply-{STANDALONE}-{UUID}"]
        listener = [rf"{re.escape(CACHE_QUEUE)}-{UUID}"]
        exchanges = [re.escape(f"{source}.events") for source in sorted(gateway_events())]
        return (_anchored(names + listener + exchanges), _anchored(names + listener),
                _anchored(names + listener + exchanges))
    handlers = event_handlers(user)
    cached = cache_events(user)
    sources = sorted({source for source, _, _ in handlers} | set(cached))
    own = [re.escape(RPC_EXCHANGE), f"rpc-{user}", rf"rpc\.reply-({user}|{STANDALONE})-{UUID}"]
    queues = [re.escape(f"evt-{source}-{event}--{user}.{method}") for source, event, method in handlers]
    if cached:  # one exclusive queue per instance (services/common/invalidation.py)
        queues.append(rf"{re.escape(user)}\.cache-{UUID}")
    exchanges = [re.escape(f"{source}.events") for source in sources]
    mine = re.escape(f"{user}.events")
    # Every service has them, handlers or not: the admin page asks each one.
    retries = [re.escape(user) + r"\.(delays|retries|dead-letters|delay-[0-9]+ms)"]
    return (_anchored(own + [mine] + exchanges + queues + retries),
            _anchored(own + [mine] + queues + retries),
            _anchored(own + exchanges + queues + retries))


def topic_permissions(user):
    """[(exchange, write, read)]: the routing keys `user` may publish / bind with."""
    if user == "gateway":
        return [(RPC_EXCHANGE, ".*", f"^{UUID}$")] + [
            (f"{source}.events", "^$", _anchored(sorted(re.escape(e) for e in events)))
            for source, events in sorted(gateway_events().items())]
    found = [(RPC_EXCHANGE, ".*", _anchored([re.escape(f"{user}.*"), UUID]))]
    by_source = {source: set(events) for source, events in cache_events(user).items()}
    for source, event, _ in event_handlers(user):
        by_source.setdefault(source, set()).add(event)
    for source, events in sorted(by_source.items()):
        found.append((f"{source}.events", "^$", _anchored(sorted(re.escape(e) for e in events))))
    return found


def render():
    lines = ["# Generated by `python -m deploy.rabbitmq_users render` from the services' code;",
             "# applied by deploy/rabbitmq/users.sh. Columns:",
             "#   permissions USER CONFIGURE WRITE READ",
             "#   topic       USER EXCHANGE  WRITE READ"]
    for user in USERS:
        lines.append(" ".join(("permissions", user, *permissions(user))))
        lines.extend(" ".join(("topic", user, *topic)) for topic in topic_permissions(user))
    return "\n".join(lines) + "\n"


def commands(vhost="ecandidat"):
    """The rabbitmqctl commands for a cluster (passwords read from standard input)."""
    out = [f"rabbitmqctl add_vhost {vhost} --default-queue-type quorum"]
    for user in USERS:
        out.append(f"rabbitmqctl add_user {user}   # type the password of RABBITMQ_{user.upper()}_PASSWORD")
        out.append(f"rabbitmqctl set_permissions -p {vhost} {user} " +
                   " ".join(f"'{p}'" for p in permissions(user)))
        for exchange, write, read in topic_permissions(user):
            out.append(f"rabbitmqctl set_topic_permissions -p {vhost} {user} {exchange} "
                       f"'{write}' '{read}'")
    return "\n".join(out) + "\n"


def main(argv):
    if argv[:1] == ["render"]:
        sys.stdout.write(render())
    elif argv[:1] == ["commands"]:
        sys.stdout.write(commands(*argv[1:2]))
    else:
        print("usage: python -m deploy.rabbitmq_users render|commands [VHOST]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
