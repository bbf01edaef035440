"""Standalone broker clients for tests that talk to a running service the way
the platform does: RPC calls whose first argument is the actor, signed for
that call; events signed as a service's outbox relay signs them."""
from contextlib import contextmanager

from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy

from services.common.rpc import ActingProxy
from services.common.trust import sign_event


@contextmanager
def acting_rpc_proxy(service, config, **options):
    with ServiceRpcProxy(service, config, **options) as proxy:
        yield ActingProxy(proxy, service)


def signed_event_dispatcher(config):
    dispatch = event_dispatcher(config)

    def send(source_service, event_type, payload):
        dispatch(source_service, event_type, sign_event(source_service, event_type, payload))
    return send
