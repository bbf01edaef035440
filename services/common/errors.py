"""Typed errors that cross the wire.

Each carries a stable `code` (translated by the gateway into the user's
language), an English `message` for logs and API clients, and for validation
errors a `fields` mapping of field name -> code. They are registered with
nameko so an RPC caller gets the same class back, not a RemoteError.
"""
from nameko.exceptions import deserialize_to_instance


@deserialize_to_instance
class DomainError(Exception):
    http_status = 400

    def __init__(self, code, message="", fields=None):
        super().__init__(code, message or code, dict(fields or {}))

    @property
    def code(self):
        return self.args[0]

    @property
    def message(self):
        return self.args[1]

    @property
    def fields(self):
        return self.args[2]

    def __str__(self):
        return f"{self.code}: {self.message}" + (f" {self.fields}" if self.fields else "")


@deserialize_to_instance
class NotFound(DomainError):
    http_status = 404


@deserialize_to_instance
class Forbidden(DomainError):
    http_status = 403


@deserialize_to_instance
class ValidationFailed(DomainError):
    """Bad input: `fields` says which field is wrong and why (a code)."""
    http_status = 422


@deserialize_to_instance
class Conflict(DomainError):
    """The request is valid but the current state forbids it
    (already transmitted, already exists, deadline passed...)."""
    http_status = 409


@deserialize_to_instance
class Unavailable(DomainError):
    """A service this one needs did not answer in time: nothing was done, and
    the request it was sent expires unanswered (try again later). `fields`
    may name that service, {"service": "documents"} (breaker.unavailable):
    its callers' circuit breakers then know which service is in trouble."""
    http_status = 503


EXPECTED = (DomainError,)
