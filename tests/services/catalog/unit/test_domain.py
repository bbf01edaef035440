"""The catalogue's rules as plain functions: formation dates, required pieces,
the offer filter and tree."""
from datetime import date, timedelta

import pytest

from services.catalog import domain
from services.common.errors import ValidationFailed

D = date(2027, 1, 1)


def valid_dates(**override):
    dates = {"date_open": D, "date_close": D + timedelta(days=60),
             "date_return": D + timedelta(days=75), "date_jury": D + timedelta(days=90),
             "date_publish": D + timedelta(days=100), "date_confirm": D + timedelta(days=120),
             "confirm_days": None}
    dates.update(override)
    return dates


# -- dates -------------------------------------------------------------------------

def test_dates_in_order_are_valid_and_come_back_as_days():
    checked = domain.check_dates({**valid_dates(), "date_open": "2027-01-01"})
    assert checked["date_open"] == D
    assert checked["date_confirm"] == D + timedelta(days=120)
    assert checked["confirm_days"] is None


def test_equal_consecutive_dates_are_allowed():
    same = {field: D for field in domain.ORDERED_DATES}
    assert domain.date_errors({**same, "date_confirm": D, "confirm_days": None}) == {}


@pytest.mark.parametrize("field, previous", [
    ("date_close", "date_open"), ("date_return", "date_close"), ("date_jury", "date_return"),
    ("date_publish", "date_jury"), ("date_confirm", "date_publish")])
def test_each_date_before_the_previous_one_is_refused(field, previous):
    dates = valid_dates()
    dates[field] = dates[previous] - timedelta(days=1)
    assert domain.date_errors(dates) == {field: "date_order"}
    with pytest.raises(ValidationFailed) as error:
        domain.check_dates(dates)
    assert error.value.code == "invalid_dates"
    assert error.value.fields == {field: "date_order"}


def test_missing_and_malformed_dates_are_named():
    dates = valid_dates(date_jury=None, date_return="31/12/2027")
    assert domain.date_errors(dates) == {"date_jury": "required", "date_return": "invalid_date"}


def test_confirmation_by_a_number_of_days_instead_of_a_date():
    checked = domain.check_dates(valid_dates(date_confirm=None, confirm_days="15"))
    assert checked["date_confirm"] is None and checked["confirm_days"] == 15


def test_a_confirmation_rule_is_required():
    assert domain.date_errors(valid_dates(date_confirm=None)) == {
        "date_confirm": "confirm_rule_required"}


def test_a_date_and_a_number_of_days_together_are_refused():
    assert domain.date_errors(valid_dates(confirm_days=10)) == {
        "confirm_days": "confirm_rule_conflict"}


@pytest.mark.parametrize("days", [0, -3, "abc", 2.5, True])
def test_confirm_days_must_be_a_positive_whole_number(days):
    assert domain.date_errors(valid_dates(date_confirm=None, confirm_days=days)) == {
        "confirm_days": "invalid"}


# -- centre upload limit --------------------------------------------------------------

def test_max_file_size_defaults_to_2_mb_and_is_capped_at_10_mb():
    assert domain.check_max_file_size(None) == 2 * 1024 * 1024
    assert domain.check_max_file_size(10 * 1024 * 1024) == 10 * 1024 * 1024
    with pytest.raises(ValidationFailed) as error:
        domain.check_max_file_size(10 * 1024 * 1024 + 1)
    assert error.value.fields == {"max_file_size": "too_large"}
    with pytest.raises(ValidationFailed) as error:
        domain.check_max_file_size(0)
    assert error.value.fields == {"max_file_size": "invalid"}


# -- required pieces -----------------------------------------------------------------

def piece(code, order, scope="institution", treatment_type=None, label=None):
    return {"code": code, "label": label or code, "order": order, "conditional": False,
            "shared": False, "scope": scope, "treatment_type": treatment_type}


def codes(pieces):
    return [p["code"] for p in pieces]


def test_pieces_of_institution_centre_and_formation_sorted_by_order():
    definitions = [piece("LM", 3, "formation"), piece("CNI", 1), piece("RELEVES", 4, "centre"),
                   piece("CV", 2)]
    assert codes(domain.required_pieces(definitions, "AC")) == ["CNI", "CV", "LM", "RELEVES"]


def test_pieces_for_another_treatment_type_are_left_out():
    definitions = [piece("CNI", 1), piece("DOSSIER", 2, "formation", treatment_type="AC"),
                   piece("INSCRIPTION", 3, "centre", treatment_type="AD")]
    assert codes(domain.required_pieces(definitions, "AC")) == ["CNI", "DOSSIER"]
    assert codes(domain.required_pieces(definitions, "AD")) == ["CNI", "INSCRIPTION"]
    assert codes(domain.required_pieces(definitions, "AT")) == ["CNI"]


