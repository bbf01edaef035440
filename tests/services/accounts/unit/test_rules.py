"""The pure rules of accounts: password policy, dossier numbers, emails, the
birth-date range, section fields, completeness and order, reference lists."""
from datetime import date, datetime, timezone

import pytest

from services.accounts import domain, seed
from services.accounts.authentication import passwords
from services.accounts.dossier import reference, sections
from services.common.text import fold
from tests.services.accounts.harness import PASSWORD

TODAY = date(2027, 3, 10)


# -- passwords ------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["Candidat-2027!", "Aa1!aaaaaa", "Été-2027-ok", "P@ss w0rd x"])
def test_strong_passwords(password):
    assert domain.is_strong_password(password)


@pytest.mark.parametrize("password, missing", [
    ("Aa1!aaaaa", "10 characters"),
    ("candidat-2027!", "an upper-case letter"),
    ("CANDIDAT-2027!", "a lower-case letter"),
    ("Candidat-deux!", "a digit"),
    ("Candidat2027ab", "a special character"),
    ("", "anything"),
    (None, "a string"),
    ("Aa1!" + "a" * 300, "a sane length"),
])
def test_weak_passwords(password, missing):
    assert not domain.is_strong_password(password), missing


LEA = passwords.personal_words("Léa", "Martin", "lea.martin@example.org", "AB3DE5FG")


@pytest.mark.parametrize("password", [seed.DEMO_PASSWORD, PASSWORD, "Nouveau-Secret-2027?",
                                      "Gestion-2027-pass!", "vélo Trombone 7 nuage!",
                                      "Xk7#pQ2!vL9z" * 20])
def test_passwords_hard_to_guess_pass_the_estimator(password):
    assert passwords.guessable(password, LEA) is None


def test_what_a_guesser_knows_of_the_user():
    assert {"léa", "martin", "lea.martin@example.org", "lea", "example", "ab3de5fg",
            "martinléa", "leamartin"} <= set(LEA)
    assert passwords.guessable("Martin2027!", LEA) == "password_personal"
    assert passwords.guessable("Martin2027!", []) is not None  # a common surname anyway
    assert passwords.guessable("AB3DE5FG-ab!", LEA) == "password_personal"
    assert passwords.guessable("AB3DE5FG-ab!", []) is None  # only the owner's number


# -- dossier numbers ------------------------------------------------------------------

def test_dossier_numbers_are_8_upper_case_letters_and_digits():
    numbers = {domain.new_dossier_number() for _ in range(500)}
    assert len(numbers) == 500  # random, not a sequence
    for number in numbers:
        assert domain.is_dossier_number(number)
        assert len(number) == 8 and number.isalnum() and number == number.upper()
        assert not set(number) & set("IOL01")  # no characters read one for another


@pytest.mark.parametrize("text", ["22PB7Y36", "ABCDEFGH", "12345678"])
def test_dossier_number_format_accepts(text):
    assert domain.is_dossier_number(text)


@pytest.mark.parametrize("text", ["22pb7y36", "22PB7Y3", "22PB7Y366", "22PB-Y36", "", None])
def test_dossier_number_format_refuses(text):
    assert not domain.is_dossier_number(text)


# -- emails ---------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["lea@example.org", "Lea.Martin+candidature@univ-lyon.fr",
                                   "o'brien@mail.example.co.uk", "x@a.io"])
def test_valid_emails(email):
    assert domain.is_valid_email(email)


@pytest.mark.parametrize("email", ["lea", "lea@", "@example.org", "lea@example", "lea@@example.org",
                                   "lea martin@example.org", "lea@exa mple.org", "lea.@example.org",
                                   "lea@-example.org", "a" * 250 + "@example.org", ""])
def test_invalid_emails(email):
    assert not domain.is_valid_email(email)


def test_email_key_ignores_case_and_spaces():
    assert domain.email_key("  Lea.Martin@Example.ORG ") == "lea.martin@example.org"


# -- activation tokens ------------------------------------------------------------

def test_tokens_are_random_and_stored_hashed():
    token = domain.new_activation_token()
    assert len(token) >= 43 and token != domain.new_activation_token()
    assert domain.token_hash(token) == domain.token_hash(token) != token
    assert len(domain.token_hash(token)) == 64


