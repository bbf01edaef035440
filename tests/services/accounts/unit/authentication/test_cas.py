"""Internal students log in through CAS (protocol 3) against a real CAS server
over HTTP, and are matched to the student-records extract."""
import pytest

from deploy.local.cas_server import DEMO_PASSWORD
from services.accounts.authentication import cas
from services.accounts.dossier import students
from services.common.actors import ANONYMOUS
from services.common.errors import Conflict, NotFound, ValidationFailed
from tests.services.accounts.harness import PERSONAL
from tests.support.actors import candidate, staff
from tests.support.cas import EXTRACT, SERVICE, browser_login


def test_first_login_creates_the_account_from_the_extract(cas_harness):
    ticket = browser_login(cas_harness.cas, "etu.durand")
    actor = cas_harness.call("authenticate_cas", ANONYMOUS, ticket, SERVICE)
    assert actor["origin"] == "cas" and actor["email"] == "camille.durand@etu.univ-demo.fr"
    view = cas_harness.call("get_dossier", candidate(actor["id"]))
    assert view["personal"]["birth_name"] == "Durand" and view["personal"]["ine"] == "1234567890V"
    assert view["bac"]["series"] == "S" and len(view["internal"]) == 3
    assert view["internal"][2]["label"] == "Licence Informatique 3e année"
    assert view["readonly"]["bac"] is True and "birth_date" in view["readonly"]["personal"]
    assert view["complete"] == {"personal": True, "address": False, "bac": True}
    event, = cas_harness.events("account_activated")
    assert event["candidate_id"] == actor["id"]
    # no password: the form login refuses it like any wrong password
    with pytest.raises(ValidationFailed):
        cas_harness.call("authenticate_candidate", ANONYMOUS, actor["email"], "")


def test_a_ticket_works_once_and_only_for_its_service(cas_harness):
    ticket = browser_login(cas_harness.cas, "etu.durand")
    first = cas_harness.call("authenticate_cas", ANONYMOUS, ticket, SERVICE)
    cas_harness.refused(ValidationFailed, "cas_ticket_invalid", "authenticate_cas", ANONYMOUS, ticket, SERVICE)
    other = browser_login(cas_harness.cas, "etu.durand")
    cas_harness.refused(ValidationFailed, "cas_ticket_invalid", "authenticate_cas", ANONYMOUS, other,
                        "http://elsewhere.example/cas/retour")
    again = cas_harness.call("authenticate_cas", ANONYMOUS, browser_login(cas_harness.cas, "etu.durand"), SERVICE)
    assert again["id"] == first["id"]  # the same account, refreshed


def test_a_student_missing_from_the_extract_is_told_so(cas_harness):
    cas_harness.cas.users["etu.absent"] = {"password": DEMO_PASSWORD, "attributes": {
        "supannEtuId": "99999999", "mail": "absent@etu.univ-demo.fr"}}
    ticket = browser_login(cas_harness.cas, "etu.absent")
    cas_harness.refused(NotFound, "student_not_found", "authenticate_cas", ANONYMOUS, ticket, SERVICE)


def test_an_address_already_used_by_a_web_account_is_refused(cas_harness):
    cas_harness.register("minh.nguyen@etu.univ-demo.fr")
    ticket = browser_login(cas_harness.cas, "etu.nguyen")
    cas_harness.refused(Conflict, "cas_email_taken", "authenticate_cas", ANONYMOUS, ticket, SERVICE)


def test_without_cas_configured_the_login_is_refused(harness, monkeypatch):
    monkeypatch.setenv("CAS_URL", "")
    harness.refused(Conflict, "cas_disabled", "authenticate_cas", ANONYMOUS, "ST-1", SERVICE)


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


# -- audit fixes: partial extracts, INE matching and clashes, closed campaign ------------------

HEADER = EXTRACT.partition("\n")[0]


def store_extract(harness, *lines):
    from sqlalchemy.orm import Session
    with harness.engine.begin() as conn:
        with Session(bind=conn) as session:
            students.store(session, students.read("\n".join((HEADER, *lines)) + "\n"),
                           harness.clock())
            session.flush()


def add_cas_user(server, login, **attributes):
    server.users[login] = {"password": DEMO_PASSWORD, "attributes": attributes}


