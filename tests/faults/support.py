"""What the fault-injection scenarios share: the report table, the journeys'
steps over HTTP, and the faults themselves (broker, database, processes)."""
import html
import json
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field

import requests

from deploy.local.mailbox import read_mails
from tests.support.e2e import (JPEG, PASSWORD, PDF, PNG, STAFF_PASSWORD, Browser, fill_dossier,
                               piece_codes)

__all__ = ["JPEG", "PDF", "PNG", "Row", "ROWS", "Journey", "text", "hidden_fields",
           "rabbitmqctl", "close_vhost_connections", "queue_depths", "timed_get",
           "wait_until", "is_unavailable"]

ROWS = []  # one per scenario, printed at the end of the session (conftest.py)


@dataclass
class Row:
    scenario: str
    in_flight: int = 0
    lost: int = 0
    duplicated: int = 0
    stuck: int = 0
    recovery_s: float = None
    slowest_healthy_s: float = 0.0
    late_actions: int = 0  # actions answered with an error page that happened anyway
    duration_s: float = 0.0
    outcome: str = "?"
    notes: list = field(default_factory=list)

    def note(self, message):
        self.notes.append(message if len(message) <= 120 else message[:117] + "...")

    def healthy(self, seconds):
        self.slowest_healthy_s = max(self.slowest_healthy_s, seconds)


def text(response):
    return html.unescape(response.text)


def is_unavailable(response):
    """The shared contract: 503, Retry-After, the French page."""
    return (response.status_code == 503 and response.headers.get("Retry-After")
            and "indisponible" in text(response))


def timed_get(browser, path):
    """A page as a browser reads it: a kept-alive connection the server closed
    meanwhile is opened again once (browsers retry an idempotent GET so)."""
    began = time.monotonic()
    for attempt in (1, 2):
        try:
            response = browser.http.get(browser.base + path, timeout=30)
        except requests.ConnectionError as exc:
            if attempt == 2 or "RemoteDisconnected" not in repr(exc):
                return exc, time.monotonic() - began
        except requests.RequestException as exc:
            return exc, time.monotonic() - began
        else:
            return response, time.monotonic() - began


