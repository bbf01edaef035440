"""The dossier's forms are drawn from the schema accounts publishes: a field
accounts adds shows in the candidate's and the staff's form and is sent back,
with no gateway change; required marks follow the schema."""
import re

from services.accounts.dossier import entries, form_schema, sections
from tests.support.actors import staff
from tests.support.gateway import DOSSIER, REFERENCE, TOK, fake, login_as, login_candidate


def label_of(page, name):
    return re.search(r'<label for="%s">([^<]*)</label>' % name, page).group(1)


def with_schema(**changes):
    return {**REFERENCE, "form": form_schema.form_schema(), **changes}


def test_a_field_added_in_accounts_shows_in_the_form_and_is_sent(app, monkeypatch):
    monkeypatch.setitem(sections.FIELDS, "personal",
                        (*sections.FIELDS["personal"], "second_nationality"))
    monkeypatch.setitem(form_schema.CHOICES["personal"], "second_nationality", "countries")
    monkeypatch.setitem(entries.FIELDS, "internships",
                        {**entries.FIELDS["internships"], "supervisor": (True, 100)})
    remote = fake(app, accounts={"get_dossier": DOSSIER, "reference_data": with_schema(),
                                 "save_dossier_section": DOSSIER, "add_dossier_entry": DOSSIER})
    client = app.test_client()
    login_candidate(client)
    page = client.get("/dossier/personal").get_data(as_text=True)
    assert '<select id="second_nationality" name="second_nationality"' in page
    assert label_of(page, "second_nationality") == "Second nationality"  # no translation yet
    client.post("/dossier/personal", data={"csrf_token": TOK, "civility": "M",
                                           "second_nationality": "FR"})
    _, (_, section, posted) = remote.accounts.calls[-1]
    assert section == "personal" and posted["second_nationality"] == "FR"

    page = client.get("/dossier/stages").get_data(as_text=True)
    assert 'name="supervisor"' in page and label_of(page, "supervisor") == "Supervisor *"
    client.post("/dossier/stages", data={"csrf_token": TOK, "supervisor": "M. Dupont"})
    method, (_, section, data) = remote.accounts.calls[-1]
    assert (method, section, data["supervisor"]) == ("add_dossier_entry", "internships",
                                                     "M. Dupont")

    login_as(client, staff("scol", id=3))
    page = client.get("/gestion/candidats/7/dossier/personal").get_data(as_text=True)
    assert 'name="second_nationality"' in page


def test_required_marks_follow_the_schema(app):
    schema = form_schema.form_schema()
    for field in schema["personal"]["fields"]:
        field["required"] = field["name"] == "phone"  # phone only, as accounts would say
    fake(app, accounts={"get_dossier": DOSSIER, "reference_data": with_schema(form=schema)})
    client = app.test_client()
    login_candidate(client)
    page = client.get("/dossier/personal").get_data(as_text=True)
    assert label_of(page, "phone") == "Téléphone *"
    assert label_of(page, "civility") == "Civilité"
    assert 'id="phone" name="phone" type="text" value="" required' in page


def test_the_published_schema_marks_what_completeness_requires():
    schema = form_schema.form_schema()
    required = {section: {f["name"] for f in schema[section]["fields"] if f["required"]}
                for section in schema}
    assert required["personal"] == {"civility", "birth_name", "first_name", "birth_date",
                                    "nationality", "birth_country", "preferred_language"}
    assert required["address"] == {"line1", "country"}
    assert required["bac"] == {"has_bac"}
    assert required["external"] == {"year", "country", "diploma_type", "label", "obtained"}
    assert [s for s in schema if schema[s]["list"]] == ["external", "internships", "experience"]


def test_the_birth_date_is_typed_day_first_and_reaches_accounts_as_a_date(app):
    dossier = {**DOSSIER, "personal": {**(DOSSIER.get("personal") or {}), "birth_date": "2002-03-09"}}
    remote = fake(app, accounts={"get_dossier": dossier, "reference_data": with_schema(),
                                 "save_dossier_section": dossier})
    client = app.test_client()
    login_candidate(client)
    page = client.get("/dossier/personal").get_data(as_text=True)
    assert label_of(page, "birth_date") == "Date de naissance *"
    assert 'id="birth_date" name="birth_date" type="text"' in page
    assert 'value="09/03/2002"' in page and "jj/mm/aaaa" in page
    # sent back as shown, or corrected, the date reaches accounts as a date
    client.post("/dossier/personal", data={"csrf_token": TOK, "birth_date": "09/03/2002"})
    assert remote.accounts.calls[-1][1][2]["birth_date"] == "2002-03-09"
    client.post("/dossier/personal", data={"csrf_token": TOK, "birth_date": "31/02/2002"})
    assert remote.accounts.calls[-1][1][2]["birth_date"] == "31/02/2002"  # accounts refuses it

    login_as(client, staff("scol", id=3))
    client.post("/gestion/candidats/7/dossier/personal",
                data={"csrf_token": TOK, "birth_date": "9.3.2002"})
    assert [args[2]["birth_date"] for method, args in remote.accounts.calls
            if method == "save_dossier_section"][-1] == "2002-03-09"
