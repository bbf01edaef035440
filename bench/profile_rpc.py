"""Where an RPC's CPU goes: cProfile of both ends of `catalog.ping`.

    .venv/bin/python -m bench.profile_rpc [--calls 2000] [--out bench/profiles/NAME.txt]

The caller is the gateway's own path (RpcPool.call through Remote: breaker,
bulkhead, signing, publish, waiting for the reply) in this process; the
catalog service runs under bench.profiled_service on the bench's vhost and
database. Both count CPU time (time.process_time), not wall time: on a
shared machine wall time mostly measures who else had the CPU. Printed (and
written to --out): CPU per call on each side, then the 30 functions with the
most CPU time of their own and the 30 with the most in total, for each side.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # notice, via nameko

import argparse
import cProfile
import io
import os
import pstats
import signal
import subprocess
import sys
import time
from pathlib import Path

from .stack import DATABASE_PREFIX, LOGS, bench_amqp_uri, stop_all, tail

TOP = 30


def top(stats_source, title, calls):
    out = io.StringIO()
    stats = pstats.Stats(stats_source, stream=out)
    stats.strip_dirs()
    out.write(f"== {title}: {calls} calls, {stats.total_calls / calls:.0f} function calls"
              f" and {stats.total_tt / calls * 1000:.2f} ms CPU (profiled) per call;"
              f" top {TOP} by own time ==\n")
    stats.sort_stats("tottime").print_stats(TOP)
    out.write(f"== {title}: top {TOP} by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(TOP)
    # pstats' header names the temporary file and its own sort; keep the table only
    return "\n".join(line for line in out.getvalue().splitlines()
                     if not line.lstrip().startswith(("Ordered by", "List reduced")) and
                     ".prof" not in line) + "\n"


def cpu_seconds(pid):
    """User + system CPU a process used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_calls(amqp_uri, calls, service_pid, warmup=200):
    from gateway.rpc import Remote, RpcPool
    from services.common.actors import ANONYMOUS
    from services.common.logs import new_request_id

    pool = RpcPool({"AMQP_URI": amqp_uri, "serializer": "json"}, size=1, timeout=10,
                   context=lambda: {"request_id": new_request_id()})
    catalog = Remote(pool).catalog
    try:
        for _ in range(warmup):
            catalog.ping(ANONYMOUS)
        profile = cProfile.Profile(time.process_time)
        os.kill(service_pid, signal.SIGUSR1)  # the service's profile starts
        time.sleep(0.5)
        service_cpu = cpu_seconds(service_pid)
        began = time.perf_counter()
        profile.enable()
        for _ in range(calls):
            catalog.ping(ANONYMOUS)
        profile.disable()
        elapsed = time.perf_counter() - began
        service_cpu = cpu_seconds(service_pid) - service_cpu
        os.kill(service_pid, signal.SIGUSR2)
    finally:
        pool.close()
    return profile, elapsed, service_cpu


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.profile_rpc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", help="also write the report to this file")
    args = parser.parse_args(argv)
    os.environ["APP_ENV"] = "development"
    amqp_uri, _ = bench_amqp_uri()
    env = {**os.environ, "DATABASE_PREFIX": DATABASE_PREFIX, "AMQP_URI": amqp_uri,
           "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore::Warning"}
    for name in [n for n in env if n.endswith("_DATABASE_URL")]:
        del env[name]
    LOGS.mkdir(parents=True, exist_ok=True)
    service_stats = LOGS / "profile-catalog.prof"
    service_log = LOGS / "profile-catalog.log"
    service_stats.unlink(missing_ok=True)
    service = subprocess.Popen(
        [sys.executable, "-m", "bench.profiled_service", str(service_stats), "catalog"], env=env,
        stdout=open(service_log, "wb"), stderr=subprocess.STDOUT)
    try:
        subprocess.run([sys.executable, "-m", "deploy.healthcheck", "--wait", "90", "catalog"],
                       env=env, check=True)
        profile, elapsed, service_cpu = client_calls(amqp_uri, args.calls, service.pid)
    finally:
        stop_all([service])
    if not service_stats.exists():
        raise SystemExit(f"the service wrote no profile:\n{tail(service_log)}")
    caller_stats = LOGS / "profile-caller.prof"
    profile.dump_stats(str(caller_stats))  # both stay in var/log for pstats
    report = (f"catalog.ping over RPC, {args.calls} sequential calls (after 200 warm-up): "
              f"{args.calls / elapsed:.0f} call/s under the profilers; the service's whole"
              f" process used {service_cpu / args.calls * 1000:.2f} ms CPU per call (/proc)\n\n"
              + top(str(caller_stats), "caller (gateway RpcPool)", args.calls) + "\n"
              + top(str(service_stats), "service (catalog, whole process)", args.calls))
    print(report)
    if args.out:
        with open(args.out, "w") as out:
            out.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
