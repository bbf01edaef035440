"""Reference lists of the dossier (reference data is real).

Countries and nationalities are ISO 3166-1 alpha-2 codes from pycountry, labelled
in French with pycountry's own translations. Bac series are the French
baccalauréat types and their usual equivalents. Départements and communes with
their postal codes come from the official open data (data/communes.json.gz, see
data/build_communes.py).
"""
import functools
import gettext
import gzip
import json
from pathlib import Path

import pycountry

from services.common.text import fold as fold_text

FRANCE = "FR"
LANGUAGES = (("fr", "Français"), ("en", "English"))
CIVILITIES = (("M", "Monsieur"), ("MME", "Madame"))
MENTIONS = (
    ("SANS", "Sans mention"),
    ("AB", "Assez bien"),
    ("B", "Bien"),
    ("TB", "Très bien"),
    ("TBF", "Très bien avec félicitations du jury"),
)
OBTAINED = (("O", "Oui"), ("N", "Non"), ("E", "En cours"))
_TECHNO = "Baccalauréat technologique"
BAC_SERIES = (
    # Since the 2021 reform: one general bac (with specialities) and the
    # technological series.
    ("GEN", "Baccalauréat général"),
    ("STMG", f"{_TECHNO} STMG – Sciences et technologies du management et de la gestion"),
    ("STI2D", f"{_TECHNO} STI2D – Sciences et technologies de l'industrie et du "
              "développement durable"),
    ("ST2S", f"{_TECHNO} ST2S – Sciences et technologies de la santé et du social"),
    ("STL", f"{_TECHNO} STL – Sciences et technologies de laboratoire"),
    ("STD2A", f"{_TECHNO} STD2A – Sciences et technologies du design et des arts appliqués"),
    ("STHR", f"{_TECHNO} STHR – Sciences et technologies de l'hôtellerie et de la restauration"),
    ("S2TMD", f"{_TECHNO} S2TMD – Sciences et techniques du théâtre, de la musique et de "
              "la danse"),
    ("STAV", f"{_TECHNO} STAV – Sciences et technologies de l'agronomie et du vivant"),
    ("PRO", "Baccalauréat professionnel"),
    # Most master's candidates passed the bac before 2021, in a general series.
    ("S", "Baccalauréat général série S – Scientifique (avant 2021)"),
    ("ES", "Baccalauréat général série ES – Économique et social (avant 2021)"),
    ("L", "Baccalauréat général série L – Littéraire (avant 2021)"),
    # Equivalents giving access to higher education.
    ("DAEUA", "DAEU A – Diplôme d'accès aux études universitaires, option littéraire"),
    ("DAEUB", "DAEU B – Diplôme d'accès aux études universitaires, option scientifique"),
    ("ETR", "Titre étranger admis en équivalence du baccalauréat"),
    ("DISP", "Titre français admis en dispense du baccalauréat"),
    ("VAPP", "Validation des acquis personnels et professionnels (VAPP)"),
)


@functools.lru_cache(maxsize=1)
def countries():
    """[(alpha-2, French label)], France first, then alphabetical."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    labelled = [(c.alpha_2, french.gettext(c.name)) for c in pycountry.countries]
    labelled.sort(key=lambda pair: (pair[0] != FRANCE, fold_text(pair[1])))
    return tuple(labelled)


@functools.lru_cache(maxsize=1)
def country_codes():
    return frozenset(code for code, _ in countries())


def codes_of(pairs):
    return frozenset(code for code, _ in pairs)


def reference_data():
    """The lists the forms offer, as JSON-safe [[code, label]]."""
    return {
        "countries": [list(pair) for pair in countries()],
        "bac_series": [list(pair) for pair in BAC_SERIES],
        "mentions": [list(pair) for pair in MENTIONS],
        "civilities": [list(pair) for pair in CIVILITIES],
        "departments": department_list(),
        # Nationalities are named by their country (ISO 3166), as in eCandidat.
        "nationalities": [list(pair) for pair in countries()],
        "obtained": [list(pair) for pair in OBTAINED],
    }


# -- French départements and communes (official open data) -------------------------

COMMUNES_FILE = Path(__file__).resolve().parent / "data" / "communes.json.gz"


WORD_BREAKS = str.maketrans("-'’", "   ")


def fold(text):
    """How names of places compare: no accents, case, hyphens or apostrophes
    ("saint-etienne" finds "Saint-Étienne")."""
    return " ".join(fold_text(text).translate(WORD_BREAKS).split())


@functools.lru_cache(maxsize=1)
def _geography():
    """The départements and communes of data/communes.json.gz, indexed."""
    with gzip.open(COMMUNES_FILE, "rt", encoding="utf-8") as source:
        data = json.load(source)
    by_postal_code, by_department = {}, {}
    for insee, name, department, postal_codes, current in data["communes"]:
        by_department.setdefault(department, []).append((insee, name, postal_codes, current))
        if current:
            for postal_code in postal_codes:
                by_postal_code.setdefault(postal_code, []).append((insee, name))
    return {"departments": data["departments"], "by_postal_code": by_postal_code,
            "by_department": by_department}


@functools.lru_cache(maxsize=1)
def departments():
    """Official département codes (metropolitan, Corsica 2A/2B, overseas and
    the collectivities with a French civil registry)."""
    return frozenset(_geography()["departments"])


def department_list():
    return [[code, f"{code} – {name}"] for code, name in
            sorted(_geography()["departments"].items(), key=lambda item: item[0].zfill(3))]


def postal_code_exists(postal_code):
    return postal_code in _geography()["by_postal_code"]


def commune_for_postal_code(postal_code, name):
    """The official name of the commune `name` among those of this postal code, or None."""
    wanted = fold(name)
    return next((official for _, official in _geography()["by_postal_code"].get(postal_code, ())
                 if fold(official) == wanted), None)


def commune_in_department(department, name):
    """The official name of the commune `name` of this département (current or
    former commune: people were born in communes merged since), or None."""
    wanted = fold(name)
    return next((official for _, official, _, _ in _geography()["by_department"].get(department, ())
                 if fold(official) == wanted), None)


def communes(postal_code=None, department=None):
    """[[insee, name, postal_code]] of a postal code, or of a département."""
    geography = _geography()
    if postal_code:
        return [[insee, name, postal_code]
                for insee, name in geography["by_postal_code"].get(str(postal_code), ())]
    if department:
        return [[insee, name, (codes or [""])[0]]
                for insee, name, codes, current in geography["by_department"].get(str(department), ())
                if current]
    return []
