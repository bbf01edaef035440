"""A file is what its content says, not its name."""
import pytest

from services.common.errors import ValidationFailed
from services.documents import domain, letters

PDF = b"%PDF-1.7\n..."
PNG = b"\x89PNG\r\n\x1a\n\x00\x00"
JPEG = b"\xff\xd8\xff\xdb\x00"


@pytest.mark.parametrize("head, expected", [
    (PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (b"%PD", None), (b"just text that says %PDF-", None), (b"GIF89a", None), (b"", None),
    (b"\x89PNG\r\n", None),
])
def test_content_decides_the_type(head, expected):
    assert domain.sniff_content_type(head) == expected


def refused(call, *args):
    with pytest.raises(ValidationFailed) as info:
        call(*args)
    return info.value.fields["file"]


def test_file_names():
    assert domain.clean_filename("C:\\Users\\lea\\carte identité.pdf") == "carte identité.pdf"
    assert domain.clean_filename("../../etc/passwd") == "passwd"
    assert domain.clean_filename("a" * 96 + ".pdf") == "a" * 96 + ".pdf"
    assert refused(domain.clean_filename, "a" * 97 + ".pdf") == "filename_too_long"
    assert refused(domain.clean_filename, "") == "file_missing"


def test_sizes():
    assert domain.check_size(1, 10) == 1
    assert domain.check_size(10, 10) == 10
    assert refused(domain.check_size, 11, 10) == "file_too_large"
    assert refused(domain.check_size, 0, 10) == "file_empty"
    assert refused(domain.check_size, 2 * 1024 * 1024 + 1, None) == "file_too_large"  # 2 MB default


def test_letter_text_survives_characters_outside_latin1():
    assert letters.latin1("l’été – œuvre “x”") == "l'été - oeuvre \"x\""
    assert letters.french_date("2026-11-22T23:30:00+00:00") == "23/11/2026"  # Paris time
