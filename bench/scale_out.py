"""Scaling a service out, measured side by side in one run.

    python -m bench.scale_out [--service applications] [--candidates 5000 --applications 19000]
        [--users 8] [--phase-seconds 45] [--rounds 2] [--smoke]

Starts the platform as the load test does (deploy.local.run's Stack, two
gateway workers; databases and vhost LOADTEST_PREFIX, ecandidat_scaleout by
default, dropped first), loads bench.generate's campaign, then keeps a fixed
number of users (locust, bench/scale_out_locustfile.py, no think time) reading
the pages the service serves while the service runs as 1 instance, then 2
(Stack.add_instance: the same queues, the broker hands each request to one of
them), then 1, then 2...: the phases alternate so that the machine's drift (other
work on it) weighs on both alike. Each phase: pages per second (the gateway's
access log), the RPCs each instance handled (its log, one line per RPC), the
mean response time (locust), the CPU share of every process (psutil). Prints
the ratio of the throughput with 2 instances to that with 1, and what bounded it.
"""
import argparse
import csv
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from deploy.local.processes import ROOT
from services.common.config import SERVICES

from . import deadline_day
from . import generate as generator

LOCUSTFILE = Path(__file__).with_name("scale_out_locustfile.py")
ACCESS_LINE = re.compile(r'"(?:GET|POST|HEAD) \S+ HTTP/[\d.]+" (\d{3}) ')
say = deadline_day.say


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    generator.add_campaign_arguments(parser)
    parser.set_defaults(candidates=5000, applications=19000)  # moderate: minutes, not hours
    parser.add_argument("--service", default="applications", choices=SERVICES,
                        help="the service run as 1 then 2 instances (applications)")
    parser.add_argument("--users", type=int, default=8,
                        help="users reading its pages all along (8: the gateway's 2 workers "
                        "let 4 calls each wait on one service, RPC_CONCURRENCY)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a user waits between two pages (0)")
    parser.add_argument("--phase-seconds", type=float, default=45, help="measured seconds a phase")
    parser.add_argument("--settle-seconds", type=float, default=5,
                        help="seconds after a change of instances before measuring (5)")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of phases 1 then 2 (2)")
    parser.add_argument("--workdir", default=str(ROOT / "var" / "scale_out"),
                        help="locust's files and the platform's logs (emptied first)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny data, a few seconds a phase: it works end to end")
    args = parser.parse_args(argv)
    if args.smoke:
        args.candidates, args.applications, args.formations, args.centres = 20, 50, 6, 2
        args.users, args.phase_seconds, args.settle_seconds, args.rounds = 4, 4, 2, 1
    return args


# -- what a phase measures ------------------------------------------------------------

def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def read_between(path, start, end):
    if end <= start:
        return ""
    with open(path, "rb") as file:
        file.seek(start)
        return file.read(end - start).decode(errors="replace")


def instance_logs(stack, service):
    """{instance: its log}: the service's first instance and any added one."""
    names = [name for name, _ in stack.processes
             if name == service or re.fullmatch(rf"{service}-\d+", name)]
    return {name: stack.log_dir / f"{name}.log" for name in names}


def marks(stack, service, prefix, locust):
    """Where each log ends, the processes' CPU times, the clocks: one end of a phase."""
    logs = {**instance_logs(stack, service), "gateway": stack.log_dir / "gateway.log"}
    groups = {**deadline_day.watched_processes(stack, prefix), "locust": [locust]}
    return {"logs": {name: (path, log_size(path)) for name, path in logs.items()},
            "taken": deadline_day.snapshot(groups), "monotonic": time.monotonic(),
            "wall": time.time()}


def phase_figures(service, instances, start, end):
    """-> {instances, seconds, pages (answered 200), rps, errors (any other answer),
    rpcs: {instance: n}, usage}."""
    seconds = end["monotonic"] - start["monotonic"]
    path, _ = end["logs"]["gateway"]
    statuses = ACCESS_LINE.findall(read_between(path, start["logs"]["gateway"][1],
                                                end["logs"]["gateway"][1]))
    rpcs = {}
    for name, (path, size) in end["logs"].items():
        if name != "gateway" and name in start["logs"]:
            text = read_between(path, start["logs"][name][1], size)
            rpcs[name] = text.count(f'"message": "rpc {service}.')
    pages = sum(status == "200" for status in statuses)  # a redirect is no page read
    return {"instances": instances, "seconds": seconds, "pages": pages,
            "rps": pages / seconds, "errors": len(statuses) - pages,
            "rpcs": rpcs, "usage": deadline_day.usage(start["taken"], end["taken"], seconds),
            "wall": (start["wall"], end["wall"])}


