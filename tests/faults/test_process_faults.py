"""A service crashing (SIGKILL) mid-journey and started again; the broker
closing every connection of the platform: pages needing what is down answer
503 with Retry-After, the others stay fast, nothing a user was told had failed
happens later, nothing acknowledged is lost or applied twice."""
import signal
import threading
import time

import pytest

from .support import (close_vhost_connections, is_unavailable, text, timed_get, wait_until)

pytestmark = pytest.mark.faults

# Per service: a page that needs it, and pages that do not (a logged-in
# candidate's, then anonymous ones).
NEEDS = {"accounts": "/dossier", "catalog": "/offre?filtre=jamais-demande",
         "applications": "/candidatures", "documents": None, "notifications": "/mails"}
# (the offer with a filter nobody asked for: the one already shown is in the
# gateway's read cache, served while the catalog is down)
HEALTHY = {"accounts": [], "catalog": ["/mails"], "applications": ["/mails", "/dossier"],
           "documents": ["/mails", "/dossier", "/offre"],
           "notifications": ["/candidatures", "/dossier", "/offre"]}
PUBLIC = ["/healthz", "/"]


def check_healthy(report, user, anonymous, service):
    for path in HEALTHY[service]:
        answer, took = timed_get(user, path)
        assert getattr(answer, "status_code", None) == 200, (service, path, answer)
        report.healthy(took)
    for path in PUBLIC:
        answer, took = timed_get(anonymous, path)
        assert getattr(answer, "status_code", None) == 200, (service, path, answer)
        report.healthy(took)


def in_background(action):
    """Runs action() now; .result() waits for what it returned (or raised)."""
    box = {}

    def run():
        try:
            box["value"] = action()
        except Exception as exc:  # a broken connection is an answer too
            box["value"] = exc
    thread = threading.Thread(target=run)
    thread.start()
    return lambda: (thread.join(), box["value"])[1]


@pytest.mark.parametrize("service", list(NEEDS))
def test_service_killed_and_restarted(service, fault_stack, journey, report):
    user, email = journey.candidate()
    anonymous = journey.browser()
    codes = journey.formations(user)
    assert len(codes) >= 3, codes
    kept_app = journey.apply(user, codes[0])
    assert kept_app
    piece = next(code for code in journey.pieces(user, kept_app) if code != "CERTLANG")
    needs = NEEDS[service] or f"/candidatures/{kept_app}/pieces/{piece}"
    if service == "documents":
        assert journey.upload(user, kept_app, piece).status_code == 200
    mails_before = len(journey.mails(email))

    # An action the service takes part in, sent as the service crashes.
    if service == "documents":
        other = next(code for code in journey.pieces(user, kept_app)
                     if code not in (piece, "CERTLANG"))
        answer = in_background(lambda: journey.upload(user, kept_app, other))
    elif service == "accounts":
        answer = in_background(lambda: user.post("/dossier/address", {
            "line1": "7 rue du Crash", "country": "FR", "postal_code": "69003", "commune": "Lyon"}))
    else:
        answer = in_background(lambda: user.post("/candidatures", {"formation_code": codes[1]}))
    time.sleep(0.2)
    fault_stack.kill(service)
    crashed = answer()
    report.in_flight += 1

    # While it is down: its pages are unavailable, the others fast.
    down_page = user.get(needs)
    assert is_unavailable(down_page), (needs, down_page.status_code)
    check_healthy(report, user, anonymous, service)
    if service == "notifications":  # no RPC needed to apply: the mail waits in the queue
        later = journey.apply(user, codes[2])
        assert later, "applying needs no mail service"
        report.in_flight += 1

    began = time.monotonic()
    fault_stack.restart(service)
    back = wait_until(lambda: user.get(needs).status_code == 200, 60)
    assert back is not None, f"{needs} not back 60 s after {service} restarted"
    report.recovery_s = time.monotonic() - began  # from the restart command

    # What the crash left: the action's outcome matches its answer.
    status = getattr(crashed, "status_code", None)
    if service == "documents":
        stored = user.get(f"/candidatures/{kept_app}/pieces/{other}")
        done = stored.status_code == 200 and stored.content.startswith(b"%PDF")
        kept = user.get(f"/candidatures/{kept_app}/pieces/{piece}")
        report.lost += kept.status_code != 200
    elif service == "accounts":
        done = "7 rue du Crash" in text(user.get("/dossier/address"))
    else:
        done = journey.applications(user, codes[1]) == 1
        report.duplicated += journey.applications(user, codes[1]) > 1
        if service == "notifications":
            report.lost += journey.applications(user, codes[2]) != 1
    if status == 200:
        report.lost += not done
    else:  # the user got an error page (or nothing): it must not happen later
        time.sleep(2)
        if service == "accounts":
            done = "7 rue du Crash" in text(user.get("/dossier/address"))
        elif service != "documents":
            done = journey.applications(user, codes[1]) > 0
        report.late_actions += done
        assert status is None or status == 503, (status, getattr(crashed, "text", crashed)[:300])

    # Events emitted around the crash reach the mails exactly once.
    applied = service in ("catalog", "applications", "notifications") and status == 200
    expected = {"APPLICATION_CREATED": 1 + applied + (service == "notifications")}
    for code, count in expected.items():
        mails = journey.wait_mails(email, code, count=count, timeout=30)
        time.sleep(1)
        mails = journey.mails(email, code)
        report.stuck += max(0, count - len(mails))
        report.duplicated += max(0, len(mails) - count)
    assert len(journey.mails(email)) >= mails_before
    assert fault_stack.check_alive() is None
    assert (report.lost, report.duplicated, report.stuck, report.late_actions) == (0, 0, 0, 0)
    assert report.slowest_healthy_s < 2


