"""What the end-to-end tests do as users of the running platform: a browser
(cookies, the CSRF token of the last page), a candidate registering and
filling the dossier, a staff member logging in, the files they upload."""
import html
import re
import uuid

import requests

from tests.support import waiting

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A user's HTTP session: keeps cookies, sends the CSRF token of the last page."""

    def __init__(self, base):
        self.base = base
        self.http = requests.Session()
        self.token = None
        self.last = None

    def _remember(self, response):
        found = CSRF.search(response.text) if "text/html" in response.headers.get("Content-Type", "") else None
        if found:
            self.token = found.group(1)
        self.last = response
        return response

    def get(self, path, **kwargs):
        return self._remember(self.http.get(self.base + path, timeout=30, **kwargs))

    def post(self, path, data=None, files=None, **kwargs):
        if self.token is None:
            self.get("/")
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self._remember(self.http.post(self.base + path, data=data, files=files,
                                             timeout=60, **kwargs))


# Real files: the documents service parses what it keeps (and makes images PDF pages).
from tests.services.documents.samples import JPEG, PDF, PNG  # noqa: E402,F401


def text(response):
    return html.unescape(response.text)


STAFF_PASSWORD = "Demo-2027-pass!"
PASSWORD = "Candidat-2027!"


def register_and_activate(browser, mailbox, last_name="Martin", first_name="Léa"):
    email = f"{first_name.lower()}.{uuid.uuid4().hex[:8]}@example.org".replace("é", "e")
    user = browser()
    user.get("/compte/creer")
    answer = user.post("/compte/creer", {"last_name": last_name, "first_name": first_name,
                                         "email": email, "email_confirm": email})
    assert answer.status_code == 200 and "Demande enregistrée" in text(answer)
    mail = mailbox(email, "ACCOUNT_CREATED")
    link = next(link for link in mail["links"] if "/compte/activer/" in link)
    path = link[link.index("/compte/activer/"):]
    user.get(path)
    done = user.post(path, {"password": PASSWORD, "password_confirm": PASSWORD})
    dossier_number = re.search(r"numéro de dossier est ([A-Z0-9]{8,10})", text(done)).group(1)
    return user, email, dossier_number, path


def fill_dossier(user):
    answer = user.post("/dossier/personal", {
        "civility": "MME", "birth_name": "Martin", "first_name": "Léa",
        "birth_date": "2001-05-14", "nationality": "FR", "birth_country": "FR",
        "birth_department": "69", "birth_commune": "Lyon", "preferred_language": "fr"})
    assert answer.status_code == 200, text(answer)
    answer = user.post("/dossier/address", {"line1": "12 rue des Lilas", "country": "FR",
                                            "postal_code": "69003", "commune": "Lyon"})
    assert answer.status_code == 200, text(answer)
    bac_page = user.get("/dossier/bac")  # open once personal information and address are saved
    series = re.search(r'<select id="series" name="series">\s*<option value="">[^<]*</option>\s*'
                       r'<option value="([^"]+)"', text(bac_page)).group(1)
    answer = user.post("/dossier/bac", {"has_bac": "yes", "year": "2019", "country": "FR",
                                        "department": "69", "series": series})
    assert answer.status_code == 200, text(answer)


def piece_codes(page):
    return re.findall(r'id="piece-([A-Z0-9_-]+)"', page)


def upload(user, app_id, code, name, content, mime):
    return user.post(f"/candidatures/{app_id}/pieces/{code}/fichier",
                     files={"file": (name, content, mime)})


def staff_login(browser, login):
    staff = browser()
    staff.get("/gestion/connexion")
    answer = staff.post("/gestion/connexion", {"login": login, "password": STAFF_PASSWORD})
    assert answer.status_code == 200 and "/gestion" in answer.url
    return staff


NEW_PASSWORD = "Nouveau-Secret-2027?"


def new_email(name="lea"):
    return f"{name}.{uuid.uuid4().hex[:8]}@example.org"


def path_of(mail, fragment):
    link = next(link for link in mail["links"] if fragment in link)
    return link[link.index(fragment):]


RELAY_DELAY = 10  # seconds at most for an event to reach the gateway (a relay poll is 2 s)


def eventually(check, timeout=RELAY_DELAY):
    """Whether `check()` became true within `timeout` (an event's relay, a cache drop)."""
    return bool(waiting.eventually(check, timeout, step=0.1))
