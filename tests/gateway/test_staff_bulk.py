"""The staff list's bulk actions and the notes and tags panel of an application,
with the services faked (bulk_apply, add_note and set_tags are tested against
the real database in tests/services/applications/unit)."""
import re

import pytest

from services.common.errors import Forbidden, ValidationFailed
from tests.support.gateway import APPLICATION, DOSSIER, REFERENCE, TOK, as_staff, fake, page_text

ROWS = [{"id": n, "status": "RE", "cancelled": False, "archived": False,
         "transmitted_at": "2027-03-10T09:00:00+00:00",
         "formation": {"code": "MINFO1", "label": "Master Info"}, "centre": {"code": "SCI"},
         "candidate": {"id": n, "dossier_number": f"27AB{n:04d}", "first_name": "Léa",
                       "last_name": f"Martin{n}", "email": f"c{n}@example.org"},
         "decision": None, "pending_decision": None} for n in (11, 12, 13)]
TAGS = [{"kind": "tag", "code": "PRIO", "label": "Prioritaire", "colour": "#d11a2a",
         "order": 1, "active": True},
        {"kind": "tag", "code": "OLD", "label": "Ancienne", "colour": "#777777", "order": 2,
         "active": False}]
ANSWER = {"done": [11], "unchanged": [12],
          "refused": [{"id": 13, "code": "pieces_refused"}, {"id": 99, "code": "out_of_scope"},
                      {"id": 98, "code": "not_found"}], "total": 5}
STAFF_APPLICATION = {
    **APPLICATION, "status": "RE", "candidate": {"id": 7, "last_name": "Martin",
                                                 "first_name": "Léa"},
    "formation": {"code": "MINFO1", "label": "Master Informatique"},
    "notes": [{"id": 2, "author_name": "Claire Scol", "body": "Relevé reçu\nà vérifier",
               "created_at": "2027-03-11T09:00:00+00:00", "author_id": 2},
              {"id": 1, "author_name": "Paul Gestion", "body": "Appeler le candidat",
               "created_at": "2027-03-10T09:00:00+00:00", "author_id": 3}],
    "tags": [{"code": "PRIO", "added_by": "Paul", "added_at": "2027-03-10T09:00:00+00:00"},
             {"code": "OLD", "added_by": "Paul", "added_at": "2027-03-10T09:00:00+00:00"}],
    "decisions": [], "pending_decision": None, "can_validate": True}


@pytest.fixture
def remote(app):
    return fake(app, catalog={"list_centres": [{"code": "SCI", "label": "UFR Sciences"}],
                              "list_reference": TAGS},
                applications={"list_applications": {"items": ROWS, "total": 240, "page": 1,
                                                    "per_page": 50},
                              "bulk_apply": ANSWER, "get_application": STAFF_APPLICATION,
                              "add_note": [], "set_tags": []},
                accounts={"get_dossier": DOSSIER, "reference_data": REFERENCE})


def staff_client(app, role="manager"):
    client = app.test_client()
    as_staff(client, role, ["SCI"])
    return client


def bulk_calls(remote):
    return [args for method, args in remote.applications.calls if method == "bulk_apply"]


def test_the_list_offers_a_checkbox_per_row_and_the_whole_filters_selection(app, remote):
    page = page_text(staff_client(app).get("/gestion/?status=RE&tag=PRIO"))
    assert re.findall(r'name="ids" value="(\d+)" form="bulk"', page) == ["11", "12", "13"]
    assert 'data-select-all="ids"' in page
    assert "Tout sélectionner sur la page (3)" in page
    assert "Toute la sélection du filtre (240)" in page
    # the list's filters travel with the form, for "the whole selection"
    assert '<input type="hidden" name="filter.status" value="RE">' in page
    assert '<input type="hidden" name="filter.tag" value="PRIO">' in page
    asked = [a for m, a in remote.applications.calls if m == "list_applications"][0]
    assert asked[1] == {"status": "RE", "tag": "PRIO"}


