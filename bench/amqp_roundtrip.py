"""Request/reply round trips on the same broker: an RPC as the gateway makes it
(gateway.rpc.RpcPool: breaker, bulkhead, signed actor, request id), the same
call through nameko's own standalone proxy (its default transport), and raw
with pika (a responder thread replying to reply_to with the correlation id).

The three take turns, a few calls each, so that the machine's other load
weighs on all of them alike: their ratio holds on a busy machine."""
import threading
import time
import uuid

import pika
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.actors import ANONYMOUS
from services.common.logs import new_request_id
from services.common.rpc import ActingProxy

from .stats import summary


class GatewayRpc:
    """catalog.ping through the gateway's pool of RPC clients (one client)."""

    name = "RPC (gateway RpcPool)"

    def __init__(self, config):
        from gateway.rpc import Remote, RpcPool
        self.pool = RpcPool(config, size=1, timeout=10,
                            context=lambda: {"request_id": new_request_id()})
        self.catalog = Remote(self.pool).catalog

    def __call__(self):
        self.catalog.ping(ANONYMOUS)

    def close(self):
        self.pool.close()


class NamekoDefaultRpc:
    """catalog.ping through nameko's ClusterRpcProxy as it comes (confirmed,
    persistent requests), signed as the gateway signs."""

    name = "RPC (nameko's own proxy)"

    def __init__(self, config):
        self.holder = ClusterRpcProxy(config, timeout=10)
        self.catalog = ActingProxy(self.holder.start().catalog, "catalog")

    def __call__(self):
        self.catalog.ping(ANONYMOUS)

    def close(self):
        self.holder.stop()


class PikaResponder(threading.Thread):
    """Answers every request on `queue` with the same JSON body nameko's ping returns."""

    def __init__(self, url, queue):
        super().__init__(daemon=True)
        self.url, self.queue = url, queue
        self.ready = threading.Event()
        self.connection = None

    def run(self):
        self.connection = pika.BlockingConnection(pika.URLParameters(self.url))
        channel = self.connection.channel()
        channel.queue_declare(self.queue, auto_delete=True)

        def answer(ch, method, properties, body):
            ch.basic_publish("", properties.reply_to, b'{"result": {"service": "catalog", "status": "ok"}}',
                             pika.BasicProperties(correlation_id=properties.correlation_id,
                                                  content_type="application/json"))
            ch.basic_ack(method.delivery_tag)

        channel.basic_consume(self.queue, answer)
        self.ready.set()
        try:
            channel.start_consuming()
        except Exception:  # connection closed by stop()
            pass

    def stop(self):
        if self.connection is not None:
            self.connection.add_callback_threadsafe(self.connection.close)


class RawPika:
    """A request on the default exchange, its reply on an exclusive queue."""

    name = "raw pika request/reply"

    def __init__(self, url):
        self.queue = f"bench-echo-{uuid.uuid4().hex[:8]}"
        self.responder = PikaResponder(url, self.queue)
        self.responder.start()
        self.responder.ready.wait(10)
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.reply_queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.replies = {}

        def on_reply(ch, method, properties, body):
            self.replies[properties.correlation_id] = body

        self.channel.basic_consume(self.reply_queue, on_reply, auto_ack=True)

    def __call__(self):
        correlation_id = uuid.uuid4().hex
        self.channel.basic_publish("", self.queue, b'{"args": [], "kwargs": {}}',
                                   pika.BasicProperties(reply_to=self.reply_queue,
                                                        correlation_id=correlation_id,
                                                        content_type="application/json"))
        while correlation_id not in self.replies:
            self.connection.process_data_events(time_limit=1)
        del self.replies[correlation_id]

    def close(self):
        self.connection.close()
        self.responder.stop()
        self.responder.join(5)


def roundtrips(config, calls, warmup=100, rounds=10):
    """{name: summary} of `calls` sequential calls per caller, in `rounds` turns."""
    callers = []
    try:
        for make in (lambda: GatewayRpc(config), lambda: NamekoDefaultRpc(config),
                     lambda: RawPika(config["AMQP_URI"])):
            callers.append(make())
        for caller in callers:
            for _ in range(warmup):
                caller()
        latencies = {caller.name: [] for caller in callers}
        elapsed = dict.fromkeys(latencies, 0.0)
        per_round = max(1, calls // rounds)
        for _ in range(rounds):
            for caller in callers:
                mine = latencies[caller.name]
                began_all = time.perf_counter()
                for _ in range(per_round):
                    began = time.perf_counter()
                    caller()
                    mine.append(time.perf_counter() - began)
                elapsed[caller.name] += time.perf_counter() - began_all
    finally:
        for caller in callers:
            caller.close()
    return {name: summary(values, elapsed[name]) for name, values in latencies.items()}
