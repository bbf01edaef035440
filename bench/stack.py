"""What the benchmarks run against: the catalog service and the gateway under
gunicorn, on their own database prefix and vhost, stopped whatever happens."""
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from deploy.local.processes import ROOT, ensure_vhost, free_port, wait_for_port
from deploy.local.run import ensure_postgresql, ensure_rabbitmq, wait_for_services

VHOST = "ecandidat_bench"


def bench_amqp_uri():
    base = "amqp://guest:guest@127.0.0.1:5672/"
    return base + VHOST if ensure_vhost(VHOST) else base


@contextmanager
def running_gateway(workers=2, threads=8):
    ensure_rabbitmq()
    ensure_postgresql()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_PREFIX": "ecandidat_bench",
           "AMQP_URI": bench_amqp_uri(), "LOG_LEVEL": "WARNING", "APP_ENV": "production",
           "SECRET_KEY": "bench"}
    logs = Path(ROOT, "var", "log")
    logs.mkdir(parents=True, exist_ok=True)
    processes = []
    try:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "services.common.serve", "catalog"], cwd=ROOT, env=env,
            stdout=open(logs / "bench-catalog.log", "ab"), stderr=subprocess.STDOUT))
        wait_for_services(env, ["catalog"])
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        processes.append(subprocess.Popen(
            [gunicorn, "--workers", str(workers), "--threads", str(threads),
             "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "gateway:create_app()"],
            cwd=ROOT, env=env, stdout=open(logs / "bench-gateway.log", "ab"),
            stderr=subprocess.STDOUT))
        wait_for_port("127.0.0.1", port, process=processes[-1])
        yield {"port": port, "amqp_uri": env["AMQP_URI"]}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
