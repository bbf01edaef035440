"""The whole platform on its own vhost, databases and ports (E2E_PREFIX +
"_faults"), driven over HTTP while faults are injected. Every scenario adds
one row to a report table printed at the end of the session and written to
the stack's var dir (fault-report.md)."""
import os
import time
from pathlib import Path

import pytest

from deploy.local.processes import ensure_vhost, free_port

from .support import ROWS, Journey, Row

# Short schedules so that "longer than every retry" fits in the suite's budget:
# read by the platform's configuration (services/common/config.py and the
# services' own settings).
FAULT_ENV = {
    "RPC_TIMEOUT": "6",             # a page waits 6 s at most for a service
    "SERVICE_RPC_TIMEOUT": "4",
    "SHUTDOWN_GRACE_SECONDS": "5",
    "MAIL_RETRY_FIRST_SECONDS": "1",  # notifications: a failed mail is tried again after 1 s,
    "MAIL_RETRY_MAX_SECONDS": "4",    # then 2, 4, 4... s: the outage below outlasts 5 attempts
    "EVENT_RETRY_DELAYS": "1,2,3",  # a failing event: three delayed retries, then dead letters
    "GATEWAY_WORKERS": "1",
    "REGISTRATIONS_PER_HOUR": "1000",
}
REPORT = {"path": None}


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory):
    from sqlalchemy import create_engine, text

    from deploy.local.run import Stack

    prefix = os.environ.get("E2E_PREFIX", "ecandidat_e2e") + "_faults"
    base = os.environ.get("DATABASE_BASE_URL") or "postgresql+psycopg://root@127.0.0.1:5432"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in ("accounts", "catalog", "applications", "documents", "notifications"):
            conn.execute(text(f'ALTER DATABASE "{prefix}_{name}" ALLOW_CONNECTIONS true')
                         if _exists(conn, f"{prefix}_{name}") else text("SELECT 1"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{prefix}_{name}" WITH (FORCE)'))
    admin.dispose()
    assert ensure_vhost(prefix), "the fault-injection suite needs rabbitmqctl (run as root)"
    env = {**FAULT_ENV, "DATABASE_PREFIX": prefix,
           "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/" + prefix,
           "SMTP_HOST": "", "SMTP_PORT": "", "PUBLIC_URL": "", "CAS_URL": "",
           "MINIO_ENDPOINT": ""}  # the stack's own S3 emulator and SMTP sink: faults are injected there
    var = tmp_path_factory.mktemp("faults-var")
    stack = Stack(port=free_port(), s3_port=free_port(), smtp_port=free_port(),
                  cas_port=free_port(), var_dir=var, env=env, quiet=True)
    stack.prefix, stack.vhost, stack.database_base = prefix, prefix, base
    stack.amqp_uri = env["AMQP_URI"]
    REPORT["path"] = Path(var) / "fault-report.md"
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _exists(conn, name):
    from sqlalchemy import text
    return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()


@pytest.fixture
def journey(fault_stack):
    return Journey(fault_stack)


@pytest.fixture
def report(request):
    """The scenario's row of the report: counts set by the test, duration and
    outcome filled in here."""
    row = Row(request.node.name.removeprefix("test_"))
    began = time.monotonic()
    yield row
    row.duration_s = time.monotonic() - began
    failed = getattr(request.node, "fault_failed", None)
    row.outcome = "FAIL" if failed else "ok"
    ROWS.append(row)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    result = outcome.get_result()
    if result.when == "call" and result.failed:
        item.fault_failed = True
        message = str(call.excinfo.value).splitlines()[0][:160] if call.excinfo else ""
        for name in item.funcargs if hasattr(item, "funcargs") else ():
            value = item.funcargs[name]
            if isinstance(value, Row):
                value.note(message)


def markdown(rows):
    head = ("| scenario | in flight | lost | duplicated | stuck | late actions | recovery (s) "
            "| slowest healthy page (s) | duration (s) | outcome | notes |")
    lines = [head, "|" + " --- |" * 11]
    for r in rows:
        recovery = "-" if r.recovery_s is None else f"{r.recovery_s:.1f}"
        lines.append(f"| {r.scenario} | {r.in_flight} | {r.lost} | {r.duplicated} | {r.stuck} "
                     f"| {r.late_actions} | {recovery} | {r.slowest_healthy_s:.2f} "
                     f"| {r.duration_s:.1f} | {r.outcome} | {'; '.join(r.notes)} |")
    total = sum(r.duration_s for r in rows)
    lines.append(f"\nscenarios: {len(rows)}, total {total:.0f} s")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    table = markdown(ROWS)
    terminalreporter.section("fault injection report")
    terminalreporter.write_line(table)
    if REPORT["path"]:
        REPORT["path"].write_text(table + "\n")
        terminalreporter.write_line(f"written to {REPORT['path']}")
