"""Request/reply round trips on the same broker: through nameko RPC, and raw
with pika (a responder thread replying to reply_to with the correlation id)."""
import threading
import time
import uuid

import pika
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.actors import ANONYMOUS
from services.common.rpc import ActingProxy

from .stats import summary


def nameko_roundtrips(config, calls, warmup=100):
    latencies = []
    with ClusterRpcProxy(config, timeout=10) as rpc:
        catalog = ActingProxy(rpc.catalog, "catalog")  # signed per call, as the gateway does
        for _ in range(warmup):
            catalog.ping(ANONYMOUS)
        began_all = time.perf_counter()
        for _ in range(calls):
            began = time.perf_counter()
            catalog.ping(ANONYMOUS)
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - began_all
    return summary(latencies, elapsed)


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


def pika_roundtrips(url, calls, warmup=100):
    queue = f"bench-echo-{uuid.uuid4().hex[:8]}"
    responder = PikaResponder(url, queue)
    responder.start()
    responder.ready.wait(10)
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    reply_queue = channel.queue_declare("", exclusive=True).method.queue
    replies = {}

    def on_reply(ch, method, properties, body):
        replies[properties.correlation_id] = body

    channel.basic_consume(reply_queue, on_reply, auto_ack=True)

    def call():
        correlation_id = uuid.uuid4().hex
        channel.basic_publish("", queue, b'{"args": [], "kwargs": {}}',
                              pika.BasicProperties(reply_to=reply_queue, correlation_id=correlation_id,
                                                   content_type="application/json"))
        while correlation_id not in replies:
            connection.process_data_events(time_limit=1)
        del replies[correlation_id]

    try:
        for _ in range(warmup):
            call()
        latencies = []
        began_all = time.perf_counter()
        for _ in range(calls):
            began = time.perf_counter()
            call()
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - began_all
    finally:
        connection.close()
        responder.stop()
        responder.join(5)
    return summary(latencies, elapsed)
