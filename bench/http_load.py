"""Closed-loop HTTP load on 127.0.0.1: N threads, keep-alive connections,
bounded by a duration and a request count."""
import http.client
import threading
import time

from .stats import summary


def load(port, path, threads=8, seconds=5.0, max_requests=200_000, warmup=0.5):
    latencies, errors = [], []
    lock = threading.Lock()
    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        try:
            while True:
                began = time.perf_counter()
                if began >= stop_at or len(mine) >= max_requests // threads:
                    break
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                took = time.perf_counter() - began
                if response.status != 200:
                    errors.append(response.status)
                elif began >= start_at:  # warm-up requests are not counted
                    mine.append(took)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = min(time.perf_counter(), stop_at) - start_at
    result = summary(latencies, elapsed)
    result["errors"] = len(errors)
    return result