def test_fields_the_extract_leaves_empty_are_the_students_to_fill_and_stay(cas_harness):
    # no civility, birth date nor birth commune in the student-records system
    store_extract(cas_harness, "22100003;;;Petit;;Jules;;;FR;FR;69;;;jules.petit@etu.univ-demo.fr;"
                               "2020;S;;FR;69;Lycée du Parc;;;;;;")
    add_cas_user(cas_harness.cas, "etu.petit", supannEtuId="22100003",
                 mail="jules.petit@etu.univ-demo.fr")
    actor = cas_harness.call("authenticate_cas", ANONYMOUS, browser_login(cas_harness.cas, "etu.petit"), SERVICE)
    me = candidate(actor["id"])
    view = cas_harness.call("get_dossier", me)
    assert sorted(view["readonly"]["personal"]) == ["birth_country", "birth_department",
                                                    "birth_name", "first_name", "nationality"]
    assert view["complete"]["personal"] is False
    filled = {**view["personal"], "civility": "M", "birth_date": "2002-01-15",
              "birth_commune": "Lyon", "preferred_language": "fr"}
    view = cas_harness.call("save_dossier_section", me, "personal", filled)
    assert view["complete"]["personal"] is True
    # what the extract does not give stays at the next logins, staff corrections too
    cas_harness.call("save_dossier_section", staff("scol"), "personal",
                     {**view["personal"], "other_first_names": "Paul"}, candidate_id=actor["id"])
    cas_harness.call("authenticate_cas", ANONYMOUS, browser_login(cas_harness.cas, "etu.petit"), SERVICE)
    personal = cas_harness.call("get_dossier", me)["personal"]
    assert (personal["civility"], personal["birth_date"], personal["birth_commune"],
            personal["other_first_names"]) == ("M", "2002-01-15", "Lyon", "Paul")
    assert personal["birth_name"] == "Petit"  # the extract's own fields are refreshed


def test_a_student_is_matched_by_ine_when_cas_gives_no_student_number(cas_harness):
    add_cas_user(cas_harness.cas, "etu.ine.only", supannCodeINE="1234567890V",
                 mail="c.durand@etu.univ-demo.fr")
    actor = cas_harness.call("authenticate_cas", ANONYMOUS, browser_login(cas_harness.cas, "etu.ine.only"),
                             SERVICE)
    view = cas_harness.call("get_dossier", candidate(actor["id"]))
    assert view["personal"]["birth_name"] == "Durand" and view["personal"]["ine"] == "1234567890V"
    assert cas_harness.sql("SELECT student_number, cas_user FROM candidates") == [
        ("21900001", "etu.ine.only")]


def test_an_ine_another_dossier_holds_is_not_copied_at_cas_login(cas_harness):
    web = cas_harness.activated("web@example.org")
    cas_harness.call("save_dossier_section", web["actor"], "personal",
                     {**PERSONAL, "ine": "1234567890V"})
    actor = cas_harness.call("authenticate_cas", ANONYMOUS, browser_login(cas_harness.cas, "etu.durand"),
                             SERVICE)
    view = cas_harness.call("get_dossier", candidate(actor["id"]))
    assert "ine" not in view["personal"]
    assert cas_harness.sql("SELECT ine FROM candidates WHERE id = :id", id=actor["id"]) == [(None,)]


def test_no_cas_login_after_the_campaigns_last_login_day(cas_harness):
    cas_harness.remote["catalog.get_active_campaign"] = {"code": "2027", "login_until": "2027-03-09"}
    ticket = browser_login(cas_harness.cas, "etu.durand")
    error = cas_harness.refused(Conflict, "campaign_closed", "authenticate_cas", ANONYMOUS, ticket, SERVICE)
    assert error.fields == {"login_until": "2027-03-09"}


def test_the_extract_import_reports_clashing_ines_communes_and_bac_series():
    durand = EXTRACT.splitlines()[1]
    twin = durand.replace("21900001", "21900099", 1)  # another student, the same INE
    bad_commune = durand.replace(";69;Villeurbanne;", ";13;Villeurbanne;", 1) \
        .replace("21900001", "21900098", 1).replace("1234567890V", "", 1)
    bad_series = EXTRACT.splitlines()[4].replace(";ETR;", ";XYZ;", 1)
    with pytest.raises(students.ExtractInvalid) as info:
        students.read("\n".join((HEADER, durand, twin, bad_commune, bad_series)) + "\n")
    errors = info.value.errors
    assert "line 3: ine 1234567890V is also the INE of student 21900001 (line 2)" in errors
    assert any(e.startswith("line 4: birth_commune") and "13" in e for e in errors)
    assert any(e.startswith("line 5: bac_series") for e in errors)


def test_an_ine_already_held_by_another_student_is_refused_and_nothing_changes(cas_harness):
    durand = EXTRACT.splitlines()[1]
    before = cas_harness.sql("SELECT student_number, ine, birth_name FROM student_records ORDER BY 1")
    with pytest.raises(students.ExtractInvalid) as info:
        store_extract(cas_harness, durand.replace("21900001", "21900099", 1)
                      .replace(";Durand;", ";Durandal;", 1))
    assert info.value.errors == ["line 2: ine 1234567890V is already the INE of student 21900001"]
    assert cas_harness.sql("SELECT student_number, ine, birth_name FROM student_records "
                           "ORDER BY 1") == before
    # an INE moving from one student to another within one extract is fine
    nguyen = EXTRACT.splitlines()[4]
    store_extract(cas_harness, durand.replace("1234567890V", "", 1),
                  nguyen.replace("22000002;;", "22000002;1234567890V;", 1))
    assert cas_harness.sql("SELECT student_number, ine FROM student_records ORDER BY 1") == [
        ("21900001", None), ("22000002", "1234567890V")]
