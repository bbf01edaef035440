"""Every mail, in French and English, says what the candidate needs."""
import pytest

from services.notifications import domain

# The mails the product promises, each caused by an event.
PROMISED = ["ACCOUNT_CREATED", "ACCOUNT_ACTIVATION_RESENT", "ACCOUNT_CREDENTIALS",
            "ACCOUNT_EMAIL_CHANGE", "ACCOUNT_DELETED", "APPLICATION_CREATED",
            "APPLICATION_CANCELLED", "STATUS_RE", "STATUS_IN", "STATUS_CO", "TREATMENT_AD",
            "TREATMENT_AC", "DECISION_FA", "DECISION_DE", "DECISION_LC", "DECISION_LA",
            "DECISION_PR", "APPLICATION_CONFIRMED", "APPLICATION_WITHDRAWN",
            "APPLICATION_WITHDRAWN_AUTO", "REMINDER_TRANSMIT", "REMINDER_CONFIRM",
            "COMMISSION_TRANSMITTED", "COMMISSION_CANCELLED", "COMMISSION_WITHDRAWN",
            "COMMISSION_PROMOTED"]
CODES = list(domain.CODES)
TO_ONE_CANDIDATE = [code for code in CODES if code != "COMMISSION_DIGEST"]
RECIPIENT = {"email": "lea@example.org", "dossier_number": "22PB7Y36", "civility": "MME",
             "first_name": "Léa", "last_name": "Martin", "lang": "fr"}
EVENT = {"application_id": 12, "candidate_id": 7,
         "formation": {"code": "MINFO1", "label": "Master Informatique"},
         "centre": {"email": "scolarite-sciences@univ-demo.fr"},
         "commission": {"label": "Commission Informatique"},
         "return_deadline": "2027-02-05", "confirm_deadline": "2027-03-20T23:59:00+00:00",
         "reason": "Capacité atteinte", "rank": 3, "comment": "Bon dossier",
         "convocation": {"date": "2027-02-10", "time": "09:30", "place": "Salle B12"}}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", TO_ONE_CANDIDATE)
def test_every_mail_names_the_candidate_the_file_and_the_contact(code, lang):
    variables = {**domain.variables(EVENT, RECIPIENT, lang),
                 "link": "http://portal/compte/activer/abc",
                 "expires_at": "2026-11-24T10:00:00+00:00",
                 "refused_pieces": [{"label": "Curriculum vitae", "comment": "Illisible"}]}
    subject, body = domain.render(code, lang, variables)
    assert subject and "{{" not in subject + body
    assert "Léa Martin" in body
    assert "22PB7Y36" in body
    assert "scolarite-sciences@univ-demo.fr" in body
    assert ("Merci de ne pas répondre" if lang == "fr" else "Please do not reply") in body
    if not code.startswith("ACCOUNT_"):
        assert "Master Informatique" in subject


def test_every_promised_mail_has_a_template_in_both_languages():
    assert len(PROMISED) == 26 and set(PROMISED) <= set(domain.CODES)
    for code in domain.CODES:
        for lang in domain.LANGUAGES:
            assert domain.template_exists(code, lang), f"{lang}/{code}.txt missing"


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", CODES)
def test_every_shipped_template_uses_only_the_variables_its_code_offers(code, lang):
    subject, body = domain.default_source(code, lang)
    domain.check_template(code, lang, subject, body)  # raises on an unknown variable


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("code", CODES)
def test_every_variable_a_code_offers_renders(code, lang):
    """A template printing every listed variable renders with the sample: the
    list shown to administrators is what the mail really gets."""
    body = "\n".join("{{ %s }}" % name for name in domain.variable_names(code))
    domain.check_template(code, lang, "S", body)
    _, text = domain.render(code, lang, domain.sample_variables(code, lang), source=("S", body))
    assert "Merci de ne pas répondre" in text or "Please do not reply" in text
    assert "Undefined" not in text


@pytest.mark.parametrize("body, kind, line", [
    ("Bonjour {{ name }}\n{{ event.password }}", "unknown_variable", 2),
    ("Bonjour\n\n{{ candidat }}", "unknown_variable", 3),
    ("Bonjour\n{% if name %}", "template_syntax", 2),
    ("{{ name|nosuchfilter }}", "template_syntax", 1),
    ("{{ ''.__class__.__mro__ }}", "template_render", 1),
    ("{{ 1 / 0 }}", "template_render", 1),
])
def test_a_bad_template_is_refused_with_its_line(body, kind, line):
    with pytest.raises(domain.TemplateProblem) as refused:
        domain.check_template("STATUS_CO", "fr", "Sujet", body)
    assert (refused.value.kind, refused.value.line) == (kind, line)


def test_every_mail_has_an_html_part_with_the_same_text_escaped():
    variables = {**domain.variables(EVENT, RECIPIENT, "fr"), "refused_pieces": []}
    subject, body = domain.render("STATUS_CO", "fr", variables)
    html = domain.html_part(subject, body + "<script>x</script>", "fr")
    assert "Madame Léa Martin" in html and "<script>" not in html and "&lt;script&gt;" in html
    assert "Merci de ne pas répondre" in html