def test_a_readonly_user_gets_no_bulk_form(app, remote):
    page = page_text(staff_client(app, "readonly").get("/gestion/"))
    assert 'id="bulk"' not in page and 'name="ids"' not in page


def test_the_ticked_rows_are_sent_and_the_result_says_what_became_of_each(app, remote):
    client = staff_client(app)
    answer = client.post("/gestion/lot", data={
        "csrf_token": TOK, "idempotency_key": "key-1", "scope": "selected",
        "ids": ["11", "12", "13"], "action": "file_status", "status": "CO",
        "filter.status": "RE"})
    assert answer.status_code == 200
    assert bulk_calls(remote)[0][1:] == ("file_status", {"status": "CO"}, ["11", "12", "13"],
                                         None)
    page = page_text(answer)
    assert "5 candidature(s) : 1 modifiée(s), 1 déjà dans cet état, 3 refusée(s)." in page
    rows = re.findall(r'<tr class="(\w+)"><td>(.*?)</td><td>(.*?)</td></tr>', page)
    assert [(kind, re.sub("<[^>]+>", "", who), what) for kind, who, what in rows] == [
        ("done", "n° 11", "Modifiée"),
        ("unchanged", "n° 12", "Inchangée : déjà dans cet état"),
        ("refused", "n° 13",
         "Refusée : Des pièces sont refusées : le dossier ne peut pas être complet."),
        ("refused", "n° 99", "Refusée : Cette candidature n'appartient pas à vos centres."),
        ("refused", "n° 98", "Refusée : Introuvable.")]


def test_the_whole_filters_selection_sends_the_filters_not_ids(app, remote):
    client = staff_client(app)
    client.post("/gestion/lot", data={
        "csrf_token": TOK, "idempotency_key": "key-2", "scope": "filter", "ids": ["11"],
        "action": "enter_decision", "decision_code": "LC", "rank": "3", "comment": "",
        "filter.status": "CO", "filter.q": "martin", "filter.tag": "PRIO"})
    remote_call = remote.applications.calls[-1]
    assert remote_call[0] == "bulk_apply"
    assert remote_call[1][1:] == ("enter_decision", {"code": "LC", "data": {"rank": "3"}}, None,
                                  {"status": "CO", "q": "martin", "tag": "PRIO"})


def test_the_pages_rows_and_tags_parameters(app, remote):
    client = staff_client(app)
    client.post("/gestion/lot", data={
        "csrf_token": TOK, "idempotency_key": "key-3", "scope": "page",
        "page_ids": ["11", "12", "13"], "ids": ["12"], "action": "add_tags", "tags": ["PRIO"]})
    assert bulk_calls(remote)[0][1:] == ("add_tags", {"tags": ["PRIO"]}, ["11", "12", "13"],
                                         None)


def test_nothing_ticked_or_a_refused_request_comes_back_to_the_list_with_the_reason(app, remote):
    client = staff_client(app)
    answer = client.post("/gestion/lot", data={"csrf_token": TOK, "scope": "selected",
                                               "action": "validate_decision",
                                               "filter.status": "CO"})
    assert answer.status_code == 302 and answer.location.endswith("/gestion/?status=CO")
    assert bulk_calls(remote) == []
    assert "Cochez au moins une candidature." in page_text(client.get("/gestion/"))
    remote.applications.answers["bulk_apply"] = ValidationFailed(
        "bulk_too_many", "too many", {"application_ids": "bulk_too_many", "limit": "5000"})
    answer = client.post("/gestion/lot", data={"csrf_token": TOK, "scope": "filter",
                                               "action": "validate_decision"})
    assert answer.status_code == 302
    assert "Trop de candidatures pour une action groupée" in page_text(client.get("/gestion/"))


def test_a_role_the_service_refuses_gets_a_403(app, remote):
    remote.applications.answers["bulk_apply"] = Forbidden("read_only", "no")
    answer = staff_client(app, "readonly").post("/gestion/lot", data={
        "csrf_token": TOK, "scope": "selected", "ids": ["11"], "action": "file_status",
        "status": "CO"})
    assert answer.status_code == 403


