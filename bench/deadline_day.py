"""make loadtest: the deadline day, measured on this machine.

    .venv/bin/python -m bench.deadline_day [--candidates 20000 --applications 75000]
        [--users 2,5,10,20,40,80] [--step-seconds 60] [--soak-minutes N] [--smoke]

Starts its own platform (deploy.local.run's Stack: the five services, the
gateway, S3 emulator, SMTP sink) on its own databases (LOADTEST_PREFIX,
ecandidat_deadline by default, dropped first), RabbitMQ vhost and free ports;
loads a campaign with bench.generate; then plays bench/locustfile.py's mix with
locust (headless, on 127.0.0.1) at more and more users, one step each, while
more users bring more throughput (5 % or more) with under 1 % errors. Prints a table per step (users,
req/s, p50/p95/p99, errors), the logins per second, the saturation point (the
highest throughput with p99 < 500 ms and no error), the CPU share and
resident memory of each process at saturation, at start and at the end, the
CPU ms each process spent per request at each step (what sizes a deployment,
docs/operations.md), and the resident memory of each service instance and
gateway worker idle, at the last step and, with --soak-minutes, at the start
and end of one step held that long at the saturation point (growth over 20 %
flagged).
Stops everything it started, whatever happens.
"""
import argparse
import csv
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

from deploy.local.processes import ROOT, ensure_vhost, free_port

from . import generate as generator
from . import platform_profile

P99_LIMIT_MS = 500
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def say(message=""):
    print(message, flush=True)