def locust_history(path):
    """[(timestamp, requests, failures, mean ms)] of locust's aggregated row, each second."""
    rows = []
    try:
        with open(path, newline="") as file:
            for row in csv.DictReader(file):
                if row["Name"] == "Aggregated":
                    rows.append((int(row["Timestamp"]), int(row["Total Request Count"]),
                                 int(row["Total Failure Count"]),
                                 float(row["Total Average Response Time"] or 0)))
    except (OSError, ValueError, KeyError):
        pass
    return rows


def mean_ms(history, began, ended):
    """Mean response time of the requests locust finished between two instants."""
    def at(moment):
        earlier = [row for row in history if row[0] <= moment]
        return earlier[-1] if earlier else None
    first, last = at(began), at(ended)
    if not first or not last or last[1] <= first[1]:
        return float("nan")
    return (last[3] * last[1] - first[3] * first[1]) / (last[1] - first[1])


# -- the run ----------------------------------------------------------------------------

def start_locust(stack, args, prefix, seconds):
    env = {**os.environ, "BENCH_SERVICE": args.service,
           "BENCH_CANDIDATES": str(args.candidates), "BENCH_CENTRES": str(args.centres),
           "BENCH_PASSWORD": generator.PASSWORD, "BENCH_EMAIL_DOMAIN": generator.EMAIL_DOMAIN,
           "BENCH_THINK_SECONDS": str(args.think), "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
               "--host", stack.url, "-u", str(args.users), "-r", "2",
               "-t", f"{int(seconds)}s", "--csv", prefix, "--only-summary",
               "--loglevel", "ERROR", "--stop-timeout", "5"]
    log = open(f"{prefix}.log", "wb")  # noqa: SIM115  (closed with the process, in run)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log


def run(args):
    """Starts everything, measures the phases, stops everything: -> [phase figures]."""
    prefix = os.environ.get("LOADTEST_PREFIX", "ecandidat_scaleout")
    os.environ.setdefault("APP_ENV", "development")
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    say(f"scale out: {args.service}, 1 and 2 instances; {psutil.cpu_count()} CPUs; "
        f"databases {prefix}_*, vhost {prefix}")
    phases = []
    # INFO: every instance logs one line per RPC it handled, counted per phase
    with deadline_day.running_stack(prefix, workdir / "var", log_level="INFO") as stack:
        say(f"  platform on {stack.url}; loading {args.candidates} candidates, "
            f"{args.applications} applications...")
        deadline_day.load_data(stack, args.seed, args.candidates, args.applications,
                               args.formations, args.centres, log=lambda m: say("  " + m.strip()))
        ramp = 2.0 + args.users / 2  # 2 users a second, each logs in once (argon2 at accounts)
        longest = ramp + 2 * args.rounds * (args.settle_seconds + args.phase_seconds + 90)
        locust_prefix = str(workdir / "locust")
        process, log = start_locust(stack, args, locust_prefix, longest)
        extra = None
        try:
            locust = psutil.Process(process.pid)
            time.sleep(ramp + args.settle_seconds)
            for _ in range(args.rounds):
                for instances in (1, 2):
                    if instances == 2:
                        extra = stack.add_instance(args.service)
                    elif extra:
                        stack.kill(extra, signal.SIGTERM)  # graceful: its work in flight ends
                        extra = None
                    time.sleep(args.settle_seconds)
                    if process.poll() is not None:
                        raise RuntimeError(f"locust stopped: see {locust_prefix}.log")
                    start = marks(stack, args.service, prefix, locust)
                    time.sleep(args.phase_seconds)
                    end = marks(stack, args.service, prefix, locust)
                    phase = phase_figures(args.service, instances, start, end)
                    phases.append(phase)
                    say(f"  {instances} instance{'s' if instances > 1 else ' '}: "
                        f"{phase['rps']:6.1f} pages/s, {phase['errors']} errors; RPCs handled: "
                        + ", ".join(f"{name} {count}" for name, count in phase["rpcs"].items()))
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # locust writes its files and ends
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()
    history = locust_history(f"{locust_prefix}_stats_history.csv")
    for phase in phases:
        phase["mean_ms"] = mean_ms(history, *phase["wall"])
    return phases


def average(values):
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else float("nan")


