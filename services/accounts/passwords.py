"""Password hashing: argon2id (argon2-cffi's PasswordHasher and its defaults).

Hashing is deliberately slow CPU work; it runs in eventlet's thread pool so the
other workers of the service keep answering meanwhile.
"""
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

_hasher = PasswordHasher()


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


@functools.lru_cache(maxsize=1)
def _unusable_hash():
    return _hasher.hash("no account has this password")


def verify_password(password_hash, password):
    """True when `password` matches. Without a hash (no such account, not
    activated) a dummy one is checked anyway: the answer takes as long, so its
    timing does not tell which logins exist."""
    if not isinstance(password, str):
        password = ""
    try:
        return tpool.execute(_hasher.verify, password_hash or _unusable_hash(),
                             password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    """The hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