def test_activation_lasts_activation_hours(monkeypatch):
    now = datetime(2027, 3, 10, 9, tzinfo=timezone.utc)
    assert domain.activation_expiry(now) == datetime(2027, 3, 12, 9, tzinfo=timezone.utc)
    monkeypatch.setenv("ACTIVATION_HOURS", "2")
    assert domain.activation_expiry(now) == datetime(2027, 3, 10, 11, tzinfo=timezone.utc)
    expiry = domain.activation_expiry(now)
    assert not domain.is_expired(expiry, datetime(2027, 3, 10, 10, 59, 59, tzinfo=timezone.utc))
    assert domain.is_expired(expiry, expiry)


# -- dates ----------------------------------------------------------------------------

@pytest.mark.parametrize("born, ok", [
    (date(2017, 3, 10), True),    # 10 years old today
    (date(2017, 3, 11), False),   # 10 tomorrow
    (date(1927, 3, 10), True),    # 100 today
    (date(1927, 3, 9), False),    # over 100
    (date(2001, 5, 14), True),
    (date(2030, 1, 1), False),
])
def test_birth_date_between_10_and_100_years_ago(born, ok):
    assert domain.birth_date_in_range(born, TODAY) is ok


def test_years_before_a_29_february():
    assert domain.years_before(date(2028, 2, 29), 10) == date(2018, 2, 28)


@pytest.mark.parametrize("text, day", [("2001-05-14", date(2001, 5, 14)), ("14/05/2001", None),
                                       ("2001-02-30", None), ("2001-5-14", None), ("", None)])
def test_parse_day(text, day):
    assert domain.parse_day(text) == day


# -- sections: completeness and order ---------------------------------------------

def test_required_fields_depend_on_the_country():
    assert "birth_commune" in domain.required_fields("personal", {"birth_country": "FR"})
    assert "birth_town" not in domain.required_fields("personal", {"birth_country": "FR"})
    assert "birth_town" in domain.required_fields("personal", {"birth_country": "DE"})
    assert "postal_code" in domain.required_fields("address", {"country": "FR"})
    assert "city" in domain.required_fields("address", {"country": "BE"})
    assert domain.required_fields("bac", {"has_bac": "no"}) == ["has_bac"]
    assert "department" in domain.required_fields("bac", {"has_bac": "yes", "country": "FR"})
    assert "department" not in domain.required_fields("bac", {"has_bac": "yes", "country": "MA"})


def test_completeness_and_order():
    empty = domain.completeness({})
    assert empty == {"personal": False, "address": False, "bac": False}
    assert domain.is_section_open("personal", empty)
    assert not domain.is_section_open("address", empty)
    assert not domain.is_section_open("bac", {"personal": True, "address": False, "bac": False})
    assert domain.is_section_open("bac", {"personal": True, "address": True, "bac": False})
    assert not domain.is_ready_to_apply({"personal": True, "address": True, "bac": False})
    assert domain.is_ready_to_apply({"personal": True, "address": True, "bac": True})
    assert domain.is_section_complete("bac", {"has_bac": "no"})
    assert not domain.is_section_complete("address", {"line1": "1 rue X", "country": "FR",
                                                      "postal_code": "69003"})


# -- section fields -----------------------------------------------------------------

PERSONAL = {"civility": "mme", "birth_name": " Martin ", "first_name": "Léa",
            "birth_date": "2001-05-14", "nationality": "fr", "birth_country": "FR",
            "birth_department": "2a", "birth_commune": "Ajaccio", "birth_town": "ignored",
            "preferred_language": "FR", "phone": "", "ine": None}


def test_personal_is_cleaned_and_normalised():
    clean, errors = sections.validate("personal", PERSONAL, TODAY)
    assert errors == {}
    assert clean == {"civility": "MME", "birth_name": "Martin", "first_name": "Léa",
                     "birth_date": "2001-05-14", "nationality": "FR", "birth_country": "FR",
                     "birth_department": "2A", "birth_commune": "Ajaccio",
                     "preferred_language": "fr"}


@pytest.mark.parametrize("change, field, code", [
    ({"civility": "MLLE"}, "civility", "invalid_choice"),
    ({"birth_date": "1900-01-01"}, "birth_date", "birth_date_out_of_range"),
    ({"birth_date": "2020-01-01"}, "birth_date", "birth_date_out_of_range"),
    ({"birth_date": "31/12/2000"}, "birth_date", "invalid_date"),
    ({"nationality": "XX"}, "nationality", "invalid_choice"),
    ({"nationality": "FRA"}, "nationality", "invalid_choice"),
    ({"birth_department": "20"}, "birth_department", "invalid_choice"),
    ({"birth_commune": ""}, "birth_commune", "required"),
    ({"birth_country": "DE", "birth_town": ""}, "birth_town", "required"),
    ({"ine": "12345"}, "ine", "invalid_ine"),
    ({"phone": "call me"}, "phone", "invalid"),
    ({"preferred_language": "de"}, "preferred_language", "invalid_choice"),
    ({"first_name": "L" * 101}, "first_name", "too_long"),
    ({"birth_name": {"nested": "value"}}, "birth_name", "required"),
])
def test_personal_field_errors(change, field, code):
    _, errors = sections.validate("personal", {**PERSONAL, **change}, TODAY)
    assert errors == {field: code}