def test_broker_connections_closed(fault_stack, journey, report):
    user, email = journey.candidate()
    codes = journey.formations(user)
    pids = {name: process.pid for name, process in fault_stack.processes}
    closed = close_vhost_connections(fault_stack.vhost)
    assert closed >= 6, closed  # five services and the gateway at least
    report.note(f"{closed} connections closed")
    began = time.monotonic()
    errors = []

    def back():
        answer = user.get("/candidatures")
        if answer.status_code not in (200, 503):
            errors.append(answer.status_code)
        return answer.status_code == 200
    report.recovery_s = wait_until(back, 60)
    assert report.recovery_s is not None, "/candidatures not back within 60 s"
    anonymous = journey.browser()
    for path in PUBLIC:
        answer, took = timed_get(anonymous, path)
        assert getattr(answer, "status_code", None) == 200
        report.healthy(took)

    # Commands, events and mails flow again, each once.
    report.in_flight += 1
    created = journey.apply(user, codes[0])
    report.lost += created is None
    mails = journey.wait_mails(email, "APPLICATION_CREATED", timeout=30)
    time.sleep(1)
    mails = journey.mails(email, "APPLICATION_CREATED")
    report.stuck += len(mails) == 0
    report.duplicated += max(0, len(mails) - 1)
    assert {name: process.pid for name, process in fault_stack.processes} == pids, "restarted"
    assert not errors, f"answers other than 200/503 while reconnecting: {errors}"
    assert time.monotonic() - began < 90
    assert (report.lost, report.duplicated, report.stuck) == (0, 0, 0)
    assert report.slowest_healthy_s < 2


def test_service_stopped_gracefully_mid_command(fault_stack, journey, report):
    """A rolling restart: SIGTERM while a command is in flight, then a new instance."""
    user, email = journey.candidate()
    code = journey.formations(user)[0]
    answer = in_background(lambda: user.post("/candidatures", {"formation_code": code}))
    time.sleep(0.2)
    began = time.monotonic()
    process = fault_stack.process("applications")
    fault_stack.kill("applications", signal.SIGTERM)
    stopped_in = time.monotonic() - began
    report.note(f"exit {process.returncode} after {stopped_in:.1f} s")
    fault_stack.restart("applications")
    report.recovery_s = time.monotonic() - began
    result = answer()
    report.in_flight = 1
    status = getattr(result, "status_code", None)
    count = journey.applications(user, code)
    if status == 200:
        report.lost += count == 0
        report.duplicated += max(0, count - 1)
    else:
        report.late_actions += count > 0
    mails = journey.wait_mails(email, "APPLICATION_CREATED", count=count or 1, timeout=20)
    time.sleep(1)
    mails = journey.mails(email, "APPLICATION_CREATED")
    report.duplicated += max(0, len(mails) - count)
    report.stuck += max(0, count - len(mails))
    assert process.returncode == 0 and stopped_in < 5 + 2  # SHUTDOWN_GRACE_SECONDS of the suite
    assert status in (200, 503), status
    assert (report.lost, report.duplicated, report.stuck, report.late_actions) == (0, 0, 0, 0)
