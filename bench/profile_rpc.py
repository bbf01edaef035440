"""Where an RPC's time goes: cProfile of both ends of `catalog.ping`.

    .venv/bin/python -m bench.profile_rpc [--calls 2000] [--out bench/profiles/NAME.txt]

The caller is the gateway's own path (RpcPool.call through Remote: breaker,
bulkhead, signing, publish, waiting for the reply) in this process; the
catalog service runs under `python -m cProfile` on the bench's vhost and
database. Printed (and written to --out): the 30 functions with the most
time of their own, then the 30 with the most time in total, for each side.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # notice, via nameko

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from .stack import DATABASE_PREFIX, LOGS, bench_amqp_uri, stop_all, tail  # noqa: E402

TOP = 30


def top(stats_source, title, calls):
    out = io.StringIO()
    stats = pstats.Stats(stats_source, stream=out)
    stats.strip_dirs()
    out.write(f"== {title}: {calls} calls; top {TOP} by own time ==\n")
    stats.sort_stats("tottime").print_stats(TOP)
    out.write(f"== {title}: top {TOP} by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(TOP)
    # pstats' header names the temporary file and its own sort; keep the table only
    return "\n".join(line for line in out.getvalue().splitlines()
                     if not line.lstrip().startswith(("Ordered by", "List reduced")) and
                     ".prof" not in line) + "\n"


def client_calls(amqp_uri, calls, warmup=200):
    from gateway.rpc import Remote, RpcPool
    from services.common.actors import ANONYMOUS
    from services.common.logs import new_request_id

    pool = RpcPool({"AMQP_URI": amqp_uri, "serializer": "json"}, size=1, timeout=10,
                   context=lambda: {"request_id": new_request_id()})
    catalog = Remote(pool).catalog
    try:
        for _ in range(warmup):
            catalog.ping(ANONYMOUS)
        profile = cProfile.Profile()
        began = time.perf_counter()
        profile.enable()
        for _ in range(calls):
            catalog.ping(ANONYMOUS)
        profile.disable()
        elapsed = time.perf_counter() - began
    finally:
        pool.close()
    return profile, elapsed


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
        [sys.executable, "-m", "cProfile", "-o", str(service_stats), "-m",
         "services.common.serve", "catalog"], env=env,
        stdout=open(service_log, "wb"), stderr=subprocess.STDOUT)
    try:
        subprocess.run([sys.executable, "-m", "deploy.healthcheck", "--wait", "90", "catalog"],
                       env=env, check=True)
        profile, elapsed = client_calls(amqp_uri, args.calls)
    finally:
        stop_all([service])
    if not service_stats.exists():
        raise SystemExit(f"the service wrote no profile:\n{tail(service_log)}")
    caller_stats = LOGS / "profile-caller.prof"
    profile.dump_stats(str(caller_stats))  # both stay in var/log for pstats
    report = (f"catalog.ping over RPC, {args.calls} sequential calls: "
              f"{args.calls / elapsed:.0f} call/s under the profiler\n\n"
              + top(str(caller_stats), "caller (gateway RpcPool)", args.calls) + "\n"
              + top(str(service_stats), "service (catalog, whole process)", args.calls))
    print(report)
    if args.out:
        with open(args.out, "w") as out:
            out.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