def test_born_abroad_needs_a_town_not_a_department():
    clean, errors = sections.validate("personal", {**PERSONAL, "birth_country": "SN",
                                                   "birth_town": "Dakar"}, TODAY)
    assert errors == {}
    assert clean["birth_town"] == "Dakar"
    assert "birth_department" not in clean and "birth_commune" not in clean


def test_address_rules():
    address = {"line1": "1 rue X", "country": "FR", "postal_code": "69003", "commune": "Lyon",
               "city": "dropped"}
    clean, errors = sections.validate("address", address, TODAY)
    assert errors == {} and "city" not in clean
    assert sections.validate("address", {**address, "postal_code": "6900"}, TODAY)[1] == \
        {"postal_code": "invalid_postal_code"}
    assert sections.validate("address", {**address, "postal_code": "69OO3"}, TODAY)[1] == \
        {"postal_code": "invalid_postal_code"}
    assert sections.validate("address", {**address, "country": "BE", "city": ""}, TODAY)[1] == \
        {"city": "required"}
    abroad, errors = sections.validate("address", {**address, "country": "BE", "city": "Liège",
                                                   "postal_code": "B-4000"}, TODAY)
    assert errors == {} and abroad["city"] == "Liège" and "commune" not in abroad
    assert sections.validate("address", {}, TODAY)[1] == \
        {"line1": "required", "country": "required"}


def test_bac_rules():
    bac = {"has_bac": "yes", "year": "2019", "country": "FR", "department": "69", "series": "STMG",
           "mention": "TB"}
    assert sections.validate("bac", bac, TODAY)[1] == {}
    assert sections.validate("bac", {"has_bac": "yes"}, TODAY)[1] == \
        {"year": "required", "country": "required", "series": "required"}
    for change, errors in [({"department": ""}, {"department": "required"}),
                           ({"series": "ZZ"}, {"series": "invalid_choice"}),
                           ({"mention": "X"}, {"mention": "invalid_choice"})]:
        assert sections.validate("bac", {**bac, **change}, TODAY)[1] == errors
    assert sections.validate("bac", {**bac, "year": "2028"}, TODAY)[1] == {"year": "invalid_year"}
    assert sections.validate("bac", {**bac, "year": "19"}, TODAY)[1] == {"year": "invalid_year"}
    assert sections.validate("bac", {**bac, "has_bac": "maybe"}, TODAY)[1] == \
        {"has_bac": "invalid_choice"}
    abroad, errors = sections.validate("bac", {**bac, "country": "MA"}, TODAY)
    assert errors == {} and "department" not in abroad
    none, errors = sections.validate("bac", {**bac, "has_bac": "no"}, TODAY)
    assert errors == {} and none == {"has_bac": "no"}


# -- reference lists ----------------------------------------------------------------

def test_countries_in_french_france_first_then_alphabetical():
    countries = reference.countries()
    labels = dict(countries)
    assert countries[0] == ("FR", "France")
    assert labels["DE"] == "Allemagne" and labels["EG"] == "Égypte" and labels["US"] == "États-Unis"
    rest = [fold(label) for _, label in countries[1:]]
    assert rest == sorted(rest)
    # Égypte sits among the E, not after Z.
    codes = [code for code, _ in countries]
    assert codes.index("EG") < codes.index("ES") < codes.index("ZW")
    assert len(countries) == 249


def test_bac_series_are_the_french_ones():
    series = reference.codes_of(reference.BAC_SERIES)
    assert {"GEN", "STMG", "STI2D", "ST2S", "STL", "STD2A", "STHR", "S2TMD", "STAV", "PRO",
            "DAEUA", "DAEUB", "ETR"} <= series
    assert reference.BAC_SERIES[0] == ("GEN", "Baccalauréat général")


def test_departments():
    departments = reference.departments()
    assert {"01", "2A", "2B", "69", "95", "971", "976"} <= departments
    assert not {"20", "96", "00", "970"} & departments
