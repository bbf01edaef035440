"""Reference lists of the dossier (DOMAIN.md 3: reference data is real).

Countries and nationalities are ISO 3166-1 alpha-2 codes from pycountry, labelled
in French with pycountry's own translations. Bac series are the French
baccalauréat types and their usual equivalents. Départements are the official
codes (metropolitan, Corsica 2A/2B, overseas).
"""
import functools
import gettext
import unicodedata

import pycountry

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


def _sort_key(label):
    """Alphabetical order a French reader expects: accents ignored (É with E)."""
    plain = unicodedata.normalize("NFKD", label)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=1)
def countries():
    """[(alpha-2, French label)], France first, then alphabetical."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    labelled = [(c.alpha_2, french.gettext(c.name)) for c in pycountry.countries]
    labelled.sort(key=lambda pair: (pair[0] != FRANCE, _sort_key(pair[1])))
    return tuple(labelled)


@functools.lru_cache(maxsize=1)
def country_codes():
    return frozenset(code for code, _ in countries())


@functools.lru_cache(maxsize=1)
def departments():
    """Official département codes: 01–95 (no 20: Corsica is 2A and 2B) and overseas."""
    codes = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"}
    # Overseas départements (971–976) and collectivities with a French civil
    # registry (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin,
    # Wallis-et-Futuna, Polynésie française, Nouvelle-Calédonie).
    codes |= {"971", "972", "973", "974", "976", "975", "977", "978", "986", "987", "988"}
    return frozenset(codes)


def codes_of(pairs):
    return frozenset(code for code, _ in pairs)


def reference_data():
    """The lists the forms offer, as JSON-safe [[code, label]]."""
    return {
        "countries": [list(pair) for pair in countries()],
        "bac_series": [list(pair) for pair in BAC_SERIES],
        "mentions": [list(pair) for pair in MENTIONS],
        "civilities": [list(pair) for pair in CIVILITIES],
    }