def drop_databases(prefix):
    from sqlalchemy import create_engine, text

    base = os.environ.get("DATABASE_BASE_URL") or "postgresql+psycopg://root@127.0.0.1:5432"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in generator.SERVICES:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{prefix}_{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def running_stack(prefix, var_dir, gateway_workers=2, log_level="WARNING"):
    """The whole platform on databases `prefix`_*, vhost `prefix`, free ports
    (log_level INFO: one line per RPC a service handled, bench.scale_out counts them)."""
    from deploy.local.run import Stack

    drop_databases(prefix)
    amqp = "amqp://guest:guest@127.0.0.1:5672/" + (prefix if ensure_vhost(prefix) else "")
    env = {"DATABASE_PREFIX": prefix, "AMQP_URI": amqp, "GATEWAY_WORKERS": str(gateway_workers),
           "MINIO_ENDPOINT": "", "CAS_URL": "", "SMTP_HOST": "", "SMTP_PORT": "",
           "PUBLIC_URL": "", "LOG_LEVEL": log_level}
    stack = Stack(port=free_port(), s3_port=free_port(), smtp_port=free_port(),
                  cas_port=free_port(), var_dir=var_dir, env=env, quiet=True)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def load_data(stack, seed, candidates, applications, formations, centres, log=say):
    """bench.generate into the stack's databases and S3 emulator."""
    env = stack.environment()
    for key in ("DATABASE_PREFIX", "MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
                "MINIO_SECURE", "MINIO_BUCKET"):
        if env.get(key):
            os.environ[key] = env[key]
    return generator.generate(seed, candidates, applications, formations, centres, log=log)


# -- processes ----------------------------------------------------------------------

def watched_processes(stack, prefix):
    """{label: [psutil.Process]}: the stack's processes (the gateway with its
    workers), PostgreSQL's backends serving the platform's databases, and the
    machine's RabbitMQ (one process for every vhost: shared with anything else
    running here)."""
    groups = {}
    for name, popen in stack.processes:
        try:
            process = psutil.Process(popen.pid)
            groups[name] = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    for process in psutil.process_iter(["name", "cmdline"]):
        name, command = process.info["name"], " ".join(process.info["cmdline"] or ())
        if name == "beam.smp":
            groups.setdefault("rabbitmq", []).append(process)
        elif name == "postgres" and f" {prefix}_" in command:
            groups.setdefault("postgresql", []).append(process)
    return groups


def snapshot(groups):
    """{label: {pid: (cpu seconds, resident bytes)}}; "whole machine": every
    core's busy time and the memory in use."""
    times = psutil.cpu_times()
    busy = sum(times) - times.idle - getattr(times, "iowait", 0)
    taken = {"whole machine": {0: (busy, psutil.virtual_memory().used)}}
    for label, processes in groups.items():
        taken[label] = {}
        for process in processes:
            try:
                cpu, memory = process.cpu_times(), process.memory_info()
                # a backend's resident memory counts the shared buffers it touched:
                # its own part only, or they would be counted once per backend
                own = memory.rss - memory.shared if label == "postgresql" else memory.rss
                taken[label][process.pid] = (cpu.user + cpu.system, own)
            except psutil.Error:  # ended meanwhile
                pass
    return taken


def resident(taken):
    """{label: (nan, resident MB)}"""
    return {label: (float("nan"), sum(rss for _, rss in pids.values()) / 2**20)
            for label, pids in taken.items()}


def memory_by_process(stack, taken):
    """{process: resident MB} from a snapshot: each service instance, the
    gateway's master and each of its workers apart (in pid order), the other
    groups (PostgreSQL's backends, own memory; RabbitMQ) summed."""
    try:
        master = stack.process("gateway").pid
    except StopIteration:
        master = None
    memory = {}
    for label, pids in taken.items():
        if label in ("whole machine", "locust"):
            continue
        if label == "gateway":
            workers = sorted(pid for pid in pids if pid != master)
            for pid, (_, rss) in pids.items():
                name = ("gateway master" if pid == master
                        else f"gateway worker {workers.index(pid) + 1}")
                memory[name] = rss / 2**20
        else:
            memory[label] = sum(rss for _, rss in pids.values()) / 2**20
    return memory


def usage(before, after, seconds):
    """{label: (CPU % of one core over the interval, resident MB at its end)},
    and what the rest of the machine used meanwhile (other work on this machine
    slows the platform down as much as its own load). A process counts from
    its first snapshot; one that ended in between counts for nothing."""
    used = {}
    for label, pids in after.items():
        earlier = before.get(label, {})
        cpu = sum(c - earlier.get(pid, (c if label == "whole machine" else 0, 0))[0]
                  for pid, (c, _) in pids.items())
        used[label] = (100 * cpu / seconds, sum(rss for _, rss in pids.values()) / 2**20)
    ours = sum(cpu for label, (cpu, _) in used.items() if label != "whole machine")
    used["not this test"] = (used["whole machine"][0] - ours, float("nan"))
    return used


# -- one step -------------------------------------------------------------------------

def read_stats(prefix):
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as file:
        for row in csv.DictReader(file):
            rows[row["Name"]] = row
    return rows


def as_number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def run_step(stack, users, seconds, workdir, data, think=1.0, name=None, profile=False):
    """locust at `users` for `seconds` after their ramp-up (stats reset then);
    -> {users, rps, p50, p95, p99, requests, errors, logins_per_s, by_name, usage,
    snapshots: (after the ramp-up, at the end), profile: its text file or None}.
    Its files: workdir/`name` (step-N); `profile`: py-spy samples the platform's
    Python processes meanwhile (bench/platform_profile.py)."""
    prefix = str(Path(workdir) / (name or f"step-{users}"))
    ramp = max(2.0, users / 20)  # 20 new users a second
    env = {**os.environ, "BENCH_CANDIDATES": str(data["candidates"]),
           "BENCH_CENTRES": str(data["centres"]), "BENCH_PASSWORD": generator.PASSWORD,
           "BENCH_EMAIL_DOMAIN": generator.EMAIL_DOMAIN, "BENCH_THINK_SECONDS": str(think),
           "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
               "--host", stack.url, "-u", str(users), "-r", f"{users / ramp:.2f}",
               "-t", f"{int(ramp + seconds)}s", "--reset-stats", "--csv", prefix,
               "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "10"]
    log = open(f"{prefix}.log", "wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        locust = [psutil.Process(process.pid)]

        def now_running():  # found again each time: connections come and go
            return {**watched_processes(stack, data.get("prefix", "")), "locust": locust}

        time.sleep(ramp)
        profilers = platform_profile.start(now_running(), seconds - 2, f"{prefix}-pyspy") \
            if profile else []
        before, began = snapshot(now_running()), time.monotonic()
        time.sleep(max(0.5, seconds - 1))
        after, measured = snapshot(now_running()), time.monotonic() - began
        process.wait(seconds + ramp + 60)
        profiled = None
        if profilers:
            stacks, unread = platform_profile.finish(profilers, timeout=30)
            profiled = f"{prefix}-profile.txt"
            Path(profiled).write_text(platform_profile.report(
                stacks, f"py-spy, {users} users, {seconds:.0f} s" +
                "".join(f"\nnot read: {why}" for why in unread)))
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(15)
        log.close()
    stats = read_stats(prefix)
    failures = []
    if os.path.exists(f"{prefix}_failures.csv"):
        with open(f"{prefix}_failures.csv", newline="") as file:
            failures = [(r["Name"], r["Error"], r["Occurrences"]) for r in csv.DictReader(file)]
    total = stats.get("Aggregated") or {}
    login = stats.get("login") or {}
    return {"users": users, "rps": as_number(total.get("Requests/s")),
            "p50": as_number(total.get("50%")), "p95": as_number(total.get("95%")),
            "p99": as_number(total.get("99%")), "requests": int(as_number(total.get("Request Count", 0)) or 0),
            "errors": int(as_number(total.get("Failure Count", 0)) or 0),
            "logins_per_s": as_number(login.get("Requests/s", 0)),
            "login_p99": as_number(login.get("99%")),
            "by_name": {name: row for name, row in stats.items() if name != "Aggregated"},
            "usage": usage(before, after, measured), "log": f"{prefix}.log",
            "snapshots": (before, after), "measured": measured,
            "failures": failures, "load": os.getloadavg()[0], "profile": profiled}


def shed(failure):
    """(name, error, occurrences) of a request the gateway refused with 503:
    load shed by its bulkhead, not a scenario that went wrong."""
    return "503" in failure[1]


def healthy(step):
    return step["errors"] == 0 and step["requests"] > 0 and step["p99"] < P99_LIMIT_MS


def worth_another_step(step, previous):
    """More users still bring more throughput, without many errors (a step
    over the p99 limit is kept going from: it shows where the platform gives up)."""
    if step["requests"] == 0 or step["errors"] > 0.01 * step["requests"]:
        return False
    return previous is None or step["rps"] > 1.05 * previous["rps"]


# -- printing -------------------------------------------------------------------------

def step_table(steps):
    lines = [f"  {'users':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
             f"{'requests':>8} {'errors':>6} {'logins/s':>8} {'login p99':>9}"]
    for s in steps:
        lines.append(f"  {s['users']:5d} {s['rps']:7.1f} {s['p50']:7.0f} {s['p95']:7.0f} "
                     f"{s['p99']:7.0f} {s['requests']:8d} {s['errors']:6d} "
                     f"{s['logins_per_s']:8.2f} {s['login_p99']:9.0f}"
                     f"{'' if healthy(s) else '  <- over the limit'}")
    return "\n".join(lines)


def requests_table(step):
    lines = [f"  {'request':34} {'count':>6} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}"]
    for name, row in sorted(step["by_name"].items()):
        lines.append(f"  {name[:34]:34} {row['Request Count']:>6} {row['Failure Count']:>5} "
                     f"{as_number(row['Requests/s']):6.1f} {row['50%']:>6} {row['95%']:>6} "
                     f"{row['99%']:>6}")
    return "\n".join(lines)


def usage_table(columns):
    """columns: [(title, {label: (cpu %, MB)})]"""
    labels = sorted({label for _, values in columns for label in values})
    head = "  " + f"{'process':14}" + "".join(f" {title:>20}" for title, _ in columns)
    lines = [head, "  " + " " * 14 + "".join(f" {'CPU %':>9} {'RSS MB':>10}" for _ in columns)]
    for label in labels:
        cells = []
        for _, values in columns:
            cpu, mb = values.get(label, (float("nan"), float("nan")))
            cells.append(f" {'-' if cpu != cpu else f'{cpu:.0f}':>9} "
                         f"{'-' if mb != mb else f'{mb:.0f}':>10}")  # nan: not measured
        lines.append(f"  {label:14}" + "".join(cells))
    return "\n".join(lines)


def cpu_per_request_table(steps):
    """CPU ms each process spent per request served (its CPU time during the
    step / the step's requests): what sizes a deployment (docs/operations.md)."""
    skip = ("whole machine", "not this test", "locust")
    labels = sorted({label for s in steps for label in s["usage"] if label not in skip})
    lines = [f"  {'process':14}" + "".join(f" {str(s['users']) + ' users':>10}" for s in steps)]
    totals = [0.0] * len(steps)
    for label in labels:
        cells = []
        for index, step in enumerate(steps):
            cpu = step["usage"].get(label, (float("nan"), 0))[0]
            per_request = cpu * 10 / step["rps"] if step["rps"] > 0 else float("nan")
            if not math.isnan(per_request):
                totals[index] += per_request
            cells.append(f" {'-' if math.isnan(per_request) else f'{per_request:.1f}':>10}")
        lines.append(f"  {label:14}" + "".join(cells))
    lines.append(f"  {'all of them':14}" + "".join(f" {total:10.1f}" for total in totals))
    return "\n".join(lines)


GROWTH_LIMIT = 0.20  # resident memory growing more over the soak step: flagged


def memory_table(columns, soak=None):
    """columns: [(title, {process: MB})]; soak: ({process: MB} at its start, at
    its end): their growth, flagged over GROWTH_LIMIT. -> (table, [flagged])."""
    names = sorted({name for _, values in columns for name in values})
    lines = ["  " + f"{'process':18}" + "".join(f" {title[:20]:>20}" for title, _ in columns)
             + (f" {'soak growth':>12}" if soak else "")]
    flagged = []
    for name in names:
        cells = "".join(f" {values[name]:20.0f}" if name in values else f" {'-':>20}"
                        for _, values in columns)
        if soak and soak[0].get(name) and name in soak[1]:
            growth = soak[1][name] / soak[0][name] - 1
            cells += f" {100 * growth:+11.0f}%"
            if growth > GROWTH_LIMIT:
                flagged.append(name)
                cells += f"  <- grew more than {100 * GROWTH_LIMIT:.0f} %"
        lines.append(f"  {name:18}" + cells)
    return "\n".join(lines), flagged


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.deadline_day", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    generator.add_campaign_arguments(parser)
    parser.add_argument("--users", default="2,5,10,20,40,80",
                        help="users of each step, comma-separated (2,5,10,20,40,80)")
    parser.add_argument("--step-seconds", type=float, default=60, help="measured seconds a step")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a user waits between two requests (1.0)")
    parser.add_argument("--soak-minutes", type=float, default=0,
                        help="after the steps, hold the saturation point's users this long and "
                        "report the resident memory at its start and end (off: 0)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy samples the platform's Python processes during each step; "
                        "each step's hottest functions per process in var/loadtest/step-N-profile.txt")
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds on tiny data: the scenario works end to end")
    args = parser.parse_args(argv)
    if args.smoke:
        args.candidates, args.applications, args.formations, args.centres = 20, 50, 6, 2
        args.users, args.step_seconds, args.think = "10", 5, 0.5  # 10: staff users too
    if args.profile and not platform_profile.available():
        parser.error("--profile needs py-spy (requirements-dev.txt: make install)")
    steps_users = [int(u) for u in args.users.split(",") if u.strip()]
    prefix = os.environ.get("LOADTEST_PREFIX", "ecandidat_deadline")
    os.environ.setdefault("APP_ENV", "development")
    signal.signal(signal.SIGTERM, interrupted)
    say(f"deadline day: {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.1f} GB;"
        f" databases {prefix}_*, vhost {prefix}")
    steps = []
    try:
        workdir = ROOT / "var" / "loadtest"  # locust's CSV and logs, the platform's logs: kept
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        with running_stack(prefix, workdir / "var") as stack:
            say(f"  platform on {stack.url}; loading {args.candidates} candidates, "
                f"{args.applications} applications...")
            data = {"candidates": args.candidates, "centres": args.centres, "prefix": prefix}
            load_data(stack, args.seed, args.candidates, args.applications, args.formations,
                      args.centres, log=lambda m: say("  " + m.strip()))
            idle = snapshot(watched_processes(stack, prefix))
            at_start = resident(idle)
            for users in steps_users:
                say(f"  step: {users} users, {args.step_seconds:.0f} s (load average before: "
                    f"{os.getloadavg()[0]:.1f})...")
                step = run_step(stack, users, args.step_seconds, workdir, data, args.think,
                                profile=args.profile)
                steps.append(step)
                if step["profile"]:
                    say(f"        profile: {step['profile']}")
                say(step_table([step]).splitlines()[1])
                for name, error, times in step["failures"][:5]:
                    say(f"        failed {times}x {name}: {error[:150]}")
                if not worth_another_step(step, steps[-2] if len(steps) > 1 else None):
                    break
            soak = None
            if args.soak_minutes > 0:
                good = [s for s in steps if healthy(s)]
                held = max(good or steps, key=lambda s: s["rps"])["users"]
                say(f"  soak: {held} users held {args.soak_minutes:g} min...")
                soak = run_step(stack, held, args.soak_minutes * 60, workdir, data, args.think,
                                name=f"soak-{held}")
                say(step_table([soak]).splitlines()[1] + "  (soak)")
            at_end = resident(snapshot(watched_processes(stack, prefix)))
            say("\nSteps (stats after each step's ramp-up):")
            say(step_table(steps))
            good = [s for s in steps if healthy(s)]
            best = max(good, key=lambda s: s["rps"]) if good else None
            most = max(steps, key=lambda s: s["rps"])
            limit = best or most
            if best:
                say(f"\nSaturation point: {best['rps']:.1f} req/s at {best['users']} users "
                    f"(p99 {best['p99']:.0f} ms < {P99_LIMIT_MS} ms, no error); "
                    f"logins {best['logins_per_s']:.2f}/s")
            else:
                say(f"\nNo step stayed under p99 {P99_LIMIT_MS} ms without error "
                    f"(first: {steps[0]['errors']} errors, p99 {steps[0]['p99']:.0f} ms)")
            say(f"Highest throughput: {most['rps']:.1f} req/s at {most['users']} users "
                f"(p99 {most['p99']:.0f} ms, {most['errors']} errors)")
            if steps[-1] is not most:
                last = steps[-1]
                say(f"Beyond it: {last['users']} users gave {last['rps']:.1f} req/s, "
                    f"p99 {last['p99']:.0f} ms, {last['errors']} errors (locust log: {last['log']})")
            for step in [limit] + ([most] if most is not limit else []):
                say(f"\nRequests at {step['users']} users:")
                say(requests_table(step))
            saturated = max(((k, v) for k, v in most["usage"].items()
                             if k not in ("whole machine", "not this test")), key=lambda kv: kv[1][0])
            say(f"\nProcesses (CPU: % of one core during the step; {psutil.cpu_count()} cores "
                f"= {100 * psutil.cpu_count()} %; PostgreSQL: the backends of the platform's "
                "databases, their own memory; RabbitMQ: the machine's, shared with anything else running):")
            columns = [(f"at {limit['users']} users", limit["usage"])]
            if most is not limit:
                columns.append((f"at {most['users']} users (most)", most["usage"]))
            say(usage_table([*columns, ("at start", at_start), ("at end", at_end)]))
            say("\nCPU ms per request (each process's CPU time during the step / the "
                "step's requests; docs/operations.md sizes a deployment with it):")
            say(cpu_per_request_table(steps))
            last = steps[-1]
            memory_columns = [("idle", memory_by_process(stack, idle)),
                              (f"last step, {last['users']} users",
                               memory_by_process(stack, last["snapshots"][1]))]
            soak_memory = None
            if soak:
                soak_memory = tuple(memory_by_process(stack, taken) for taken in soak["snapshots"])
                memory_columns += [(f"soak start, {soak['users']} u", soak_memory[0]),
                                   (f"soak end, {args.soak_minutes:g} min", soak_memory[1])]
            table, grew = memory_table(memory_columns, soak_memory)
            say("\nResident memory, MB (each service instance and gateway worker; idle: "
                "before the first step; PostgreSQL: its backends' own memory):")
            say(table)
            if soak:
                say(f"Soak: {soak['users']} users for {args.soak_minutes:g} min, "
                    f"{soak['rps']:.1f} req/s, p99 {soak['p99']:.0f} ms, {soak['errors']} errors; "
                    + (f"grew more than {100 * GROWTH_LIMIT:.0f} %: {', '.join(grew)}" if grew
                       else f"no process grew more than {100 * GROWTH_LIMIT:.0f} %"))
            else:
                say("(no soak step: --soak-minutes N holds one step N minutes and "
                    "compares its memory at start and end)")
            say(f"Logs: {workdir} (locust: step-N.log and CSV; the platform's: var/log/)")
            say(f"Busiest process at {most['users']} users: {saturated[0]} "
                f"({saturated[1][0]:.0f} % of one core)")
            if args.smoke:  # the scenario works: nothing but load shed went wrong
                wrong = [f for s in steps for f in s["failures"] if not shed(f)]
                return 1 if wrong or not steps or steps[0]["requests"] == 0 else 0
    except KeyboardInterrupt:
        say("\ninterrupted: everything the load test started is stopped")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
