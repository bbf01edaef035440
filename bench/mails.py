"""Mails: how many the notifications service renders and hands to SMTP per
second with one instance and with two (no mail sent twice), and how long a
mail takes from its event to the SMTP sink under a burst (a deadline day's
transmissions: 5,000 status_changed events at once; --quick: 500).

    .venv/bin/python -m bench.mails [--quick]

Each instance is a process of its own running the service's own handler and
delivery loop code (worker_factory, DELIVERY_CONCURRENCY loops, real
PostgreSQL database `<BENCH_PREFIX>_notifications`, a real SMTP sink);
RabbitMQ is left out: the handlers are called as the broker would, so the
latency is the service's (handler, outbox-free mail log, delivery loop,
SMTP), not the broker's."""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

from .stack import DATABASE_PREFIX  # noqa: E402

SERVICE = "notifications"


def event(index, run):
    """A status_changed to RE (the candidate's STATUS_RE mail), one address each."""
    return {
        "event_id": str(uuid.uuid4()), "event_type": "status_changed",
        "application_id": index + 1, "candidate_id": index + 1,
        "from_status": "AT", "to_status": "RE",
        "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
        "centre": {"code": "SCI", "label": "UFR Sciences", "email": "scol-sci@univ-demo.fr"},
        "commission": {"code": "SCI-INFO", "label": "Commission Informatique",
                       "email": "info@univ-demo.fr"},
        "candidate": {"dossier_number": f"B{index:07d}", "email": f"bench.{run}.{index}@example.org",
                      "civility": "MME", "first_name": "Léa", "last_name": "Martin",
                      "lang": "fr" if index % 3 else "en"},
    }


# -- one instance (its own process) ---------------------------------------------------------

def instance(mode, first, count, run, concurrency):
    """Runs in its own process: waits for "go" on stdin, then handles its events
    (burst) and delivers until nothing is due; prints a JSON summary."""
    import eventlet
    eventlet.monkey_patch()
    from datetime import datetime, timezone

    from nameko.testing.services import worker_factory
    from sqlalchemy.orm import Session

    from services.common.db import UnitOfWork, make_engine
    from services.notifications.dependencies import Mailer
    from services.notifications.domain import smtp_settings
    from services.notifications.models import Base
    from services.notifications.service import NotificationsService

    engine = make_engine(SERVICE)

    def handle(method, *args):
        unit = UnitOfWork(Session(engine, expire_on_commit=False), Base.metadata)
        worker = worker_factory(NotificationsService, db=unit,
                                clock=lambda: datetime.now(timezone.utc),
                                mailer=Mailer(smtp_settings()))
        try:
            return getattr(worker, method)(*args)
        finally:
            unit.close()

    handling = {"left": count if mode == "burst" else 0}
    sent = [0]

    def loop():
        idle = 0
        while True:
            tried = handle("deliver_mails")
            sent[0] += tried
            if tried:
                idle = 0
                continue
            if handling["left"] == 0:
                idle += 1
                if idle >= 3:  # nothing due three times in a row, nothing left to handle
                    return
            eventlet.sleep(0.05)

    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    loops = [eventlet.spawn(loop) for _ in range(concurrency)]
    if mode == "burst":
        for index in range(first, first + count):
            handle("on_status_changed", event(index, run))
            handling["left"] -= 1
            eventlet.sleep(0)  # the delivery loops run meanwhile, as in the service
    for each in loops:
        each.wait()
    print(json.dumps({"attempts": sent[0], "seconds": time.time() - started}), flush=True)


# -- the measures -----------------------------------------------------------------------------

def _env(prefix):
    return {**os.environ, "DATABASE_PREFIX": prefix, "PYTHONPATH": str(Path.cwd())}


