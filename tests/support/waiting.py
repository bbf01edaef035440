"""Waiting for something another process does (an event relayed, a queue
drained, a listener bound): one loop for the tests."""
import time


def eventually(check, timeout=20, step=0.05):
    """`check()`'s first true answer within `timeout` seconds, else its last one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return check()
