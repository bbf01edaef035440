"""The one check of free text every service applies to what people type."""
import pytest

from services.common import text

SPOOFS = ["Master\r\nBcc: x@y.fr", "Master\nBcc: x@y.fr", "Master\rX", "Master\tInfo",
          "Master\x00", "Master\x1b[31m", "Master\x7f", "Master\x85Bcc: x@y.fr",
          "Master\u2028Bcc: x@y.fr", "Master\u2029", "Licence \u202eenilno", "Li\u200bcence",
          "\ufeffLicence", "Licence \u2066isolate\u2069"]
FINE = ["Master Informatique 1re année", "L'École d’été — « Géographie »", "Licence\u00a0Pro",
        "Łódź, Ærøskøbing, 東京", "Chimie 🧪", "O'Brien-Nguyễn",
        "می‌رود",   # Persian: a zero-width non-joiner spells it
        "क्‍ष"]                # Devanagari: a zero-width joiner shapes it


@pytest.mark.parametrize("value", SPOOFS)
def test_one_line_refuses_line_breaks_and_invisible_controls(value):
    assert text.has_control(value)
    assert text.field_error(value) == "control_character"


@pytest.mark.parametrize("value", FINE)
def test_real_names_and_labels_pass(value):
    assert not text.has_control(value) and not text.has_control(value, multiline=True)
    assert text.field_error(value) is None


def test_multi_line_keeps_line_breaks_and_refuses_the_rest():
    assert not text.has_control("1 rue des Facultés\r\n44300 Nantes\nFrance", multiline=True)
    assert text.newlines("a\r\nb\rc\nd") == "a\nb\nc\nd"
    for value in ("a\tb", "a\u202eb", "a\u2028b", "a\x0bb", "a\x0cb", "a\x85b"):
        assert text.has_control(value, multiline=True), repr(value)


def test_text_stored_before_the_rules_is_neutralised_for_mails():
    assert text.without_controls("Master\r\nBcc: x@y.fr \u202eab") == "Master Bcc: x@y.fr ab"
    assert text.without_controls("Pièce illisible\r\nMerci\t!", multiline=True) == \
        "Pièce illisible\nMerci !"
