"""What the benchmarks run against: the catalog service and the gateway under
gunicorn (gthread), on their own database prefix (ecandidat_bench) and RabbitMQ
vhost, so a running `make run` is not disturbed; stopped whatever happens."""
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from deploy.local.processes import ROOT, ensure_vhost
from deploy.local.run import ensure_postgresql, ensure_rabbitmq, wait_for_services

# BENCH_PREFIX: another vhost and databases, so two benches on one machine do not share a queue
VHOST = DATABASE_PREFIX = os.environ.get("BENCH_PREFIX") or "ecandidat_bench"
LOGS = ROOT / "var" / "log"
# The bench signs its own RPC calls and starts the services it measures: one key for all.
os.environ.setdefault("ACTOR_SIGNING_KEY", secrets.token_hex(32))


def bench_amqp_uri():
    """A vhost of its own when rabbitmqctl can make one, else the default vhost."""
    base = "amqp://guest:guest@127.0.0.1:5672/"
    return (base + VHOST, VHOST) if ensure_vhost(VHOST) else (base, "/")


def tree_cpu_seconds(pid):
    """User + system CPU used so far by a process and its children (gunicorn's
    workers), from /proc (Linux); 0 where it cannot be read."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entry.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def tail(path, lines=15):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def gunicorn_port(process, log, timeout=30):
    """gunicorn binds 127.0.0.1:0 (no port race); the port comes from its log."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", tail(log, 50))
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start:\n{tail(log)}")


def wait_until_ok(url, process, log, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never answered 200:\n{tail(log)}")


def stop_all(processes):
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_gateway(workers=2, threads=8):
    """Yields {port, amqp_uri, vhost, workers, threads}; the catalog answers ping and
    GET /healthz/rpc answered 200 before it yields."""
    ensure_rabbitmq()
    ensure_postgresql()
    amqp_uri, vhost = bench_amqp_uri()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_PREFIX": DATABASE_PREFIX,
           "AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING", "APP_ENV": "development",
           "SECRET_KEY": "bench",
           "PYTHONWARNINGS": "ignore::Warning"}  # eventlet's notice is a plain Warning
    for name in [n for n in env if n.endswith("_DATABASE_URL")]:
        del env[name]  # DATABASE_PREFIX must decide: never touch the real databases
    LOGS.mkdir(parents=True, exist_ok=True)
    processes = []
    try:
        catalog_log = LOGS / "bench-catalog.log"
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "services.common.serve", "catalog"], cwd=ROOT, env=env,
            stdout=open(catalog_log, "wb"), stderr=subprocess.STDOUT))
        try:
            wait_for_services(env, ["catalog"], timeout=90)
        except subprocess.CalledProcessError:
            raise RuntimeError(f"the catalog service never answered ping:\n{tail(catalog_log)}")
        gateway_log = LOGS / "bench-gateway.log"
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        processes.append(subprocess.Popen(
            [gunicorn, "--workers", str(workers), "--threads", str(threads),
             "--worker-class", "gthread", "--bind", "127.0.0.1:0", "gateway:create_app()"],
            cwd=ROOT, env=env, stdout=open(gateway_log, "wb"), stderr=subprocess.STDOUT))
        port = gunicorn_port(processes[-1], gateway_log)
        wait_until_ok(f"http://127.0.0.1:{port}/healthz/rpc", processes[-1], gateway_log)
        yield {"port": port, "amqp_uri": amqp_uri, "vhost": vhost, "workers": workers,
               "threads": threads,
               "cpu": lambda: {"gateway": tree_cpu_seconds(processes[1].pid),
                               "catalog": tree_cpu_seconds(processes[0].pid)}}
    finally:
        stop_all(processes)
