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
"""
import unicodedata

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
