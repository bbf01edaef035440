"""Free text people type (names, labels, subjects, comments), checked by the
service that stores it, the same way everywhere.

Stored text ends up in mail subjects and bodies, letters, pages and exported
files. A line break in a label could add a header or a fake line to a mail; an
invisible character (zero width, bidi override such as U+202E) could make a
label read differently from what it holds. So:

- single-line fields refuse every control character: C0 and C1 controls (CR, LF,
  TAB, NEL...), Unicode format characters (bidi overrides and isolates,
  zero-width characters, BOM...), the line and paragraph separators U+2028 and
  U+2029, and lone surrogates; but the zero-width joiner and non-joiner
  (U+200D, U+200C), which some Persian and Indic names need to be spelt;
- multi-line fields (descriptions, comments, postal addresses typed in a text
  area) accept CR and LF, stored as LF, and refuse the others.

The field error code is `control_character` (the gateway translates it).

Texts people search or sort by compare folded, whatever their case and accents:
`fold` in Python, `sql_fold` in a query (with `sql_folded_text`, its Python
twin, for the words typed).
"""
import unicodedata

from sqlalchemy import func

CONTROL_CHARACTER = "control_character"

# Cc: C0, DEL, C1; Cf: format (bidi, zero width, BOM, soft hyphen...);
# Zl, Zp: U+2028, U+2029; Cs: surrogates.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
NEWLINES = frozenset("\r\n")
JOINERS = frozenset("\u200c\u200d")  # they shape letters; they cannot break a line


def _refused(char, multiline):
    return (unicodedata.category(char) in REFUSED_CATEGORIES and char not in JOINERS
            and not (multiline and char in NEWLINES))


def has_control(text, multiline=False):
    """Whether `text` holds a character the field refuses."""
    return any(_refused(char, multiline) for char in text)


def field_error(text, multiline=False):
    """CONTROL_CHARACTER when `text` (a string) holds a refused character, else None."""
    return CONTROL_CHARACTER if isinstance(text, str) and has_control(text, multiline) else None


def newlines(text):
    """A multi-line text with its line ends as LF (CRLF and lone CR too)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def without_controls(text, multiline=False):
    """`text` with every refused character replaced by a space (line ends kept,
    as LF, when `multiline`): what a mail shows of text stored before these
    rules, so it can neither add a header nor hide anything."""
    if multiline:
        text = newlines(text)
    cleaned = "".join(" " if _refused(char, multiline) else char for char in text)
    return cleaned if multiline else " ".join(cleaned.split())


# -- comparing texts whatever their case and accents -------------------------

def fold(text):
    """The key texts compare and sort by: compatibility-decomposed (NFKD),
    combining marks (accents) dropped, case-folded, single spaces; None is ""
    ("  Étrangères " and "ETRANGERES" are both "etrangeres")."""
    decomposed = unicodedata.normalize("NFKD", "" if text is None else str(text))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


# Folding in PostgreSQL without an extension (unaccent needs one): lower(), then
# the accented letters of French (and a few neighbours) to their plain forms.
SQL_ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæ"
SQL_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyoa"  # one letter each: translate() maps by position
_SQL_FOLDING = str.maketrans(SQL_ACCENTED, SQL_PLAIN)


def sql_fold(column):
    """`column` folded in SQL: lower case, the letters of SQL_ACCENTED unaccented
    (others, such as ß or ł, are kept as they are)."""
    return func.translate(func.lower(column), SQL_ACCENTED, SQL_PLAIN)


def sql_folded_text(text):
    """What `sql_fold` makes of `text`, computed in Python: the words someone
    typed, to look for in a folded column (`fold` would not match it beyond
    SQL_ACCENTED)."""
    return str(text).lower().translate(_SQL_FOLDING)
