"""A file is what its content says, not its name; names and sizes have limits;
the admission letter renders French text."""
import io
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from services.common.errors import ValidationFailed
from services.documents import domain, letters
from tests.services.documents.samples import FAKE_PDF, JPEG, LETTER, PDF, PNG


@pytest.mark.parametrize("content, expected", [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (PDF[:domain.SNIFF_BYTES], "application/pdf"),    # only the first bytes are read
    (FAKE_PDF, None), (b"%PDF", None), (b"\xff\xd8", None), (b"\x89PNG\r\n", None),
    (b"GIF89a\x01\x00", None), (b"PK\x03\x04 a zip", None), (b"", None), (None, None),
    (b" %PDF-1.4", None),                               # the signature must come first
])
def test_content_decides_the_type(content, expected):
    assert domain.sniff_content_type(content) == expected


def refusal(call, *args):
    with pytest.raises(ValidationFailed) as info:
        call(*args)
    assert info.value.code == info.value.fields["file"]
    return info.value.fields["file"]


def test_what_arrived_in_storage():
    assert domain.check_stored(len(PDF), PDF[:16], 1024 * 1024) == "application/pdf"
    assert domain.check_stored(10, PNG[:16], 10) == "image/png"
    assert refusal(domain.check_stored, None, b"", 100) == "file_missing"
    assert refusal(domain.check_stored, 0, b"", 100) == "file_empty"
    assert refusal(domain.check_stored, 101, PDF[:16], 100) == "file_too_large"
    assert refusal(domain.check_stored, len(FAKE_PDF), FAKE_PDF[:16], 1000) == "file_type_invalid"


def test_the_catalogues_files_are_one_kind_each():
    """A template is read as a PDF, a signature is pasted into letters as an image."""
    assert domain.check_stored(len(PDF), PDF[:16], 10**6, "template") == "application/pdf"
    assert refusal(domain.check_stored, len(PNG), PNG[:16], 10**6, "template") == \
        "template_not_pdf"
    assert domain.check_stored(len(JPEG), JPEG[:16], 10**6, "signature") == "image/jpeg"
    assert refusal(domain.check_stored, len(PDF), PDF[:16], 10**6, "signature") == \
        "signature_not_image"


def test_file_names_lose_their_path_and_have_at_most_100_characters():
    assert domain.clean_filename("C:\\Users\\lea\\carte identité.pdf") == "carte identité.pdf"
    assert domain.clean_filename("../../etc/passwd") == "passwd"
    assert domain.clean_filename("/home/lea/" + "a" * 96 + ".pdf") == "a" * 96 + ".pdf"
    assert domain.clean_filename(" relevé\x00\n.pdf ") == "relevé.pdf"
    assert refusal(domain.clean_filename, "a" * 97 + ".pdf") == "filename_too_long"
    assert refusal(domain.clean_filename, "") == "file_missing"
    assert refusal(domain.clean_filename, "dossier/") == "file_missing"


def test_declared_sizes():
    assert domain.check_size(1, 10) == 1
    assert domain.check_size(10, 10) == 10
    assert refusal(domain.check_size, 11, 10) == "file_too_large"
    assert refusal(domain.check_size, 0, 10) == "file_empty"
    assert refusal(domain.check_size, -5, 10) == "file_empty"
    assert refusal(domain.check_size, "lots", 10) == "file_empty"
    assert domain.check_size(2 * 1024 * 1024, None) == 2 * 1024 * 1024      # 2 MB default
    assert refusal(domain.check_size, 2 * 1024 * 1024 + 1, None) == "file_too_large"


def test_names_outside_latin1_are_printed_as_typed():
    letter = dict(LETTER, candidate=dict(LETTER["candidate"], first_name="Ștefan",
                                         last_name="Dvořák"))
    data = letters.admission_letter(letter, datetime(2026, 11, 22, 10, tzinfo=timezone.utc))
    assert "Ștefan Dvořák" in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_dates_are_french_and_in_paris_time():
    assert letters.french_date("2026-11-22") == "22/11/2026"
    assert letters.french_date("2026-11-21T23:30:00+00:00") == "22/11/2026"
    assert letters.french_date(datetime(2026, 11, 22, 9, tzinfo=timezone.utc)) == "22/11/2026"
    assert letters.french_date(None) == ""


def test_the_admission_letter_says_who_is_admitted_where_and_since_when():
    data = letters.admission_letter(LETTER, datetime(2026, 11, 22, 10, tzinfo=timezone.utc))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())  # lines wrap anywhere
    for expected in ("Université de démonstration", "Commission Informatique (SCI-INFO)",
                     "1 rue de l’Université Bâtiment à côté", "Le 22/11/2026",
                     "Madame Léa Garçon-Müller", "Numéro de dossier : 22PB7Y36",
                     "Master Informatique – 1re année (MINFO1)", "vous êtes admise",
                     "confirmé votre candidature le 22/11/2026", "Pr. Anne Dupont, présidente"):
        assert expected in text, expected


def test_a_letter_with_missing_details_still_renders():
    data = letters.admission_letter({"application_id": 1}, datetime.now(timezone.utc))
    assert data.startswith(b"%PDF-") and len(data) > 1000
