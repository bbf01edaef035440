"""A gateway worker exiting closes its RPC clients at once, even when the
broker or a service no longer answers."""
import time

from gateway.rpc import RpcPool


def test_close_stops_idle_clients_without_waiting_for_one_that_hangs(rabbit_config):
    pool = RpcPool(rabbit_config, size=3, timeout=30)
    clients = [pool._acquire() for _ in range(3)]
    stopped = []
    for client in clients:
        original = client.stop
        client.stop = lambda original=original: (original(), stopped.append(1))
    hanging = clients[0]
    hanging.stop = lambda: time.sleep(60)  # its broker went silent
    for client in clients:
        pool._idle.put(client)
    began = time.monotonic()
    pool.close(timeout=2)
    assert time.monotonic() - began < 5
    assert len(stopped) == 2  # the others left the broker
    assert pool._idle.empty()


def test_close_does_not_wait_for_a_client_lent_to_a_request(rabbit_config):
    pool = RpcPool(rabbit_config, size=2, timeout=30)
    lent = pool._acquire()  # a request waiting for a service that is gone
    pool._idle.put(pool._acquire())
    began = time.monotonic()
    pool.close()
    assert time.monotonic() - began < 3
    lent.stop()
