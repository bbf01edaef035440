"""Every word of the portal exists in French and English, and every error code a
service can raise has its sentence."""
import importlib
import re
from pathlib import Path

import pytest

from gateway.i18n import EN, FR

SERVICES = ("accounts", "catalog", "applications", "documents", "notifications")
TEMPLATES = Path(__file__).resolve().parents[2] / "gateway"


def test_english_has_every_french_key():
    assert sorted(set(FR) - set(EN)) == []
    assert sorted(set(EN) - set(FR)) == []


def test_placeholders_match_between_languages():
    for key, text in FR.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", EN[key])), key


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_code_is_translated(service):
    codes = {value for name, value in vars(importlib.import_module(f"services.{service}.exceptions")).items()
             if name.isupper() and isinstance(value, str)}
    assert sorted(code for code in codes if f"err.{code}" not in FR) == []


def test_every_key_the_templates_and_views_use_exists():
    used = set()
    for path in list(TEMPLATES.rglob("*.html")) + list(TEMPLATES.rglob("*.py")):
        used |= set(re.findall(r"""\bt\(["']([a-z_]+\.[A-Za-z_.]+)["']""", path.read_text()))
    assert used and sorted(used - set(FR)) == []
