"""The pages one service serves, for bench.scale_out (locust, started by it with
BENCH_SERVICE and the BENCH_* variables of bench/locustfile.py): users of the
deadline-day mix, logged in once, who read only those pages, one after the
other (no think time by default: the throughput is what the platform gives).

- applications: "Candidatures" and one application (candidates, 9 in 10), the
  transmitted applications of a centre (staff, 1 in 10);
- accounts: the dossier; catalog: the offer with a "Filtre";
- documents: the file of an uploaded piece; notifications: the candidate's mails.
"""
import os
import random
import re
import time

from locust import task

import bench.locustfile as mix

SERVICE = os.environ.get("BENCH_SERVICE", "applications")
PIECE_LINK = re.compile(r'href="(/candidatures/\d+/pieces/[^"/]+)"')


def applications_page(user):
    mix.Candidate.applications_page(user)


def one_application(user):
    mix.Candidate.one_application(user)


def dossier(user):
    mix.Candidate.dossier(user)


def offer(user):
    mix.Candidate.offer(user)


def piece_file(user):
    if not user.pieces:  # found on the candidate's application pages, once
        for application in user.applications[:5]:
            page = user.client.get(f"/candidatures/{application}", name="/candidatures/[id]")
            user.pieces += PIECE_LINK.findall(page.text or "")
    if user.pieces:
        user.client.get(random.choice(user.pieces), name="/candidatures/[id]/pieces/[code]")


def mails(user):
    user.client.get("/mails", name="/mails")


CANDIDATE_PAGES = {
    "applications": {applications_page: 1, one_application: 1},
    "accounts": {dossier: 1},
    "catalog": {offer: 1},
    "documents": {piece_file: 1},
    "notifications": {mails: 1},
}


def signed_in(user, log_in, page):
    """Logs in until `page(user)` answers 200 (not a redirect to the login form):
    a login the gateway shed under the burst of the start is tried again, or the
    user would read redirects all along."""
    for _ in range(20):
        log_in(user)
        if user.client.get(page(user), name="signed in?",
                           allow_redirects=False).status_code == 200:
            return
        time.sleep(1)


class CandidatePages(mix.Visitor):
    weight = 9
    tasks = CANDIDATE_PAGES[SERVICE]

    def on_start(self):
        self.number = mix.next_candidate()
        self.applications, self.pieces = [], []
        signed_in(self, mix.Candidate.login, lambda user: "/dossier")


if SERVICE == "applications":
    class StaffList(mix.Visitor):
        weight = 1

        def on_start(self):
            signed_in(self, mix.Staff.on_start,
                      lambda user: f"/gestion/?centre={user.centre}&status=RE")

        @task
        def list_transmitted(self):
            mix.Staff.list_transmitted(self)