def wait_until(check, timeout, interval=0.5):
    """Seconds until check() was true, or None after `timeout`."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            if check():
                return time.monotonic() - began
        except requests.RequestException:
            pass
        time.sleep(interval)
    return None


FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
ACTION = re.compile(r'action="([^"]*)"')
HIDDEN = re.compile(r'<input\b[^>]*type="hidden"[^>]*>')
NAME, VALUE = re.compile(r'name="([^"]+)"'), re.compile(r'value="([^"]*)"')


def hidden_fields(page, action):
    """The hidden inputs (csrf_token, idempotency_key...) of the page's form
    posting to `action`, as the browser would send them."""
    for form in FORM.findall(page):
        found = ACTION.search(form)
        if found and html.unescape(found.group(1)).split("?")[0].endswith(action):
            fields = {}
            for tag in HIDDEN.findall(form):
                name, value = NAME.search(tag), VALUE.search(tag)
                if name:
                    fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
            return fields
    raise AssertionError(f"no form posting to {action}")


class Journey:
    """A candidate's and the staff's steps over HTTP on one stack."""

    def __init__(self, stack):
        self.stack = stack

    def browser(self):
        return Browser(self.stack.url)

    def mails(self, to=None, code=None):
        return [m for m in read_mails(self.stack.mail_dir)
                if (to is None or to.lower() in m["to"].lower())
                and (code is None or m["code"] == code)]

    def wait_mails(self, to, code, count=1, timeout=30):
        waited = wait_until(lambda: len(self.mails(to, code)) >= count, timeout, 0.2)
        return self.mails(to, code) if waited is not None else self.mails(to, code)

    def register(self, last_name="Martin", first_name="Lea", wait_mail=True):
        """(browser, email): registration posted; with wait_mail, activated and logged in."""
        email = f"{first_name.lower()}.{uuid.uuid4().hex[:10]}@example.org"
        user = self.browser()
        user.get("/compte/creer")
        answer = user.post("/compte/creer", {"last_name": last_name, "first_name": first_name,
                                             "email": email, "email_confirm": email})
        assert answer.status_code == 200 and "Demande enregistrée" in text(answer), answer.status_code
        if wait_mail:
            self.activate(user, email)
        return user, email

    def activate(self, user, email, timeout=30):
        mails = self.wait_mails(email, "ACCOUNT_CREATED", timeout=timeout)
        assert mails, f"no activation mail to {email}"
        link = next(link for link in mails[0]["links"] if "/compte/activer/" in link)
        path = link[link.index("/compte/activer/"):]
        user.get(path)
        user.post(path, {"password": PASSWORD, "password_confirm": PASSWORD})
        logged = user.post("/connexion", {"login": email, "password": PASSWORD})
        assert logged.url.endswith("/candidatures"), logged.url

    def candidate(self):
        """A logged-in candidate whose dossier is complete: (browser, email)."""
        user, email = self.register()
        fill_dossier(user)
        return user, email

    def formations(self, user):
        """Codes the candidate may apply to now, from the offer page."""
        page = text(user.get("/offre"))
        return re.findall(r'name="formation_code" value="([A-Z0-9_-]+)"', page)

    def apply(self, user, code):
        """The application's id, or None when refused."""
        answer = user.post("/candidatures", {"formation_code": code})
        found = re.search(r"/candidatures/(\d+)$", answer.url)
        return int(found.group(1)) if found and answer.status_code == 200 else None

    def applications(self, user, code):
        """How many applications to formation `code` the candidate's list shows."""
        return text(user.get("/candidatures")).count(f"({code})")

    def pieces(self, user, app_id):
        return piece_codes(text(user.get(f"/candidatures/{app_id}")))

    def upload(self, user, app_id, code, content=PDF, name="piece.pdf", mime="application/pdf"):
        return user.post(f"/candidatures/{app_id}/pieces/{code}/fichier",
                         files={"file": (name, content, mime)})

    def complete_pieces(self, user, app_id):
        for code in self.pieces(user, app_id):
            if code == "CERTLANG":
                user.post(f"/candidatures/{app_id}/pieces/CERTLANG/non-concerne", {"value": "1"})
            else:
                answer = self.upload(user, app_id, code)
                assert "Fichier déposé" in text(answer), (code, answer.status_code)

    def staff(self, login="gestion.sci"):
        staff = self.browser()
        staff.get("/gestion/connexion")
        answer = staff.post("/gestion/connexion", {"login": login, "password": STAFF_PASSWORD})
        assert answer.status_code == 200 and "/gestion" in answer.url
        return staff


# -- the broker -------------------------------------------------------------

def rabbitmqctl(*args):
    ctl = shutil.which("rabbitmqctl")
    assert ctl, "rabbitmqctl is needed by the fault-injection suite (run as root)"
    done = subprocess.run([ctl, "-q", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def vhost_connections(vhost):
    """Pids of the broker connections opened on `vhost`."""
    pids = []
    for line in rabbitmqctl("list_connections", "vhost", "pid").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[0] == vhost:
            pids.append(parts[1])
    return pids


def close_vhost_connections(vhost):
    pids = vhost_connections(vhost)
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "fault injection"],
                       capture_output=True, timeout=60)
    return len(pids)


def queue_depths(vhost):
    """{queue: (ready, unacknowledged, consumers)}."""
    depths = {}
    for line in rabbitmqctl("list_queues", "-p", vhost, "name", "messages_ready",
                            "messages_unacknowledged", "consumers").splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[1].isdigit():
            depths[parts[0]] = tuple(int(p) for p in parts[1:])
    return depths


def publish_raw(amqp_uri, exchange, routing_key, body):
    """A message as anyone with write access could publish it (not signed, not JSON object)."""
    from kombu import Connection, Exchange
    with Connection(amqp_uri) as conn:
        producer = conn.Producer()
        producer.publish(body, exchange=Exchange(exchange, type="topic", durable=True),
                         routing_key=routing_key, content_type="application/json",
                         content_encoding="utf-8", declare=[], retry=True)


def dumps(value):
    return json.dumps(value)