def test_a_code_defined_twice_is_asked_once_the_most_specific_definition_wins():
    definitions = [piece("CV", 2, label="CV (institution)"),
                   piece("CV", 6, "formation", label="CV détaillé (formation)"),
                   piece("CV", 4, "centre", label="CV (centre)"), piece("CNI", 1)]
    pieces = domain.required_pieces(definitions, "AC")
    assert codes(pieces) == ["CNI", "CV"]
    assert pieces[1]["label"] == "CV détaillé (formation)" and pieces[1]["order"] == 6


def test_a_filtered_out_specific_definition_does_not_hide_the_general_one():
    definitions = [piece("CV", 2), piece("CV", 5, "formation", treatment_type="AD")]
    pieces = domain.required_pieces(definitions, "AC")
    assert codes(pieces) == ["CV"] and pieces[0]["order"] == 2


def test_equal_orders_are_sorted_by_code():
    definitions = [piece("B", 1), piece("A", 1), piece("C", 0)]
    assert codes(domain.required_pieces(definitions, "AC")) == ["C", "A", "B"]


# -- filter and tree --------------------------------------------------------------------

@pytest.mark.parametrize("text, fields", [
    ("informatique", ("MINFO1", "Master Informatique 1re année", None)),
    ("INFORMATIQUE", ("MINFO1", "Master informatique", None)),
    ("lettres etrangeres", ("MLEA1", "Master LEA", "langues lettres étrangères")),
    ("Étrangères", ("MLEA1", "Master Langues etrangeres appliquees", "")),
    ("minfo", ("MINFO1", "Master", None)),                       # the code
    ("  mathématiques   appliquées ", ("MMATH1", "Master Mathématiques appliquées", None)),
    ("", ("X", "Anything", None)),
    (None, ("X", "Anything", None)),
])
def test_filter_matches_code_label_keywords_whatever_case_and_accents(text, fields):
    assert domain.matches_filter(text, *fields)


@pytest.mark.parametrize("text, fields", [
    ("informatique", ("MLEA1", "Master Langues étrangères appliquées", "anglais")),
    ("lettres chimie", ("MLEA1", "Master LEA", "langues lettres étrangères")),  # every word
])
def test_filter_leaves_out_what_does_not_match(text, fields):
    assert not domain.matches_filter(text, *fields)


def entry(code, label, level, centre, keywords=None):
    labels = {"SCI": "UFR Sciences et Techniques",
              "LLSH": "UFR Lettres, Langues et Sciences Humaines"}
    return {"code": code, "label": label, "level": level, "keywords": keywords,
            "treatment_type": "AC", "date_open": "2027-01-01", "date_close": "2027-03-01",
            "centre": {"code": centre, "label": labels[centre]}}


OFFER = [
    entry("MINFO1", "Master Informatique 1re année", "M- MASTER", "SCI", "informatique"),
    entry("LINFO3", "Licence Informatique 3e année", "L- LICENCE", "SCI"),
    entry("MMATH1", "Master Mathématiques appliquées 1re année", "M- MASTER", "SCI"),
    entry("MLEA1", "Master Langues étrangères appliquées 1re année", "M- MASTER", "LLSH",
          "langues lettres étrangères"),
]


def test_tree_groups_by_centre_then_level_sorted_by_label():
    tree = domain.offer_tree(OFFER)
    assert [c["code"] for c in tree] == ["LLSH", "SCI"]
    sci = tree[1]
    assert sci["label"] == "UFR Sciences et Techniques"
    assert [level["level"] for level in sci["levels"]] == ["L- LICENCE", "M- MASTER"]
    assert [f["code"] for f in sci["levels"][1]["formations"]] == ["MINFO1", "MMATH1"]
    assert sci["levels"][0]["formations"] == [{
        "code": "LINFO3", "label": "Licence Informatique 3e année", "level": "L- LICENCE",
        "treatment_type": "AC", "date_open": "2027-01-01", "date_close": "2027-03-01"}]


def test_filtered_tree_drops_empty_centres_and_levels():
    tree = domain.offer_tree(OFFER, "informatique")
    assert [c["code"] for c in tree] == ["SCI"]
    levels = tree[0]["levels"]
    assert [(lv["level"], [f["code"] for f in lv["formations"]]) for lv in levels] == [
        ("L- LICENCE", ["LINFO3"]), ("M- MASTER", ["MINFO1"])]


def test_tree_with_accent_free_filter_and_without_any_match():
    tree = domain.offer_tree(OFFER, "lettres etrangeres")
    assert [f["code"] for c in tree for lv in c["levels"] for f in lv["formations"]] == ["MLEA1"]
    assert domain.offer_tree(OFFER, "zoologie") == []
    assert domain.offer_tree([]) == []
