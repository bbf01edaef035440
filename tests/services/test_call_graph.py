"""Synchronous calls between services go one way only: a service never calls
a service that calls it back (directly or through others), so no pair can
deadlock waiting on each other and each can be deployed and scaled alone."""
import importlib

from services.common.config import SERVICES
from services.common.rpc import ServiceRpc

# The allowed directions (services/README.md draws them): a new call must be
# added here on purpose, and the cycle check below still applies.
ALLOWED = {
    "accounts": {"catalog"},
    "catalog": {"documents"},
    "applications": {"accounts", "catalog", "documents"},
    "documents": set(),
    "notifications": {"applications"},  # the decision mails' letters (get_letter)
}


def service_class(name):
    from services.common.serve import service_class as find
    importlib.import_module(f"services.{name}.service")
    return find(name)


def calls_of(name):
    """The services `name` calls by RPC (its ServiceRpc dependencies)."""
    cls = service_class(name)
    return {value.target_service for value in vars(cls).values()
            if isinstance(value, ServiceRpc)}


def cycles(graph):
    """Every call path that comes back to where it started."""
    found = []

    def walk(path):
        for target in sorted(graph.get(path[-1], ())):
            if target == path[0]:
                found.append(path + [target])
            elif target not in path:
                walk(path + [target])
    for start in sorted(graph):
        walk([start])
    return found


def test_the_cycle_check_sees_a_call_back():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"], ["b", "a", "b"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_service_calls_a_service_that_calls_it_back():
    graph = {name: calls_of(name) for name in SERVICES}
    assert cycles(graph) == []


def test_every_synchronous_call_goes_an_allowed_way():
    assert {name: calls_of(name) for name in SERVICES} == ALLOWED
