"""argon2id in the accounts service: one set of parameters, and hashing that
does not stop the service's other workers (its green threads) meanwhile."""
import eventlet
import pytest
from argon2 import PasswordHasher

from services.accounts.authentication import passwords

PASSWORD = "Candidat-2027!"


def test_new_hashes_use_the_parameters_set_in_one_place():
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith(f"$argon2id$v=19$m={passwords.MEMORY_KIB},t={passwords.TIME_COST},"
                             f"p={passwords.PARALLELISM}$")
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.needs_rehash(stored)
    # a hash of argon2-cffi's defaults (what accounts made until now) is redone at login
    assert passwords.needs_rehash(PasswordHasher().hash(PASSWORD))


def hash_while_another_worker_answers(monkeypatch, hash_function):
    """A slow hash in one green thread, a quick request in another started just
    after: the order in which they finish."""
    slow = PasswordHasher(time_cost=6, memory_cost=32 * 1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", slow)
    finished = []

    def login():
        hash_function(PASSWORD)
        finished.append("hash")

    def quick_request():
        for _ in range(3):  # a few cooperative waits, as an RPC reading the database
            eventlet.sleep(0)
        finished.append("quick")

    pool = eventlet.GreenPool()
    pool.spawn(login)
    eventlet.sleep(0)  # the hash has started
    pool.spawn(quick_request)
    pool.waitall()
    return finished


def test_a_slow_hash_does_not_hold_up_another_worker(monkeypatch):
    assert hash_while_another_worker_answers(monkeypatch, passwords.hash_password) == \
        ["quick", "hash"]


def test_the_check_tells_a_blocking_hash(monkeypatch):
    """The same scene with the hash run on the hub's thread: the quick request
    waits for it. What the test above would see if the thread pool were gone."""
    blocking = hash_while_another_worker_answers(
        monkeypatch, lambda password: passwords._hasher.hash(password))
    assert blocking == ["hash", "quick"]


@pytest.mark.parametrize("check", ["verify", "unknown account"])
def test_a_slow_verification_does_not_hold_up_another_worker(monkeypatch, check):
    stored = PasswordHasher(time_cost=6, memory_cost=32 * 1024, parallelism=1).hash(PASSWORD)
    passwords._unusable_hash.cache_clear()
    try:
        order = hash_while_another_worker_answers(
            monkeypatch, lambda password: passwords.verify_password(
                stored if check == "verify" else None, password))
    finally:
        passwords._unusable_hash.cache_clear()  # made with the slow hasher
    assert order == ["quick", "hash"]


def test_hashes_at_once_give_their_memory_back():
    """In a process of its own (as the accounts service): after four hashes at
    once in the thread pool, less than one hash's memory stays resident."""
    import subprocess
    import sys
    import textwrap

    child = textwrap.dedent("""
        import os
        import eventlet
        from services.accounts.authentication import passwords
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        passwords.hash_password("warm-up")
        before = rss()
        pool = eventlet.GreenPool()
        for _ in range(4):
            pool.spawn(passwords.hash_password, "Candidat-2027!")
        pool.waitall()
        print(rss() - before)
    """)
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          check=True)
    kept = int(done.stdout.split()[-1])
    assert kept < passwords.MEMORY_KIB * 1024
