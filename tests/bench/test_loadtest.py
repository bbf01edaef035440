"""The load test's instruments: bench.generate's campaign, small, loaded into a
platform of its own (as `make loadtest` does), consistent from one service's
database to the next and usable by a candidate through the real platform; and
a few seconds of the deadline-day scenario against it."""
import html
import os
import re
import pytest
import requests
from sqlalchemy import create_engine, text

from bench import deadline_day, generate

pytestmark = pytest.mark.loadtest

CANDIDATES, APPLICATIONS, FORMATIONS, CENTRES = 50, 150, 12, 2


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    prefix = os.environ.get("E2E_PREFIX", "ecandidat_e2e") + "_bench"
    saved = {k: os.environ.get(k) for k in ("DATABASE_PREFIX", "MINIO_ENDPOINT",
                                            "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_SECURE")}
    try:
        with deadline_day.running_stack(prefix, tmp_path_factory.mktemp("var")) as stack:
            counts = deadline_day.load_data(stack, 7, CANDIDATES, APPLICATIONS, FORMATIONS,
                                            CENTRES, log=lambda message: None)
            yield stack, counts, prefix
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def rows(prefix, service, statement):
    base = os.environ.get("DATABASE_BASE_URL") or "postgresql+psycopg://root@127.0.0.1:5432"
    engine = create_engine(f"{base}/{prefix}_{service}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(statement))]
    finally:
        engine.dispose()


def test_the_campaign_has_the_sizes_asked(loaded):
    _, counts, prefix = loaded
    assert rows(prefix, "accounts", "SELECT count(*) FROM candidates "
                "WHERE password_hash IS NOT NULL AND activated_at IS NOT NULL") == [(CANDIDATES,)]
    assert rows(prefix, "applications", "SELECT count(*), count(DISTINCT candidate_id) "
                "FROM applications") == [(APPLICATIONS, CANDIDATES)]
    assert rows(prefix, "catalog", "SELECT count(*), count(DISTINCT centre_id) FROM formations "
                "JOIN campaigns ON campaigns.id = campaign_id WHERE active") == \
        [(FORMATIONS, CENTRES)]
    (pieces,), = rows(prefix, "applications", "SELECT count(*) FROM application_pieces")
    assert 5 * APPLICATIONS <= pieces <= 6 * APPLICATIONS  # 5 or 6 pieces each
    statuses = dict(rows(prefix, "applications", "SELECT status, count(*) FROM applications "
                         "GROUP BY status"))
    assert set(statuses) == {"AT", "RE", "IN", "CO"}
    (decided,), = rows(prefix, "applications", "SELECT count(DISTINCT application_id) "
                       "FROM decisions")
    assert 0 < decided <= statuses["CO"]
    assert counts["applications"] == APPLICATIONS and counts["pieces"] == pieces
    # one password hash for all, of today's parameters
    assert len(rows(prefix, "accounts", "SELECT DISTINCT password_hash FROM candidates")) == 1


def test_the_same_seed_gives_the_same_campaign(loaded, monkeypatch):
    """Generating again with the seed replaces the data by the same."""
    stack, _, prefix = loaded
    query = ("SELECT id, candidate_id, formation_code, status FROM applications ORDER BY id")
    first = rows(prefix, "applications", query)
    deadline_day.load_data(stack, 7, CANDIDATES, APPLICATIONS, FORMATIONS, CENTRES,
                           log=lambda message: None)
    assert rows(prefix, "applications", query) == first


def test_the_services_databases_agree(loaded):
    _, _, prefix = loaded
    candidates = {r[0]: r[1:] for r in rows(
        prefix, "accounts", "SELECT id, dossier_number, email, first_name, last_name "
        "FROM candidates")}
    applications = rows(prefix, "applications",
                        "SELECT id, candidate_id, formation_code, centre_code, status, "
                        "candidate, formation FROM applications")
    formations = {r[0]: r[1:] for r in rows(
        prefix, "catalog", "SELECT f.code, c.code, m.code FROM formations f "
        "JOIN centres c ON c.id = f.centre_id JOIN commissions m ON m.id = f.commission_id")}
    for app_id, candidate_id, code, centre, status, candidate, formation in applications:
        assert candidate["candidate_id"] == candidate_id
        assert (candidate["dossier_number"], candidate["email"], candidate["first_name"],
                candidate["last_name"]) == candidates[candidate_id]
        assert formation["code"] == code and formations[code][0] == centre == \
            formation["centre"]["code"]
        assert formation["commission"]["code"] == formations[code][1]
    # what catalog and accounts keep from applications' events
    assert sorted(rows(prefix, "catalog", "SELECT application_id, formation_code "
                       "FROM formation_applications")) == sorted((a[0], a[2]) for a in applications)
    assert sorted(rows(prefix, "accounts", "SELECT candidate_id, centre_code "
                       "FROM candidate_centres")) == sorted({(a[1], a[3]) for a in applications})
    transmitted = [a for a in applications if a[4] != "AT"]
    assert sorted(rows(prefix, "accounts", "SELECT application_id, candidate_id "
                       "FROM transmitted_applications")) == sorted((a[0], a[1]) for a in transmitted)
    assert sorted(rows(prefix, "accounts", "SELECT candidate_id, commission_code "
                       "FROM candidate_commissions")) == \
        sorted({(a[1], formations[a[2]][1]) for a in transmitted})
    # what notifications keeps from accounts' events
    assert sorted(rows(prefix, "notifications", "SELECT candidate_id, dossier_number, email "
                       "FROM recipients")) == sorted((k, v[0], v[1]) for k, v in candidates.items())
    # every file a piece names is a stored document of the same candidate
    pieces = rows(prefix, "applications", "SELECT p.document_id, a.candidate_id, p.status "
                  "FROM application_pieces p JOIN applications a ON a.id = p.application_id")
    documents = dict(rows(prefix, "documents", "SELECT id, candidate_id FROM documents "
                          "WHERE status = 'stored'"))
    for document_id, candidate_id, status in pieces:
        if status in ("TR", "VA"):
            assert document_id is not None
        if status in ("AT", "NC"):
            assert document_id is None
        if document_id:
            assert documents[document_id] == candidate_id
    assert set(documents) == {p[0] for p in pieces if p[0]}


def test_a_generated_candidate_logs_in_and_sees_their_applications(loaded):
    stack, _, prefix = loaded
    number = 3
    mine = {code for code, in rows(prefix, "applications", "SELECT formation_code FROM "
                                   f"applications WHERE candidate_id = {number}")}
    user = requests.Session()
    home = user.get(stack.url + "/", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
    page = user.post(stack.url + "/connexion", timeout=60, data={
        "login": generate.candidate_email(number), "password": generate.PASSWORD,
        "csrf_token": token})
    assert page.status_code == 200 and page.url.endswith("/candidatures")
    shown = html.unescape(page.text)
    assert generate.dossier_number(number) in shown
    assert mine and all(code in shown for code in mine)
    one = re.search(r'href="/candidatures/(\d+)"', page.text).group(1)
    application = user.get(f"{stack.url}/candidatures/{one}", timeout=30)
    assert application.status_code == 200 and 'id="pieces"' in application.text
    # a stored piece's file is the generated PDF, served from S3
    piece = re.search(rf'href="(/candidatures/{one}/pieces/[^"/]+)"', application.text)
    if piece:
        assert user.get(stack.url + piece.group(1), timeout=30).content == generate.PDF


def test_a_generated_staff_user_lists_their_centre(loaded):
    stack, _, prefix = loaded
    staff = requests.Session()
    form = staff.get(stack.url + "/gestion/connexion", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    page = staff.post(stack.url + "/gestion/connexion", timeout=60, data={
        "login": generate.staff_login(1), "password": generate.PASSWORD, "csrf_token": token})
    assert page.status_code == 200 and "/gestion" in page.url
    listed = staff.get(stack.url + "/gestion/", params={"centre": "C01", "status": "RE"},
                       timeout=60)
    expected = rows(prefix, "applications", "SELECT count(*) FROM applications "
                    "WHERE centre_code = 'C01' AND status = 'RE'")[0][0]
    assert expected and len(set(re.findall(r'href="/gestion/candidatures/(\d+)[?"]',
                                           listed.text))) == expected


def test_a_few_seconds_of_the_deadline_day(loaded, tmp_path):
    stack, _, prefix = loaded
    step = deadline_day.run_step(stack, 10, 4, tmp_path,
                                 {"candidates": CANDIDATES, "centres": CENTRES, "prefix": prefix},
                                 think=0.3)
    # Under this machine's other work the gateway may shed a burst of logins
    # (503: more calls than its bulkhead lets wait): the only failure allowed.
    wrong = [f for f in step["failures"] if not deadline_day.shed(f)]
    assert step["requests"] > 0 and not wrong, open(step["log"]).read()[-2000:]
    served = {name for name, row in step["by_name"].items()
              if int(row["Request Count"]) > int(row["Failure Count"])}
    assert {"login", "/candidatures", "/candidatures/[id]", "/dossier", "/offre?filtre",
            "/gestion/?centre&status"} <= served
    assert step["usage"]["accounts"][1] > 0 and step["usage"]["postgresql"][1] > 0  # measured
    # resident memory of each service and of each gateway worker apart
    memory = deadline_day.memory_by_process(stack, step["snapshots"][1])
    assert {"accounts", "applications", "catalog", "documents", "notifications",
            "gateway master", "gateway worker 1", "gateway worker 2"} <= set(memory)
    assert all(memory[name] > 10 for name in ("applications", "gateway worker 2"))


def test_a_profiled_step_names_where_each_service_spends_its_time(loaded, tmp_path):
    stack, _, prefix = loaded
    step = deadline_day.run_step(stack, 6, 5, tmp_path,
                                 {"candidates": CANDIDATES, "centres": CENTRES, "prefix": prefix},
                                 think=0.3, profile=True)
    report = open(step["profile"]).read()
    assert "not read:" not in report, report[:2000]
    for group in ("applications", "accounts", "catalog", "gateway"):
        assert f"== {group}:" in report, report[:2000]
    # the services' own code shows among the functions that run, with what they call
    assert re.search(r"\d\s+\S+ \(services/", report) and "(gateway/" in report, report[:4000]


def test_the_memory_table_flags_a_process_that_grew_over_a_fifth_during_the_soak():
    start = {"applications": 100.0, "gateway worker 1": 80.0}
    end = {"applications": 125.0, "gateway worker 1": 88.0}
    table, flagged = deadline_day.memory_table([("idle", start), ("soak end", end)],
                                               soak=(start, end))
    assert flagged == ["applications"]
    assert "+25%" in table and "+10%" in table
