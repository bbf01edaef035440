"""Password hashing: argon2id with the parameters below, and how guessable a
new password is (zxcvbn).

Hashing is deliberately slow CPU work; it runs in eventlet's thread pool (a
native thread, argon2 releases the GIL) so the other workers of the service
keep answering meanwhile.
"""
import ctypes
import ctypes.util
import functools
import re

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from zxcvbn import zxcvbn

from services.common.config import env

from .. import exceptions as codes

# argon2id parameters, the only place they are set. OWASP's password storage
# recommendation m=19 MiB, t=2, p=1 (argon2-cffi's defaults, 64 MiB x 4 lanes,
# 3 passes, made the accounts service grow to ~700 MB at a deadline's login rate):
# `python -m bench.argon2_params` measures the candidates on this machine.
# A hash made with other parameters is made again at its owner's next
# successful login (needs_rehash).
MEMORY_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM,
                         type=Type.ID)

# glibc serves blocks under 32 MiB from per-thread arenas once one such block
# was freed, and keeps them: each thread of the pool then holds a hash's memory
# for good (20 threads x 19 MiB). A fixed mmap threshold gives every hash's
# block back to the system when it is done (bench.argon2_params, "kept").
MMAP_THRESHOLD = 1024 * 1024
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def _return_hash_memory():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc: its allocator decides
        return False


_return_hash_memory()


def hasher():
    """The PasswordHasher of today's parameters (loaders hash a password once with it)."""
    return _hasher


def hash_password(password):
    return tpool.execute(_hasher.hash, password)


@functools.lru_cache(maxsize=1)
def _unusable_hash():
    return tpool.execute(_hasher.hash, "no account has this password")


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
    """The hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


# -- guessable passwords ------------------------------------------------------------------

# zxcvbn's score: 3 = about 10^8 guesses or more ("safely unguessable" against
# online guessing, and costly offline against argon2id).
MIN_SCORE = 3
ESTIMATED_LENGTH = 72  # zxcvbn refuses longer input; the start of a password says enough
# Words of this platform: guessers try them first against its accounts.
SITE_WORDS = ("candidature", "candidatures", "candidat", "candidate", "ecandidat",
              "universite", "université", "university")
_WORDS = re.compile(r"[^\W_]{3,}")


def _site_words():
    institution = env("INSTITUTION_NAME", "Université de démonstration")
    return {w.lower() for w in SITE_WORDS + tuple(_WORDS.findall(institution))}


def personal_words(*texts):
    """What a guesser knows of the user (names, email, login, dossier number):
    each text whole, each of its words of 3 characters or more, and those words
    two by two ("leamartin", "martinlea")."""
    whole, words = [], []
    for value in texts:
        if isinstance(value, str) and value.strip():
            whole.append(value.strip().lower())
            words.extend(w.lower() for w in _WORDS.findall(value))
    words = list(dict.fromkeys(words))[:8]
    pairs = [a + b for a in words for b in words if a != b]
    return list(dict.fromkeys(whole + words + pairs))


# Why a password is guessable, most telling first.
_REASONS = (codes.PASSWORD_PERSONAL, codes.PASSWORD_COMMON, codes.PASSWORD_PATTERN,
            codes.PASSWORD_DATE, codes.PASSWORD_WORDS)


def _reason(match, personal, site):
    pattern = match.get("pattern")
    if pattern == "dictionary":
        # by the word, not the dictionary: "martin" is a surname list's word too
        word = match.get("matched_word")
        if word in personal:
            return codes.PASSWORD_PERSONAL
        if word in site:
            return codes.PASSWORD_WORDS
        name = match.get("dictionary_name")
        return codes.PASSWORD_COMMON if name == "passwords" else codes.PASSWORD_WORDS
    if pattern == "date" or (pattern == "regex" and match.get("regex_name") == "recent_year"):
        return codes.PASSWORD_DATE
    if pattern in ("spatial", "sequence", "repeat"):
        return codes.PASSWORD_PATTERN
    return None


def guessable(password, personal=()):
    """None when `password` is hard enough to guess, else why (a field code:
    password_personal, password_common, password_pattern, password_date,
    password_words, password_guessable). `personal`: personal_words() of the
    user. zxcvbn runs here, not in the thread pool: it fills a module-level
    dictionary with the user's words, which must not be shared between threads
    (it takes a few milliseconds, without yielding to other green threads)."""
    site = _site_words()
    result = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=[*personal, *site])
    if result["score"] >= MIN_SCORE:
        return None
    found = {_reason(match, set(personal), site) for match in result["sequence"]}
    return next((reason for reason in _REASONS if reason in found), codes.PASSWORD_GUESSABLE)
