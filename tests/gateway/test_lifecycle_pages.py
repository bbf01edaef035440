"""The lifecycle on the pages: the staff application page's controls (treatment
type, override dates, paper file, refusal motives), a stale form's refusal in
words; the candidate sees the decision's reason, rank, convocation and
enrolment code, never a decision not validated."""
from services.common.errors import Conflict
from tests.support.gateway import (APPLICATION, CSRF, as_staff, fake, login_candidate,
                                   page_text, staff_services)

STAFF_VIEW = {**APPLICATION, "status": "AT", "version": 7, "treatment_type": "AD",
              "treatment_validated_at": None, "can_validate_treatment": True,
              "can_set_overrides": True, "can_receive_paper_file": True, "can_validate": False,
              "return_deadline": "2027-04-30", "return_deadline_override": "2027-04-30",
              "confirm_deadline_override": None, "opi_code": "SCI000042", "rank_real": None,
              "candidate": {"id": 7, "dossier_number": "22PB7Y36", "first_name": "Léa",
                            "last_name": "Martin", "email": "lea@example.org"}}


def staff_page(app, **answers):
    remote = staff_services(app)
    remote.services["applications"].answers.update({"get_application": STAFF_VIEW, **answers})
    remote.services["catalog"].answers["list_reference"] = [
        {"code": "CAPACITE", "label": "Capacité atteinte"}]
    client = app.test_client()
    as_staff(client)
    return remote, client, client.get("/gestion/candidatures/5").get_data(as_text=True)


def test_the_staff_page_offers_the_lifecycle_controls_and_sends_the_version(app):
    remote, client, page = staff_page(app, validate_treatment={}, set_overrides={},
                                      receive_paper_file={})
    assert "Accès direct" in page and "SCI000042" in page
    assert '<option value="CAPACITE">Capacité atteinte</option>' in page
    assert 'name="return_deadline"' in page and 'value="30/04/2027"' in page
    token = CSRF.search(page).group(1)
    client.post("/gestion/candidatures/5/type-traitement/valider",
                data={"csrf_token": token, "version": "7"})
    client.post("/gestion/candidatures/5/dossier-papier", data={"csrf_token": token,
                                                                "version": "7"})
    client.post("/gestion/candidatures/5/dates", data={
        "csrf_token": token, "version": "7", "return_deadline": "",
        "confirm_deadline": "15/06/2027"})
    sent = [(m, args[1]) for m, args in remote.applications.calls if m != "get_application"]
    assert sent == [("validate_treatment", 5), ("receive_paper_file", 5), ("set_overrides", 5)]


def test_a_stale_form_is_told_in_french(app):
    remote, client, page = staff_page(app, set_overrides=Conflict("stale_application", "x"))
    answer = client.post("/gestion/candidatures/5/dates", data={
        "csrf_token": CSRF.search(page).group(1), "version": "6", "return_deadline": "",
        "confirm_deadline": ""}, follow_redirects=True)
    assert "modifiée entre-temps" in page_text(answer)


def test_the_candidate_sees_reason_rank_convocation_and_enrolment_code(app):
    decided = {**APPLICATION, "status": "CO", "missing": [], "can_cancel": False,
               "decision": {"code": "LC", "rank": 3, "reason": None, "comment": None,
                            "convocation": None},
               "confirm_deadline": None, "opi_code": None}
    remote = fake(app, applications={"get_application": decided})
    client = app.test_client()
    login_candidate(client)
    text = page_text(client.get("/candidatures/5"))
    assert "Votre rang sur la liste complémentaire : 3" in text
    remote.services["applications"].answers["get_application"] = {
        **decided, "decision": {"code": "PR", "rank": None, "reason": None, "comment": None,
                                "convocation": {"date": "2027-05-20", "time": "14:00",
                                                "place": "Amphi B"}}}
    text = page_text(client.get("/candidatures/5"))
    assert "14:00" in text and "Amphi B" in text
    remote.services["applications"].answers["get_application"] = {
        **decided, "decision": {"code": "FA", "rank": None, "reason": None, "comment": None,
                                "convocation": None},
        "confirmed_at": "2027-05-02T10:00:00+00:00", "opi_code": "SCI000042"}
    assert "SCI000042" in page_text(client.get("/candidatures/5"))
    remote.services["applications"].answers["get_application"] = {
        **decided, "decision": {"code": "DE", "rank": None, "reason": "Capacité atteinte",
                                "comment": None, "convocation": None}}
    assert "Capacité atteinte" in page_text(client.get("/candidatures/5"))
