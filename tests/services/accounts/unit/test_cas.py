"""Internal students log in through CAS (protocol 3) against a real CAS server
over HTTP, and are matched to the student-records extract (issue 3)."""
from pathlib import Path

import pytest
import requests

from deploy.local.cas_server import DEMO_PASSWORD
from services.accounts import cas, students
from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.support.cas_fixtures import cas_server  # noqa: F401  (fixture)

SERVICE = "http://portal.example/cas/retour"
EXTRACT = (Path(__file__).resolve().parents[4] / "deploy" / "local" / "demo_students.csv").read_text()


@pytest.fixture
def cas_harness(harness, cas_server, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CAS_URL", cas_server.url)
    with harness.engine.begin() as conn:
        from sqlalchemy.orm import Session
        with Session(bind=conn) as session:
            students.store(session, students.read(EXTRACT), harness.clock())
            session.flush()
    harness.cas = cas_server
    return harness


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


def test_first_login_creates_the_account_from_the_extract(cas_harness):
    ticket = browser_login(cas_harness.cas, "etu.durand")
    actor = cas_harness.call("authenticate_cas", ticket, SERVICE)
    assert actor["origin"] == "cas" and actor["email"] == "camille.durand@etu.univ-demo.fr"
    view = cas_harness.call("get_dossier", {"kind": "candidate", "id": actor["id"]})
    assert view["personal"]["birth_name"] == "Durand" and view["personal"]["ine"] == "1234567890V"
    assert view["bac"]["series"] == "S" and len(view["internal"]) == 3
    assert view["internal"][2]["label"] == "Licence Informatique 3e année"
    assert view["readonly"]["bac"] is True and "birth_date" in view["readonly"]["personal"]
    assert view["complete"] == {"personal": True, "address": False, "bac": True}
    event, = cas_harness.events("account_activated")
    assert event["candidate_id"] == actor["id"]
    # no password: the form login refuses it like any wrong password
    with pytest.raises(ValidationFailed):
        cas_harness.call("authenticate_candidate", actor["email"], "")


def test_a_ticket_works_once_and_only_for_its_service(cas_harness):
    ticket = browser_login(cas_harness.cas, "etu.durand")
    first = cas_harness.call("authenticate_cas", ticket, SERVICE)
    cas_harness.refused(ValidationFailed, "cas_ticket_invalid", "authenticate_cas", ticket, SERVICE)
    other = browser_login(cas_harness.cas, "etu.durand")
    cas_harness.refused(ValidationFailed, "cas_ticket_invalid", "authenticate_cas", other,
                        "http://elsewhere.example/cas/retour")
    again = cas_harness.call("authenticate_cas", browser_login(cas_harness.cas, "etu.durand"), SERVICE)
    assert again["id"] == first["id"]  # the same account, refreshed


def test_a_student_missing_from_the_extract_is_told_so(cas_harness):
    cas_harness.cas.users["etu.absent"] = {"password": DEMO_PASSWORD, "attributes": {
        "supannEtuId": "99999999", "mail": "absent@etu.univ-demo.fr"}}
    ticket = browser_login(cas_harness.cas, "etu.absent")
    cas_harness.refused(NotFound, "student_not_found", "authenticate_cas", ticket, SERVICE)


def test_an_address_already_used_by_a_web_account_is_refused(cas_harness):
    cas_harness.register("minh.nguyen@etu.univ-demo.fr")
    ticket = browser_login(cas_harness.cas, "etu.nguyen")
    cas_harness.refused(Conflict, "cas_email_taken", "authenticate_cas", ticket, SERVICE)


def test_without_cas_configured_the_login_is_refused(harness, monkeypatch):
    monkeypatch.setenv("CAS_URL", "")
    harness.refused(Conflict, "cas_disabled", "authenticate_cas", "ST-1", SERVICE)


def test_unreadable_or_hostile_answers_are_refused():
    with pytest.raises(cas.CasRefused):
        cas.parse('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(cas.CasRefused):
        cas.parse("not xml")
    failure = ('<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
               '<cas:authenticationFailure code="INVALID_TICKET">no</cas:authenticationFailure>'
               '</cas:serviceResponse>')
    with pytest.raises(cas.CasRefused, match="INVALID_TICKET"):
        cas.parse(failure)


def test_the_extract_import_checks_every_line_and_changes_nothing_on_error():
    bad = EXTRACT.replace("1234567890V", "1234567890A", 1).replace(";MME;Durand;", ";X;Durand;", 1)
    with pytest.raises(students.ExtractInvalid) as info:
        students.read(bad)
    assert any(e.startswith("line 2: ") and "ine" in e for e in info.value.errors)
    assert any("civility" in e for e in info.value.errors)
    missing = "student_number;first_name\n1;A\n"
    with pytest.raises(students.ExtractInvalid, match="birth_name"):
        students.read(missing)


def test_the_import_command_loads_the_extract(harness, tmp_path, monkeypatch):
    monkeypatch.setenv("ACCOUNTS_DATABASE_URL", str(harness.engine.url.render_as_string(
        hide_password=False)))
    path = tmp_path / "extract.csv"
    path.write_text(EXTRACT, encoding="utf-8")
    assert students.import_file(path) == 2
    assert students.import_file(path) == 2  # again: replaced, not doubled
    assert harness.sql("SELECT student_number, jsonb_array_length(cursus) FROM student_records "
                       "ORDER BY 1") == [("21900001", 3), ("22000002", 1)]
