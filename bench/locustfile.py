"""The deadline day's mix, for locust (started by bench.deadline_day, which
sets the BENCH_* variables from what bench.generate loaded):

- candidates (most users): log in, read "Candidatures" and one application,
  the dossier, the offer with a "Filtre", upload a 200 KB PDF for a missing
  piece, transmit, log out and in again now and then;
- staff of one centre: list its transmitted applications (centre and status
  filters, a search), open one with its dossier, change its file status.

A request fails when its answer is not 2xx/3xx, or when a page that must
show something does not (a login that does not land on the candidate's pages).
"""
import itertools
import os
import random
import re
import uuid

from locust import HttpUser, between, task

CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", "50"))
CENTRES = int(os.environ.get("BENCH_CENTRES", "2"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "Bench-2027-pass!")
EMAIL_DOMAIN = os.environ.get("BENCH_EMAIL_DOMAIN", "bench.example.org")
THINK = float(os.environ.get("BENCH_THINK_SECONDS", "1.0"))

from bench.uploads import scanned_pdf  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
APPLICATION_LINK = re.compile(r'href="/candidatures/(\d+)"')
# the upload form of a piece that has no file yet (every piece has one: files add up)
UPLOAD_FORM = re.compile(r'data-piece-missing method="post" enctype="multipart/form-data" '
                         r'action="/candidatures/(\d+)/pieces/([^/"]+)/fichier"')
STAFF_LINK = re.compile(r'href="/gestion/candidatures/(\d+)[?"]')
SUBJECTS = ("informatique", "physique", "histoire", "gestion", "droit", "langues")
# A PDF of 200 KB: what a scanned transcript weighs.
# (a real PDF: the documents service parses what it keeps)
PIECE = scanned_pdf(200 * 1024)

_numbers = itertools.count()


def next_candidate():
    """Users take candidates in a scattered order, each a different one (7919 is
    a prime: every number comes once before any comes back)."""
    return (next(_numbers) * 7919) % CANDIDATES + 1


class Visitor(HttpUser):
    abstract = True
    wait_time = between(THINK * 0.5, THINK * 1.5)

    def token(self, page):
        found = CSRF.search(page.text or "")
        if found:
            self.csrf = found.group(1)
        return getattr(self, "csrf", None)

    def post_form(self, path, data, name=None, files=None):
        data = {**data, "csrf_token": self.csrf, "idempotency_key": uuid.uuid4().hex}
        with self.client.post(path, data=data, files=files, name=name or path,
                              catch_response=True) as answer:
            if answer.status_code >= 400:
                answer.failure(f"{answer.status_code}")
            else:
                self.token(answer)
                answer.success()
            return answer


class Candidate(Visitor):
    weight = 9

    def on_start(self):
        self.number = next_candidate()
        self.login()

    def login(self):
        self.token(self.client.get("/", name="/"))
        with self.client.post("/connexion", name="login", catch_response=True, data={
                "login": f"c{self.number:06d}@{EMAIL_DOMAIN}", "password": PASSWORD,
                "csrf_token": self.csrf}) as answer:
            if answer.status_code != 200 or not answer.url.endswith("/candidatures"):
                answer.failure(f"login refused ({answer.status_code} {answer.url})")
                return
            answer.success()
        self.token(answer)
        self.applications = sorted(set(APPLICATION_LINK.findall(answer.text)))

    @task(4)
    def applications_page(self):
        page = self.client.get("/candidatures", name="/candidatures")
        self.token(page)
        self.applications = sorted(set(APPLICATION_LINK.findall(page.text))) or \
            getattr(self, "applications", [])

    @task(4)
    def one_application(self):
        if getattr(self, "applications", None):
            self.token(self.client.get(f"/candidatures/{random.choice(self.applications)}",
                                       name="/candidatures/[id]"))

    @task(2)
    def dossier(self):
        self.token(self.client.get("/dossier", name="/dossier"))

    @task(2)
    def offer(self):
        self.token(self.client.get("/offre", params={"filtre": random.choice(SUBJECTS)},
                                   name="/offre?filtre"))

    @task(1)
    def upload_and_transmit(self):
        if not getattr(self, "applications", None):
            return
        application = random.choice(self.applications)
        page = self.client.get(f"/candidatures/{application}", name="/candidatures/[id]")
        self.token(page)
        missing = UPLOAD_FORM.findall(page.text)
        if missing:
            _, code = missing[0]
            page = self.post_form(f"/candidatures/{application}/pieces/{code}/fichier", {},
                                  name="upload 200 KB piece",
                                  files={"file": ("releve.pdf", PIECE, "application/pdf")})
        if 'id="transmit"' in (page.text or ""):  # every piece is there
            self.post_form(f"/candidatures/{application}/transmettre", {}, name="transmit")

    @task(1)
    def log_out_and_in(self):
        self.post_form("/deconnexion", {}, name="logout")
        self.login()


class Staff(Visitor):
    weight = 1

    def on_start(self):
        self.centre = f"C{random.randrange(CENTRES):02d}"
        self.listed = []
        self.token(self.client.get("/gestion/connexion", name="/gestion/connexion"))
        with self.client.post("/gestion/connexion", name="staff login", catch_response=True,
                              data={"login": f"bench.c{self.centre[1:]}", "password": PASSWORD,
                                    "csrf_token": self.csrf}) as answer:
            if answer.status_code != 200 or "/gestion" not in answer.url:
                answer.failure(f"staff login refused ({answer.status_code})")
                return
            answer.success()
        self.token(answer)

    @task(3)
    def list_transmitted(self):
        page = self.client.get("/gestion/", params={"centre": self.centre, "status": "RE"},
                               name="/gestion/?centre&status")
        self.token(page)
        self.listed = STAFF_LINK.findall(page.text) or self.listed

    @task(1)
    def search(self):
        self.token(self.client.get("/gestion/", params={"centre": self.centre,
                                                        "q": random.choice(("martin", "lea"))},
                                   name="/gestion/?centre&q"))

    @task(3)
    def open_and_decide(self):
        if not self.listed:
            return self.list_transmitted()
        application = random.choice(self.listed)
        self.token(self.client.get(f"/gestion/candidatures/{application}",
                                   name="/gestion/candidatures/[id]"))
        self.post_form(f"/gestion/candidatures/{application}/statut",
                       {"status": random.choice(("IN", "CO"))}, name="staff file status")
