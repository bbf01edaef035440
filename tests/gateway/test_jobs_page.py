"""The administrators' page of scheduled jobs: every service's jobs with their
schedule and last runs, a run by hand that shows its result; a service that
does not answer shows as such; nobody else reaches it."""
import re

import pytest

from services.common.config import SERVICES
from services.common.errors import NotFound, Unavailable
from gateway import create_app
from tests.support.gateway import TOK, as_staff, fake, login_candidate, page_text

RUN = {"id": 7, "job": "purge_unactivated", "trigger": "schedule", "triggered_by": None,
       "status": "done", "started_at": "2026-12-01T23:15:00+00:00",
       "ended_at": "2026-12-01T23:15:01+00:00", "duration_ms": 1250,
       "counts": {"purged": 3}, "error": None}
FAILED = {**RUN, "id": 6, "status": "failed", "counts": {}, "duration_ms": 40,
          "error": "OperationalError: connection refused"}
PURGE = {"service": "accounts", "name": "purge_unactivated", "description": "",
         "schedule": {"every_seconds": 900}, "next_run_at": "2026-12-01T23:30:00+00:00",
         "runs": [RUN, FAILED]}
RETENTION = {"service": "documents", "name": "destroy_expired_files", "description": "",
             "schedule": {"daily_at": "03:00", "timezone": "Europe/Paris"},
             "next_run_at": "2026-12-02T02:00:00+00:00", "runs": []}


@pytest.fixture
def portal():
    return create_app({"TESTING": False, "SECRET_KEY": "test", "APP_ENV": "development"})


def services(app, **answers):
    table = {name: {"list_jobs": []} for name in SERVICES}
    table["accounts"]["list_jobs"] = [PURGE]
    table["documents"]["list_jobs"] = [RETENTION]
    for name, extra in answers.items():
        table[name].update(extra)
    return fake(app, **table)


def test_an_administrator_sees_every_services_jobs(portal):
    services(portal, catalog={"list_jobs": Unavailable("service_unavailable", "x")})
    client = portal.test_client()
    as_staff(client, "admin")
    page = page_text(client.get("/gestion/admin/jobs"))
    assert "Tâches planifiées" in page
    assert "Purge des comptes non activés à temps" in page and "toutes les 15 min" in page
    assert "tous les jours à 03:00 (heure de Paris)" in page
    assert "02/12/2026 00:15" in page and "terminé" in page and "1,2 s" in page  # Paris time
    assert "purged: 3" in page and "planifiée" in page
    assert "échec" in page and "OperationalError: connection refused" in page
    assert "Jamais exécutée." in page and page.count("Lancer maintenant") == 2
    assert "Service momentanément indisponible" in page   # catalog, while the others show
    assert page.count("Aucune tâche planifiée.") == 2      # applications, notifications
    assert 'href="/gestion/admin/jobs">Tâches planifiées</a>' in page   # in the menu
    with client.session_transaction() as session:
        session["lang"] = "en"
    english = page_text(client.get("/gestion/admin/jobs"))
    assert "Scheduled jobs" in english and "Run now" in english and "every 15 min" in english
    assert "1.2 s" in english


def test_running_a_job_by_hand_shows_its_result(portal):
    remote = services(portal, accounts={
        "list_jobs": [PURGE],
        "run_job": lambda actor, name, **kw: {**RUN, "trigger": "manual", "counts": {"purged": 2}}})
    client = portal.test_client()
    as_staff(client, "admin")
    form = client.get("/gestion/admin/jobs").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+-accounts-purge_unactivated)"',
                    form).group(1)
    answer = client.post("/gestion/admin/jobs/accounts/purge_unactivated/lancer",
                         data={"csrf_token": TOK, "idempotency_key": key})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("#job-accounts-purge_unactivated")
    method, (actor, name) = remote.accounts.calls[-1]
    assert (method, actor["role"], name) == ("run_job", "admin", "purge_unactivated")
    assert "purge_unactivated (accounts) : terminé. purged: 2" in page_text(
        client.get("/gestion/admin/jobs"))


def test_a_skipped_or_unknown_or_unanswered_run_says_so(portal):
    skipped = {**RUN, "status": "skipped", "error": "another run of this job was in progress"}
    services(portal, accounts={"run_job": skipped},
             documents={"run_job": Unavailable("service_unavailable", "x")},
             catalog={"run_job": NotFound("job_not_found", "x")})
    client = portal.test_client()
    as_staff(client, "admin")
    client.post("/gestion/admin/jobs/accounts/purge_unactivated/lancer", data={"csrf_token": TOK})
    assert "non lancé : une autre exécution était en cours" in page_text(
        client.get("/gestion/admin/jobs"))
    client.post("/gestion/admin/jobs/documents/destroy_expired_files/lancer",
                data={"csrf_token": TOK})
    assert "n'a pas répondu à temps" in page_text(client.get("/gestion/admin/jobs"))
    assert client.post("/gestion/admin/jobs/catalog/nope/lancer",
                       data={"csrf_token": TOK}).status_code == 404
    assert client.post("/gestion/admin/jobs/nowhere/x/lancer",
                       data={"csrf_token": TOK}).status_code == 404


def test_a_run_without_csrf_is_refused(portal):
    remote = services(portal)
    client = portal.test_client()
    as_staff(client, "admin")
    assert client.post("/gestion/admin/jobs/accounts/purge_unactivated/lancer").status_code == 400
    assert not [c for c in remote.accounts.calls if c[0] == "run_job"]


@pytest.mark.parametrize("role", ["scol", "manager", "committee", "readonly"])
def test_only_administrators_reach_the_jobs(portal, role):
    remote = services(portal)
    client = portal.test_client()
    as_staff(client, role, ["SCI"])
    assert client.get("/gestion/admin/jobs").status_code == 403
    assert client.post("/gestion/admin/jobs/accounts/purge_unactivated/lancer",
                       data={"csrf_token": TOK}).status_code == 403
    assert not [c for c in remote.accounts.calls if c[0] in ("list_jobs", "run_job")]
    assert "Tâches planifiées" not in page_text(client.get("/gestion/candidats"))


def test_anonymous_and_candidates_are_kept_out(portal):
    services(portal)
    client = portal.test_client()
    assert client.get("/gestion/admin/jobs").status_code == 302
    login_candidate(client)
    assert client.get("/gestion/admin/jobs").status_code == 403