def run_instances(mode, slices, run, concurrency, env):
    processes = [subprocess.Popen(
        [sys.executable, "-m", "bench.mails", "--instance", mode, str(first), str(count), run,
         str(concurrency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for first, count in slices]
    try:
        for process in processes:
            line = process.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"an instance did not start: {line!r}")
        started = time.time()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = [json.loads(process.stdout.readline()) for process in processes]
        elapsed = time.time() - started
        for process in processes:
            process.wait(timeout=60)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    return started, elapsed, results


def fresh_database(env):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from services.common.config import database_url
    from services.common.migrations import upgrade
    url = make_url(database_url(SERVICE))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()
    upgrade(SERVICE)
    return create_engine(url)


def store(engine, count, run):
    """The mails of `count` events, stored (queued) before the delivery is timed."""
    from datetime import datetime, timezone

    from nameko.testing.services import worker_factory
    from sqlalchemy.orm import Session

    from services.common.db import UnitOfWork
    from services.notifications.models import Base
    from services.notifications.service import NotificationsService
    for index in range(count):
        unit = UnitOfWork(Session(engine, expire_on_commit=False), Base.metadata)
        worker = worker_factory(NotificationsService, db=unit,
                                clock=lambda: datetime.now(timezone.utc))
        try:
            worker.on_status_changed(event(index, run))
        finally:
            unit.close()


def sink_arrivals(folder, run):
    """{recipient: [arrival times (s)]} of this run's mails in the sink."""
    import email
    import email.policy
    arrivals = {}
    for path in Path(folder).glob("*.eml"):
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        message = email.message_from_bytes(head, policy=email.policy.default)
        to = str(message["To"])
        if f"bench.{run}." in to:
            arrivals.setdefault(to, []).append(int(path.name.split("-", 1)[0]) / 1e9)
    return arrivals


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))] if values else 0.0


def measure(quick=False):
    from deploy.local.processes import free_port, start_smtp_sink, stop
    from services.notifications.service import DELIVERY_CONCURRENCY

    prefix = f"{DATABASE_PREFIX}_mails"
    os.environ["DATABASE_PREFIX"] = prefix
    env = _env(prefix)
    throughput_mails = 300 if quick else 2000
    burst = 500 if quick else 5000
    folder = tempfile.mkdtemp(prefix="bench-mails-")
    port = free_port()
    sink = start_smtp_sink(port, folder)
    env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    results = {}
    try:
        engine = fresh_database(env)
        for instances in (1, 2):
            run = uuid.uuid4().hex[:6]
            store(engine, throughput_mails, run)
            _, elapsed, _ = run_instances("deliver", [(0, 0)] * instances, run,
                                          DELIVERY_CONCURRENCY, env)
            arrivals = sink_arrivals(folder, run)
            results[f"throughput_{instances}"] = {
                "mails": throughput_mails, "seconds": elapsed,
                "per_second": throughput_mails / elapsed if elapsed else 0.0,
                "delivered": len(arrivals),
                "duplicates": sum(len(v) - 1 for v in arrivals.values())}
        run = uuid.uuid4().hex[:6]
        half = burst // 2
        started, elapsed, _ = run_instances("burst", [(0, half), (half, burst - half)], run,
                                            DELIVERY_CONCURRENCY, env)
        arrivals = sink_arrivals(folder, run)
        latencies = [min(times) - started for times in arrivals.values()]
        results["burst"] = {
            "events": burst, "delivered": len(arrivals), "seconds": elapsed,
            "duplicates": sum(len(v) - 1 for v in arrivals.values()),
            "p50_s": percentile(latencies, 0.5), "p99_s": percentile(latencies, 0.99)}
        engine.dispose()
    finally:
        stop(sink)
    return results


def report(results):
    one, two, burst = results["throughput_1"], results["throughput_2"], results["burst"]
    lines = ["(d) Mails: rendered, stored and handed to SMTP (a local sink), notifications"
             " instances as processes"]
    for name, row in (("one instance", one), ("two instances", two)):
        lines.append(f"  {name:14} {row['per_second']:8.1f} mails/s  ({row['mails']} mails in "
                     f"{row['seconds']:.1f} s; delivered {row['delivered']}, "
                     f"duplicates {row['duplicates']})")
    lines.append(f"  two / one instance: {two['per_second'] / one['per_second']:.2f}"
                 if one["per_second"] else "  two / one instance: n/a")
    lines.append(f"  burst of {burst['events']} events on two instances: all delivered in "
                 f"{burst['seconds']:.1f} s; event -> sink p50 {burst['p50_s']:.2f} s, "
                 f"p99 {burst['p99_s']:.2f} s; delivered {burst['delivered']}, "
                 f"duplicates {burst['duplicates']}")
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--instance":
        mode, first, count, run, concurrency = argv[1:6]
        instance(mode, int(first), int(count), run, int(concurrency))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.mails", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("APP_ENV", "development")
    results = measure(args.quick)
    print(report(results))
    bad = results["throughput_1"]["duplicates"] + results["throughput_2"]["duplicates"] \
        + results["burst"]["duplicates"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
