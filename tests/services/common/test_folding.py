"""Texts compared whatever their case and accents (services.common.text): in
Python, and in PostgreSQL for searches run by the database."""
import pytest
from sqlalchemy import create_engine, literal, select

from services.common import text
from services.common.config import database_url
from services.common.migrations import ensure_database


@pytest.mark.parametrize("typed, key", [
    ("Étrangères", "etrangeres"), ("  LANGUES   étrangères\t", "langues etrangeres"),
    ("Ærøskøbing", "ærøskøbing"),          # letters of their own, not accented letters
    ("Straße", "strasse"), ("ﬁlière", "filiere"),   # case folding, compatibility forms
    ("Nguyễn", "nguyen"), ("", ""), (None, ""), (2027, "2027")])
def test_fold_ignores_case_accents_and_spacing(typed, key):
    assert text.fold(typed) == key


def test_fold_sorts_as_a_french_reader_expects():
    labels = ["Zambie", "Égypte", "espagne", "Émirats arabes unis", "Équateur", "Estonie"]
    assert sorted(labels, key=text.fold) == [
        "Égypte", "Émirats arabes unis", "Équateur", "espagne", "Estonie", "Zambie"]


@pytest.fixture(scope="module")
def engine():
    url = database_url("common_text")
    ensure_database(url)
    engine = create_engine(url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("value", ["Élodie", "FRANÇOISE", "Noël", "Œuvre", "Ñúñez", "Straße",
                                   "Łukasz", "Ștefan", "d'Aÿ", "Ærø"])
def test_the_database_folds_as_python_says(engine, value):
    with engine.connect() as conn:
        folded = conn.execute(select(text.sql_fold(literal(value)))).scalar_one()
    assert folded == text.sql_folded_text(value)


def test_the_database_folds_french_accents(engine):
    with engine.connect() as conn:
        folded = conn.execute(select(text.sql_fold(literal("Élodie LÉGER-Çà")))).scalar_one()
    assert folded == "elodie leger-ca" == text.sql_folded_text("Élodie LÉGER-Çà")
