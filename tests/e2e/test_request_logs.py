"""One click followed across the platform: the gateway gives each request an id,
every service the request reached logs it (as JSON lines), the access log too;
no password or token of the click is in any log. And the console of `make run`
shows what started, not the libraries' noise."""
import json
import re
import subprocess
import sys
import time
import uuid

import pytest

from deploy.local.processes import ROOT
from tests.support.e2e import PASSWORD, text

pytestmark = pytest.mark.e2e


def service_lines(platform, service):
    lines = (platform.log_dir / f"{service}.log").read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines]  # every line is one JSON object


def lines_of(platform, service, request_id, timeout=20):
    """A service logs the RPC it served just after answering it: wait for the line."""
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in service_lines(platform, service)
                 if line["request_id"] == request_id]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_click_is_followed_through_the_services_it_reached(browser, mailbox, platform):
    user = browser()
    user.get("/compte/creer")
    email = f"suivi.{uuid.uuid4().hex[:8]}@example.org"
    register_id = f"e2e-{uuid.uuid4().hex}"
    answer = user.post("/compte/creer", {"last_name": "Suivi", "first_name": "Léa",
                                         "email": email, "email_confirm": email},
                       headers={"X-Request-ID": register_id})
    assert answer.status_code == 200 and "Demande enregistrée" in text(answer)
    assert answer.headers["X-Request-ID"] == register_id
    mail = mailbox(email, "ACCOUNT_CREATED")
    # accounts served the RPC; notifications handled the event it emitted and sent the mail
    for service in ("accounts", "notifications"):
        lines = lines_of(platform, service, register_id)
        assert lines, service
        assert all(line["service"] == service for line in lines)
    assert any(line["actor"] == "anonymous" for line in lines_of(platform, "accounts", register_id))

    link = next(link for link in mail["links"] if "/compte/activer/" in link)
    path = link[link.index("/compte/activer/"):]
    activate_id = f"e2e-{uuid.uuid4().hex}"
    user.get(path)
    done = user.post(path, {"password": PASSWORD, "password_confirm": PASSWORD},
                     headers={"X-Request-ID": activate_id})
    assert "numéro de dossier" in text(done)
    assert lines_of(platform, "accounts", activate_id)
    access = (platform.log_dir / "gateway.log").read_text(errors="replace")
    assert f"request_id={activate_id}" in access and f"request_id={register_id}" in access
    everything = "".join(p.read_text(errors="replace") for p in platform.log_dir.glob("*.log"))
    assert PASSWORD not in everything
    assert path.rsplit("/", 1)[1] not in everything  # the activation token


def test_a_malformed_request_id_is_replaced(browser):
    answer = browser().get("/", headers={"X-Request-ID": "forged id\" level=ERROR"})
    given = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", given)


def test_the_console_of_make_run_shows_no_library_noise(platform):
    """What the runner runs in the foreground (migrations, seeds, waiting for the
    services) prints nothing of its own: no eventlet banner, no AMQP notices."""
    env = platform.environment()
    for command in (["-m", "services.common.migrations", "upgrade", "catalog"],
                    ["-m", "services.catalog.seed"],
                    ["-m", "deploy.healthcheck", "--wait", "30", "catalog", "accounts"]):
        done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, timeout=120,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "Eventlet is deprecated" not in done.stderr + done.stdout, command
        assert "during closing channel" not in done.stderr + done.stdout, command
        assert done.stderr.strip() == "", (command, done.stderr)