def test_details_each_mail_must_carry():
    base = {**domain.variables(EVENT, RECIPIENT, "fr"),
            "link": "http://portal/compte/activer/abc",
            "expires_at": "2026-11-24T10:00:00+00:00",
            "refused_pieces": [{"label": "Curriculum vitae", "comment": "Illisible"}]}
    assert "http://portal/compte/activer/abc" in domain.render("ACCOUNT_CREATED", "fr", base)[1]
    assert "le 24/11/2026 à 11 h 00" in domain.render("ACCOUNT_CREATED", "fr", base)[1]  # Paris
    assert "Curriculum vitae : Illisible" in domain.render("STATUS_IN", "fr", base)[1]
    assert "05/02/2027" in domain.render("APPLICATION_CREATED", "fr", base)[1]
    assert "Capacité atteinte" in domain.render("DECISION_DE", "fr", base)[1]
    assert "rang 3" in domain.render("DECISION_LC", "fr", base)[1]
    assert "Salle B12" in domain.render("DECISION_PR", "fr", base)[1]
    assert "au plus tard le" in domain.render("REMINDER_TRANSMIT", "fr", base)[1]
    promoted = domain.render("DECISION_FA", "fr", {**base, "event": {**EVENT, "promoted": True}})
    assert "liste complémentaire" in promoted[1]
    fa = domain.render("DECISION_FA", "fr", base)[1]
    assert "/candidatures/12" in fa and "21/03/2027" in fa


def test_the_greeting_uses_the_civility_in_each_language():
    assert domain.greeting_name(RECIPIENT, "fr") == "Madame Léa Martin"
    assert domain.greeting_name({**RECIPIENT, "civility": "M"}, "en") == "Mr Léa Martin"
    assert domain.greeting_name({**RECIPIENT, "civility": None}, "fr") == "Léa Martin"


def test_an_unknown_language_falls_back_to_french():
    subject, _ = domain.render("STATUS_CO", "de", domain.variables(EVENT, RECIPIENT, "de"))
    assert subject.startswith("Dossier complet")


def test_without_a_centre_the_institution_contact_ends_the_mail(monkeypatch):
    monkeypatch.setenv("INSTITUTION_CONTACT_EMAIL", "aide@univ-demo.fr")
    _, body = domain.render("STATUS_CO", "fr", domain.variables({**EVENT, "centre": {}}, RECIPIENT, "fr"))
    assert "aide@univ-demo.fr" in body


@pytest.mark.parametrize("event_type, fields, code", [
    ("candidate_registered", {}, "ACCOUNT_CREATED"),
    ("activation_requested", {}, "ACCOUNT_ACTIVATION_RESENT"),
    ("credentials_requested", {}, "ACCOUNT_CREDENTIALS"),
    ("email_change_requested", {}, "ACCOUNT_EMAIL_CHANGE"),
    ("account_deleted", {}, "ACCOUNT_DELETED"),
    ("account_already_exists", {}, "ACCOUNT_ALREADY_EXISTS"),
    ("application_created", {}, "APPLICATION_CREATED"),
    ("status_changed", {"to_status": "RE"}, "STATUS_RE"),
    ("status_changed", {"to_status": "IN"}, "STATUS_IN"),
    ("status_changed", {"to_status": "CO"}, "STATUS_CO"),
    ("status_changed", {"to_status": "AT"}, None),
    ("decision_validated", {"code": "LC"}, "DECISION_LC"),
    ("decision_validated", {"code": "XX"}, None),
    ("application_withdrawn", {"automatic": False}, "APPLICATION_WITHDRAWN"),
    ("application_withdrawn", {"automatic": True}, "APPLICATION_WITHDRAWN_AUTO"),
    ("application_cancelled", {}, "APPLICATION_CANCELLED"),
    ("application_transmitted", {}, None),
])
def test_which_event_sends_which_mail(event_type, fields, code):
    assert domain.mail_code(event_type, fields) == code


def test_dates_and_times_read_naturally_in_each_language():
    assert domain.natural_datetime("2027-02-14T22:59:00+00:00", "fr") == "14/02/2027 à 23 h 59"
    assert domain.natural_datetime("2027-02-14T22:59:00+00:00", "en") == \
        "14 February 2027 at 11:59 pm"
    assert domain.natural_date("2027-02-05", "en") == "5 February 2027"
    assert domain.natural_datetime("2027-02-05", "fr") == "05/02/2027"  # a deadline day
    for lang, expected in (("fr", "05/02/2027"), ("en", "5 February 2027")):
        body = domain.render("APPLICATION_CREATED", lang, {
            **domain.variables(EVENT, RECIPIENT, lang), "refused_pieces": []})[1]
        assert expected in body


def test_english_mails_say_at_and_deadlines_include_the_day():
    base = {**domain.variables(EVENT, RECIPIENT, "en"), "link": "x",
            "expires_at": "2026-11-24T10:00:00+00:00", "refused_pieces": []}
    created = domain.render("ACCOUNT_CREATED", "en", base)[1]
    assert "on 24 November 2026 at 11:00 am" in created and " à " not in created  # Paris time
    assert "at the latest" in domain.render("APPLICATION_CREATED", "en", base)[1]
    french = {**domain.variables(EVENT, RECIPIENT, "fr"), "refused_pieces": []}
    assert "au plus tard le 05/02/2027" in domain.render("APPLICATION_CREATED", "fr", french)[1]
    assert "au plus tard le 21/03/2027" in domain.render("DECISION_FA", "fr", french)[1]