def report(args, phases):
    """Prints the phases, the ratio and the CPU share of each process; -> the ratio."""
    service, cores = args.service, psutil.cpu_count()
    say(f"\nPhases ({args.users} users reading the pages {service} serves, no think time):")
    say(f"  {'phase':>5} {'instances':>9} {'pages/s':>8} {'mean ms':>8} {'pages':>7} "
        f"{'errors':>6}  RPCs handled by each instance")
    for number, phase in enumerate(phases, 1):
        say(f"  {number:5d} {phase['instances']:9d} {phase['rps']:8.1f} {phase['mean_ms']:8.0f} "
            f"{phase['pages']:7d} {phase['errors']:6d}  "
            + ", ".join(f"{name} {count}" for name, count in phase["rpcs"].items()))
    one = [p for p in phases if p["instances"] == 1]
    two = [p for p in phases if p["instances"] == 2]
    ratio = average([p["rps"] for p in two]) / average([p["rps"] for p in one])
    pairs = ", ".join(f"{b['rps'] / a['rps']:.2f}" for a, b in zip(one, two, strict=False))
    say(f"\nThroughput ratio, 2 instances / 1 instance: {ratio:.2f} (each round: {pairs})")

    cpu = {}  # {process: (mean % at 1 instance, at 2)}
    for index, group in enumerate((one, two)):
        for label in {label for p in group for label in p["usage"]}:
            cpu.setdefault(label, [float("nan"), float("nan")])[index] = average(
                [p["usage"].get(label, (float("nan"),))[0] for p in group])
    say(f"\nCPU, % of one core, mean of the phases ({cores} cores = {100 * cores} %; "
        "RabbitMQ: the machine's, shared; \"not this test\": the rest of the machine):")
    say(f"  {'process':16} {'1 instance':>10} {'2 instances':>11}")
    for label in sorted(cpu, key=lambda k: (k in ("whole machine", "not this test"), k)):
        at_one, at_two = (f"{v:.0f}" if not math.isnan(v) else "-" for v in cpu[label])
        say(f"  {label:16} {at_one:>10} {at_two:>11}")

    def share(label, index):
        value = cpu.get(label, [float("nan")] * 2)[index]
        return 0.0 if math.isnan(value) else value

    first = share(service, 0)
    both = sum(share(label, 1) for label in cpu
               if label == service or re.fullmatch(rf"{service}-\d+", label))
    busy = [share("whole machine", i) for i in (0, 1)]
    others = [share("not this test", i) for i in (0, 1)]
    # CPU ms per page at 1 instance: the bound one instance sets, and the bound the cores set
    rps_one = average([p["rps"] for p in one])
    own_ms = first * 10 / rps_one
    all_ms = sum(share(label, 0) for label in cpu
                 if label not in ("whole machine", "not this test")) * 10 / rps_one
    say(f"\nWhy: with 1 instance {service} used {first:.0f} % of one core, with 2 "
        f"{both:.0f} % in all; the machine was busy {busy[0]:.0f} % then {busy[1]:.0f} % of "
        f"its {100 * cores} %, {others[0]:.0f} % then {others[1]:.0f} % of it not this test.")
    say(f"  One {service} instance runs its green threads on one core at most: at "
        f"{own_ms:.1f} CPU ms a page it serves {1000 / own_ms:.0f} pages/s at most.")
    say(f"  A page costs {all_ms:.1f} CPU ms in all (gateway, services, PostgreSQL, RabbitMQ, "
        f"locust): {cores} cores serve {100 * cores * 10 / all_ms:.0f} pages/s at most, "
        f"less what else runs here.")
    tighter = "the cores" if 100 * cores * 10 / all_ms < 1000 / own_ms else "the instance"
    say(f"  The tighter bound here is {tighter}; a second instance lifts only the instance's "
        "bound, so the ratio nears 2 only where the cores are not the limit"
        + (": here it cannot." if tighter == "the cores" else "."))
    return ratio


def main(argv=None):
    args = parse(argv)
    signal.signal(signal.SIGTERM, deadline_day.interrupted)
    try:
        phases = run(args)
    except KeyboardInterrupt:
        say("\ninterrupted: everything the bench started is stopped")
        return 130
    report(args, phases)
    say(f"Logs: {args.workdir} (locust.log and CSV; the platform's: var/log/)")
    if args.smoke:  # both instances served, nothing failed
        two = [p for p in phases if p["instances"] == 2]
        return 0 if two and all(min(p["rpcs"].values()) > 0 for p in two) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