# -- notes and tags of one application ---------------------------------------------------

def test_the_application_shows_its_notes_newest_first_and_its_tags(app, remote):
    page = page_text(staff_client(app).get("/gestion/candidatures/5"))
    notes = page[page.index("Bloc-notes"):]
    assert notes.index("Relevé reçu") < notes.index("Appeler le candidat")
    assert "Claire Scol" in notes and "Paul Gestion" in notes
    tags = re.search(r'<p id="tags">(.*?)</p>', page, re.S).group(1)
    assert "Prioritaire" in tags and 'fill="#d11a2a"' in tags and "Ancienne" in tags
    # a deactivated tag stays ticked where it is, and is offered nowhere else
    assert re.search(r'value="OLD" checked', page)


def test_a_note_is_sent_and_a_refused_one_comes_back_as_typed(app, remote):
    client = staff_client(app)
    answer = client.post("/gestion/candidatures/5/notes",
                         data={"csrf_token": TOK, "idempotency_key": "n-1", "body": "Vu"})
    assert answer.status_code == 302 and answer.location.endswith("/gestion/candidatures/5#notes")
    assert ("add_note", (remote.applications.calls[-1][1][0], 5, "Vu")) == \
        remote.applications.calls[-1]
    remote.applications.answers["add_note"] = ValidationFailed(
        "invalid", "control", {"body": "control_character"})
    answer = client.post("/gestion/candidatures/5/notes",
                         data={"csrf_token": TOK, "body": "Ma longue note\u202e"})
    assert answer.status_code == 422
    page = page_text(answer)
    assert "Ma longue note\u202e</textarea>" in page
    assert 'class="field-error"' in page


def test_tags_are_saved_from_the_checkboxes(app, remote):
    client = staff_client(app)
    answer = client.post("/gestion/candidatures/5/etiquettes",
                         data={"csrf_token": TOK, "idempotency_key": "t-1",
                               "tags": ["PRIO", "OLD"]})
    assert answer.status_code == 302
    assert remote.applications.calls[-1][0] == "set_tags"
    assert remote.applications.calls[-1][1][1:] == (5, ["PRIO", "OLD"])


def test_a_readonly_user_sees_notes_but_no_form(app, remote):
    page = page_text(staff_client(app, "readonly").get("/gestion/candidatures/5"))
    assert "Appeler le candidat" in page
    assert "/notes" not in page and "/etiquettes" not in page


def test_what_a_request_did_not_reach_is_offered_to_continue(app, remote):
    remote.applications.answers["bulk_apply"] = {
        "done": [11], "unchanged": [], "refused": [], "remaining": [12, 13], "total": 3}
    page = page_text(staff_client(app).post("/gestion/lot", data={
        "csrf_token": TOK, "idempotency_key": "key-4", "scope": "filter",
        "action": "piece_status", "piece_code": "CV", "piece_status": "RE",
        "piece_comment": "Illisible", "filter.status": "RE"}))
    form = re.search(r'<form id="bulk-continue".*?</form>', page, re.S).group(0)
    assert "2 candidature(s) n'ont pas encore été traitées" in form
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    assert ("ids", "12") in fields and ("ids", "13") in fields
    assert ("scope", "selected") in fields and ("action", "piece_status") in fields
    assert ("piece_comment", "Illisible") in fields and ("filter.status", "RE") in fields
    assert ("idempotency_key", "key-4") not in fields  # a fresh key: it is another request


def test_a_convocation_is_sent_with_its_day_as_iso(app, remote):
    staff_client(app).post("/gestion/lot", data={
        "csrf_token": TOK, "scope": "selected", "ids": ["11"], "action": "enter_decision",
        "decision_code": "PR", "date": "22/11/2027", "time": "14h30", "place": "Salle 2"})
    assert bulk_calls(remote)[0][2] == {"code": "PR", "data": {
        "date": "2027-11-22", "time": "14h30", "place": "Salle 2"}}
