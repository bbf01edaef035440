"""Logging in through the real CAS server (deploy/local/cas_server.py) as a
student's browser does, and the student-records extract its demo users are in."""
from pathlib import Path

import requests

from deploy.local.cas_server import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
# Where CAS sends the browser back to, with the ticket.
SERVICE = "http://portal.example/cas/retour"
EXTRACT = (ROOT / "deploy" / "local" / "demo_students.csv").read_text()


def browser_login(server, login, service=SERVICE):
    """What the student's browser does: the CAS form, then the redirect back."""
    http = requests.Session()
    form = http.get(f"{server.url}/login", params={"service": service}, timeout=10)
    assert form.status_code == 200 and 'name="username"' in form.text
    back = http.post(f"{server.url}/login", data={"service": service, "username": login,
                                                   "password": DEMO_PASSWORD},
                     allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(service)
    return back.headers["Location"].split("ticket=", 1)[1]
