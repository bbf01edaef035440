"""Infrastructure a service depends on goes away for a while: its database,
the SMTP relay, the S3 storage (which comes back without its bucket)."""
import io
import os
import time

import pytest
from pypdf import PdfReader

from .support import JPEG, is_unavailable, text, timed_get, wait_until

pytestmark = pytest.mark.faults

# The database refuses connections for 60 s; SMTP is away for longer than the whole mail retry
# schedule, which the suite shortens (conftest.FAULT_ENV) to stay within its budget.
DB_OUTAGE_SECONDS = float(os.environ.get("FAULTS_DB_OUTAGE_SECONDS", "60"))
SMTP_OUTAGE_SECONDS = float(os.environ.get("FAULTS_SMTP_OUTAGE_SECONDS", "20"))


def admin_engine(stack):
    from sqlalchemy import create_engine
    return create_engine(f"{stack.database_base}/postgres", isolation_level="AUTOCOMMIT")


def refuse_connections(stack, service, refuse):
    from sqlalchemy import text as sql
    name = f"{stack.prefix}_{service}"
    engine = admin_engine(stack)
    with engine.connect() as conn:
        conn.execute(sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if refuse else "true"}'))
        if refuse:
            conn.execute(sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    engine.dispose()


def test_database_refusing_connections(fault_stack, journey, report):
    user, email = journey.candidate()
    anonymous = journey.browser()
    codes = journey.formations(user)
    first = journey.apply(user, codes[0])
    assert first
    pids = {name: process.pid for name, process in fault_stack.processes}
    refuse_connections(fault_stack, "applications", True)
    began = time.monotonic()
    refused_codes, unavailable_pages = [], 0
    try:
        index = 1
        while time.monotonic() - began < DB_OUTAGE_SECONDS:
            page = user.get("/candidatures")  # needs applications' database
            assert is_unavailable(page), (page.status_code, text(page)[:200])
            unavailable_pages += 1
            if index < len(codes) and index <= 2:  # a command during the outage
                answer = user.post("/candidatures", {"formation_code": codes[index]})
                report.in_flight += 1
                assert is_unavailable(answer), answer.status_code
                refused_codes.append(codes[index])
                index += 1
            for browser, path in ((user, "/mails"), (user, "/dossier"), (anonymous, "/"),
                                  (anonymous, "/healthz")):
                answer, took = timed_get(browser, path)
                assert getattr(answer, "status_code", None) == 200, (path, answer)
                report.healthy(took)
            time.sleep(1)
    finally:
        refuse_connections(fault_stack, "applications", False)
    back = time.monotonic()
    waited = wait_until(lambda: user.get("/candidatures").status_code == 200, 60)
    assert waited is not None, "applications not back 60 s after its database"
    report.recovery_s = time.monotonic() - back
    report.note(f"outage {DB_OUTAGE_SECONDS:.0f} s, {unavailable_pages} pages answered 503")
    time.sleep(2)
    report.late_actions = sum(journey.applications(user, code) for code in refused_codes)
    report.lost = int(journey.applications(user, codes[0]) != 1)
    # the service works again without a restart, commands included
    again = journey.apply(user, codes[3] if len(codes) > 3 else refused_codes[0])
    report.lost += again is None
    mails = journey.wait_mails(email, "APPLICATION_CREATED", count=2, timeout=30)
    time.sleep(1)
    mails = journey.mails(email, "APPLICATION_CREATED")
    report.stuck += max(0, 2 - len(mails))
    report.duplicated += max(0, len(mails) - 2)
    assert {name: process.pid for name, process in fault_stack.processes} == pids, "restarted"
    assert (report.lost, report.duplicated, report.stuck, report.late_actions) == (0, 0, 0, 0)
    assert report.slowest_healthy_s < 2


def test_smtp_down_longer_than_the_retry_schedule(fault_stack, journey, report):
    fault_stack.kill("smtp")
    began = time.monotonic()
    try:
        registered = [journey.register(first_name=f"Smtp{i}", wait_mail=False) for i in range(3)]
        report.in_flight = len(registered)
        anonymous = journey.browser()
        while time.monotonic() - began < SMTP_OUTAGE_SECONDS:
            answer, took = timed_get(anonymous, "/")
            assert getattr(answer, "status_code", None) == 200
            report.healthy(took)
            time.sleep(1)  # under gunicorn's keep-alive (2 s): no race with its closing
    finally:
        fault_stack.restart("smtp")
    back = time.monotonic()
    emails = [email for _, email in registered]
    # every mail once: the retries go on until the relay answers, then stop
    waited = wait_until(lambda: all(journey.mails(e, "ACCOUNT_CREATED") for e in emails), 120, 1)
    report.recovery_s = None if waited is None else time.monotonic() - back
    time.sleep(5)  # a retry sending again would show now
    counts = [len(journey.mails(e, "ACCOUNT_CREATED")) for e in emails]
    report.lost = sum(1 for c in counts if c == 0)
    report.duplicated = sum(max(0, c - 1) for c in counts)
    report.note(f"SMTP down {SMTP_OUTAGE_SECONDS:.0f} s with a short retry schedule")
    # the mails work: the candidates activate with them
    for user, email in registered:
        if journey.mails(email, "ACCOUNT_CREATED"):
            journey.activate(user, email)
    assert (report.lost, report.duplicated) == (0, 0), counts
    assert report.slowest_healthy_s < 2


def one_page_pdf(content):
    try:
        return len(PdfReader(io.BytesIO(content)).pages) == 1
    except Exception:  # noqa: BLE001 - whatever pypdf says of bytes that are no PDF
        return False


def test_storage_down_then_back_without_its_bucket(fault_stack, journey, report):
    user, email = journey.candidate()
    codes = journey.formations(user)
    app_id = journey.apply(user, codes[0])
    pieces = [code for code in journey.pieces(user, app_id) if code != "CERTLANG"]
    assert len(pieces) >= 2, pieces
    fault_stack.kill("s3")
    refused = pieces[0]
    try:
        answer = journey.upload(user, app_id, refused)
        report.in_flight += 1
        assert is_unavailable(answer) or (answer.status_code in (200, 422)
                                          and "Fichier déposé" not in text(answer)), \
            (answer.status_code, text(answer)[:300])
        report.note(f"upload while down: {answer.status_code}")
        for path in ("/candidatures", "/mails", "/"):
            page, took = timed_get(user, path)
            assert getattr(page, "status_code", None) == 200, (path, page)
            report.healthy(took)
    finally:
        fault_stack.restart("s3")  # moto starts empty: the bucket is gone
    back = time.monotonic()
    ghost = user.get(f"/candidatures/{app_id}/pieces/{refused}")
    report.late_actions = int(ghost.status_code == 200)  # refused, yet stored?
    uploaded = {}
    for code in pieces:
        answer = journey.upload(user, app_id, code, content=JPEG, name="scan.jpg", mime="image/jpeg")
        report.in_flight += 1
        if "Fichier déposé" in text(answer):
            uploaded[code] = True
        if report.recovery_s is None and uploaded:
            report.recovery_s = time.monotonic() - back
    for code in uploaded:
        stored = user.get(f"/candidatures/{app_id}/pieces/{code}")
        # what a piece holds is a PDF: the photo became its one page
        report.lost += stored.status_code != 200 or not one_page_pdf(stored.content)
    report.stuck = len(pieces) - len(uploaded)
    assert (report.lost, report.stuck, report.late_actions) == (0, 0, 0)
    assert report.slowest_healthy_s < 2
