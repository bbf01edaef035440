"""Closed-loop HTTP load on 127.0.0.1 only: N threads, one keep-alive connection
each, bounded by a duration (at most 10 s per page) and a request count."""
import http.client
import threading
import time

from .stats import summary

MAX_SECONDS = 10.0


def load(port, path, threads=8, seconds=5.0, max_requests=200_000, warmup=0.5):
    """GET http://127.0.0.1:<port><path> in a loop from `threads` clients.
    Requests during the first `warmup` seconds are not counted; failures
    (status other than 200, connection errors) are counted, not raised."""
    seconds = min(seconds, MAX_SECONDS)
    latencies, errors, warmed = [], [], []
    lock = threading.Lock()
    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds
    per_thread = max(1, max_requests // threads)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, failed, early = [], [], []
        try:
            while len(mine) < per_thread:
                began = time.perf_counter()
                if began >= stop_at:
                    break
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException) as error:
                    failed.append(repr(error))
                    conn.close()  # reconnects on the next request
                    if len(failed) > 50:
                        break
                    time.sleep(0.05)
                    continue
                took = time.perf_counter() - began
                if response.status != 200:
                    failed.append(response.status)
                elif began >= start_at:
                    mine.append(took)
                else:
                    early.append(took)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                errors.extend(failed)
                warmed.extend(early)

    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(warmup + seconds + 15)
    elapsed = max(1e-9, min(time.perf_counter(), stop_at) - start_at)
    result = summary(latencies, elapsed)
    result["latencies"], result["elapsed"] = latencies, elapsed
    result["warmup_requests"] = len(warmed)
    result["errors"] = len(errors)
    result["first_error"] = errors[0] if errors else None
    result["threads"] = threads
    return result


def load_in_turns(port, paths, threads=8, seconds=5.0, rounds=4, cpu=None):
    """{path: load()} with the paths taking turns, `rounds` times `seconds / rounds`
    each: the machine's other load weighs on every path alike. `cpu`: a
    callable returning {process: CPU seconds so far}; each result then has
    `cpu_ms` {process: CPU milliseconds per request}."""
    results = {path: [] for path in paths}
    used = {path: {} for path in paths}
    for _ in range(rounds):
        for path in paths:
            before = cpu() if cpu else {}
            results[path].append(load(port, path, threads=threads, seconds=seconds / rounds,
                                      warmup=0.2))
            after = cpu() if cpu else {}
            for name in after:
                used[path][name] = used[path].get(name, 0.0) + after[name] - before[name]
    merged = {}
    for path, parts in results.items():
        latencies = [value for part in parts for value in part["latencies"]]
        errors = [part["first_error"] for part in parts if part["first_error"] is not None]
        merged[path] = {**summary(latencies, sum(part["elapsed"] for part in parts)),
                        "errors": sum(part["errors"] for part in parts),
                        "first_error": errors[0] if errors else None, "threads": threads}
        requests = sum(len(part["latencies"]) + part.get("warmup_requests", 0) for part in parts)
        merged[path]["cpu_ms"] = {name: seconds_used * 1000 / max(1, requests)
                                  for name, seconds_used in used[path].items()}
    return merged
