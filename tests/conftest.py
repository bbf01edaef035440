"""Fixtures shared by every test: real RabbitMQ, PostgreSQL, an S3 endpoint and
an SMTP sink, found through the same environment variables as production.

Services run under eventlet, so the monkey patch comes first.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402
import secrets  # noqa: E402
from urllib.parse import quote  # noqa: E402

import pytest  # noqa: E402

from deploy.local.processes import ensure_vhost  # noqa: E402
from tests.deploy.docker_infra import (COMPOSE_FILES, INFRASTRUCTURE, compose_command,  # noqa: E402
                                       compose_infrastructure, docker_engine_available,
                                       compose_env_file)

os.environ.setdefault("DATABASE_PREFIX", "ecandidat_test")
# The key the gateway and the services share to sign actors and events; every
# process the tests start inherits it.
os.environ.setdefault("ACTOR_SIGNING_KEY", secrets.token_hex(32))
os.environ.setdefault("PUBLIC_URL", "http://testserver")
# Scheduled jobs (services/common/jobs.py) run only where a test asks for them:
# a purge or an archiving at a service's start would change what other tests see.
os.environ.setdefault("JOBS_ENABLED", "0")
TEST_VHOST = os.environ.get("TEST_AMQP_VHOST", "ecandidat_test")


USE_DOCKER = docker_engine_available()


def pytest_configure(config):
    # Tests run as a workstation does: no production secrets, one shared actor key.
    os.environ.setdefault("APP_ENV", "development")
    os.environ.setdefault("ACTOR_SIGNING_KEY", secrets.token_hex(32))
    if "AMQP_URI" not in os.environ and not USE_DOCKER:
        base = "amqp://guest:guest@127.0.0.1:5672/"
        os.environ["AMQP_URI"] = base + quote(TEST_VHOST, safe="") if ensure_vhost(TEST_VHOST) else base


# -- infrastructure: compose when a Docker engine exists, else the local servers --

@pytest.fixture(scope="session")
def docker_compose_command():
    return f'{compose_command()} --env-file "{compose_env_file()}"'


@pytest.fixture(scope="session")
def docker_compose_file():
    return COMPOSE_FILES


@pytest.fixture(scope="session")
def docker_setup():
    return ["up -d " + " ".join(INFRASTRUCTURE)]


@pytest.fixture(scope="session", autouse=True)
def infrastructure(request):
    """Brings RabbitMQ, PostgreSQL, MinIO and Mailpit up with pytest-docker when it can."""
    if not USE_DOCKER:
        yield "local"
        return
    env = compose_infrastructure(request.getfixturevalue("docker_ip"),
                                 request.getfixturevalue("docker_services"))
    os.environ.update(env)
    yield "docker"


@pytest.fixture
def rabbit_config():
    """Overrides nameko's fixture (which needs the management plugin)."""
    return {"AMQP_URI": os.environ["AMQP_URI"], "serializer": "json", "max_workers": 10}


# -- databases ---------------------------------------------------------------

_migrated = {}


def migrated_engine(service):
    """The service's test database, dropped and migrated once per session."""
    if service not in _migrated:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from services.common.config import database_url
        from services.common.migrations import upgrade

        url = make_url(database_url(service))
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()
        upgrade(service)
        # pre-ping: an outage test may have terminated the pooled connections
        _migrated[service] = create_engine(url, pool_pre_ping=True)
    return _migrated[service]


def truncate_all(engine):
    from sqlalchemy import text
    with engine.begin() as conn:
        # A lock still held by a worker of an earlier test fails the test here
        # rather than hanging the run.
        conn.execute(text("SET LOCAL lock_timeout = '30s'"))
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                              + " RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def databases():
    """For fixtures wider than a test: databases.empty("accounts") -> that
    service's migrated test database, emptied; databases.engine(name) as it is."""
    class Databases:
        engine = staticmethod(migrated_engine)

        @staticmethod
        def empty(service):
            engine = migrated_engine(service)
            truncate_all(engine)
            return engine
    return Databases()


@pytest.fixture
def service_db():
    """service_db("accounts") -> an engine on that service's migrated, empty test database."""
    def make(service):
        engine = migrated_engine(service)
        truncate_all(engine)
        return engine
    return make


@pytest.fixture
def unit_of_work():
    """unit_of_work(engine, metadata) -> a real UnitOfWork for worker_factory(db=...)."""
    from sqlalchemy.orm import Session

    from services.common.db import UnitOfWork
    units = []

    def make(engine, metadata):
        unit = UnitOfWork(Session(engine, expire_on_commit=False), metadata)
        units.append(unit)
        return unit
    yield make
    for unit in units:
        unit.close()


# -- S3 and SMTP -------------------------------------------------------------

@pytest.fixture(scope="session")
def s3_endpoint():
    """MINIO_ENDPOINT when set (a real MinIO), else a moto S3 server for the session."""
    from deploy.local.processes import free_port, start_moto_s3, stop
    if os.environ.get("MINIO_ENDPOINT"):
        yield os.environ["MINIO_ENDPOINT"]
        return
    port = free_port()
    process = start_moto_s3(port)
    os.environ.update(MINIO_ENDPOINT=f"127.0.0.1:{port}", MINIO_ACCESS_KEY="test",
                      MINIO_SECRET_KEY="testsecret", MINIO_SECURE="0")
    yield os.environ["MINIO_ENDPOINT"]
    stop(process)
    del os.environ["MINIO_ENDPOINT"]


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory):
    """A real SMTP server writing mails to a folder; `.mails()` reads them newest first."""
    from deploy.local.mailbox import read_mails
    from deploy.local.processes import free_port, start_smtp_sink, stop

    class Sink:
        def __init__(self, port, folder):
            self.host, self.port, self.folder = "127.0.0.1", port, folder

        def mails(self, to=None):
            mails = read_mails(self.folder)
            return [m for m in mails if to is None or to.lower() in m["to"].lower()]

    folder = tmp_path_factory.mktemp("mails")
    port = free_port()
    process = start_smtp_sink(port, folder)
    os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    yield Sink(port, folder)
    stop(process)


# -- virus scanner -----------------------------------------------------------------

@pytest.fixture(scope="session")
def clamd_endpoint(tmp_path_factory):
    """CLAMD_ADDRESS when set (a real clamd), else a local clamd for the session that
    knows the EICAR test signature only. `.stop()` and `.start()` take it down and
    back (same port) for the outage tests."""
    from deploy.local.processes import clamd_available, free_port, start_clamd, stop
    if os.environ.get("CLAMD_ADDRESS"):
        yield None
        return
    if not clamd_available():
        pytest.skip("clamd is not installed (make clamav)")

    class Clamd:
        def __init__(self, port, folder):
            self.port, self.folder, self.process = port, folder, None
            self.address = f"127.0.0.1:{port}"

        def start(self):
            self.process = start_clamd(self.port, self.folder)

        def stop(self):
            stop(self.process)

    clamd = Clamd(free_port(), tmp_path_factory.mktemp("clamd"))
    clamd.start()
    os.environ["CLAMD_ADDRESS"] = clamd.address
    yield clamd
    clamd.stop()
    del os.environ["CLAMD_ADDRESS"]
