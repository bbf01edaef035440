"""The staff list of applications as the portal shows and exports it: its
filters read from the address (a view is a bookmark), the columns a user may
choose (saved with their preferences), each column's text in the page and in
the exports, and the exports themselves, streamed: the rows are read from
the applications service a page at a time, never all at once."""
import csv
import io
import os
import tempfile
from datetime import datetime, timedelta, timezone

import xlsxwriter
from flask import current_app

from services.common.dates import format_date, parse_date_input

from .i18n import current_language, label
from .tabular import FORMULA_STARTS, neutralised

# The filters the list reads from the address, as the service names them.
DATE_FILTERS = ("created", "transmitted", "decided")
LIST_FILTERS = ("centre", "commission", "formation", "status", "treatment_type", "decision",
                "validated", "answer", "tag", "q", "name", "number", "email",
                *(f"{name}_{end}" for name in DATE_FILTERS for end in ("from", "to")))
# Choices of the filters chosen from a list: value -> label key.
FILTER_CHOICES = {
    "status": {s: f"status.{s}" for s in ("AT", "RE", "IN", "CO")} | {"cancelled": "staff_list.cancelled"},
    "treatment_type": {t: f"treatment.{t}" for t in ("AC", "AD", "AT")},
    "decision": {d: f"decision.{d}" for d in ("FA", "DE", "LC", "LA", "PR")} | {"none": "staff_list.no_decision"},
    "validated": {"yes": "staff_list.validated_yes", "no": "staff_list.validated_no"},
    "answer": {"confirmed": "staff_list.answer_confirmed", "withdrawn": "staff_list.answer_withdrawn",
               "none": "staff_list.answer_none"},
}
SORTS = ("id", "number", "candidate", "email", "formation", "formation_code", "centre",
         "commission", "treatment_type", "status", "created", "transmitted", "decision",
         "pending", "decided", "rank", "confirmed", "withdrawn")
DEFAULT_SORT = "-transmitted"  # as the applications service sorts without one
PER_PAGE = 50
EXPORT_CHUNK = 200  # rows per call while exporting: the service's largest page

# The columns a user may show, in their order on the page: key -> the sort
# of the service it orders by (every column sorts).
COLUMNS = {key: key for key in ("number", "candidate", "email", "formation", "formation_code",
                                "centre", "commission", "treatment_type", "status", "created",
                                "transmitted", "decision", "pending", "decided", "rank",
                                "confirmed", "withdrawn")}
DEFAULT_COLUMNS = ("number", "candidate", "formation", "status", "transmitted", "decision")
PREFERENCE = "staff_list.columns"
RE_ALERT_DAYS = 7  # unless STAFF_RE_ALERT_DAYS says otherwise


def filters_from(args):
    """The list's filters in the address (empty ones left out); a day typed
    day first (22/11/2026) becomes ISO, one that is not a day is kept as
    typed (the service refuses it on its field)."""
    filters = {}
    for name in LIST_FILTERS:
        value = (args.get(name) or "").strip()
        if not value:
            continue
        if name.endswith(("_from", "_to")):
            value = parse_date_input(value) or value
        filters[name] = value
    return filters


def sort_from(args):
    """The sort asked if the list has it ("candidate", "-transmitted"...), else None."""
    value = (args.get("sort") or "").strip()
    return value if value.removeprefix("-") in SORTS and value.count("-") <= 1 else None


def page_from(args):
    try:
        return max(1, int(args.get("page", 1)))
    except (TypeError, ValueError):
        return 1


def list_args(filters, sort, page=1):
    """The address arguments of a view of the list (what a bookmark keeps)."""
    args = dict(filters)
    if sort:
        args["sort"] = sort
    if page and page != 1:
        args["page"] = page
    return args


def chosen_columns(actor):
    """The columns the user chose (their preferences), else the default ones."""
    saved = ((actor or {}).get("preferences") or {}).get(PREFERENCE)
    if isinstance(saved, list):
        columns = [c for c in COLUMNS if c in saved]
        if columns:
            return columns
    return list(DEFAULT_COLUMNS)


def posted_columns(form):
    return [c for c in COLUMNS if c in form.getlist("columns")]


def alert_days():
    return int(current_app.config.get("STAFF_RE_ALERT_DAYS") or RE_ALERT_DAYS)


def overdue(item, days, now=None):
    """Whether a row waits in "Réceptionné" for more than `days` days since
    its (last) transmission."""
    if item.get("status") != "RE" or item.get("cancelled") or not item.get("transmitted_at"):
        return False
    transmitted = datetime.fromisoformat(item["transmitted_at"])
    return (now or datetime.now(timezone.utc)) - transmitted > timedelta(days=days)


# -- each column's text -----------------------------------------------------------------

def _when(value):
    return format_date(value, current_language(), with_time=True) if value else ""


def _code_label(prefix, code):
    return str(label(f"{prefix}.{code}")) if code else ""


def _candidate(item):
    return (item.get("candidate") or {})


def _name(item, part):
    return (item.get(part) or {}).get("label") or (item.get(part) or {}).get("code")


# Each column's text of a row: labels, never codes (codes looked up by `words`).
TEXTS = {
    "number": lambda item, words: _candidate(item).get("dossier_number"),
    "candidate": lambda item, words: " ".join(
        p for p in (_candidate(item).get("last_name"), _candidate(item).get("first_name")) if p),
    "email": lambda item, words: _candidate(item).get("email"),
    "formation": lambda item, words: (item.get("formation") or {}).get("label"),
    "formation_code": lambda item, words: (item.get("formation") or {}).get("code"),
    "centre": lambda item, words: _name(item, "centre"),
    "commission": lambda item, words: _name(item, "commission"),
    "treatment_type": lambda item, words: words(
        "treatment", (item.get("formation") or {}).get("treatment_type")),
    "status": lambda item, words: (words("staff_list", "cancelled") if item.get("cancelled")
                                   else words("status", item.get("status"))),
    "created": lambda item, words: _when(item.get("created_at")),
    "transmitted": lambda item, words: _when(item.get("transmitted_at")),
    "decision": lambda item, words: words("decision", (item.get("decision") or {}).get("code")),
    "pending": lambda item, words: words("decision",
                                         (item.get("pending_decision") or {}).get("code")),
    "decided": lambda item, words: _when(item.get("decided_at")),
    "rank": lambda item, words: (item.get("decision") or {}).get("rank"),
    "confirmed": lambda item, words: _when(item.get("confirmed_at")),
    "withdrawn": lambda item, words: _when(item.get("withdrawn_at")),
}


def _words():
    """label() of codes, each looked up once (an export asks the same few thousands of times)."""
    known = {}

    def words(prefix, code):
        if not code:
            return ""
        key = f"{prefix}.{code}"
        if key not in known:
            known[key] = label(key)
        return known[key]
    return words


def cell_text(column, item, words=None):
    """The text of one cell (the page's, the exports'): labels, never codes."""
    value = TEXTS[column](item, words or _code_label)
    return "" if value is None else str(value)


def row_texts(columns):
    """-> item -> the texts of its cells, for many rows (labels looked up once)."""
    words = _words()
    texts = [TEXTS[c] for c in columns]

    def row(item):
        return ["" if v is None else str(v) for v in (text_of(item, words) for text_of in texts)]
    return row


def heading(column):
    return label(f"staff_col.{column}")


# -- exports ------------------------------------------------------------------------------

def every_row(list_applications, actor, filters, sort):
    """Every application of the view, read EXPORT_CHUNK at a time. The first
    chunk is read now, so that a refusal (out of scope, a bad filter) is an
    error page rather than a download cut short; the others as the file is written."""
    first = list_applications(actor, filters, page=1, per_page=EXPORT_CHUNK, sort=sort)

    def rows():
        found, page = first, 1
        while True:
            yield from found["items"]
            if page * EXPORT_CHUNK >= found["total"] or not found["items"]:
                return
            page += 1
            found = list_applications(actor, filters, page=page, per_page=EXPORT_CHUNK,
                                      sort=sort)
    return rows()


def csv_lines(columns, rows):
    """The CSV export line by line (UTF-8 with BOM, semicolons, for French
    spreadsheets); a cell that a spreadsheet would run as a formula gets an
    apostrophe first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")

    def line(cells):
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    yield "\ufeff".encode("utf-8") + line([neutralised(heading(c)) for c in columns])
    texts = row_texts(columns)
    for item in rows:
        yield line([neutralised(text) for text in texts(item)])


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_CHUNK = 64 * 1024


def xlsx_file(columns, rows):
    """The XLSX export in a temporary file, written row by row (XlsxWriter's
    constant_memory: a row leaves memory once the next begins); every cell a
    string, never a formula. -> an open file, at its start, already unlinked."""
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        book = xlsxwriter.Workbook(path, {"constant_memory": True,
                                          "tmpdir": tempfile.gettempdir()})
        sheet = book.add_worksheet(str(label("staff_list.sheet"))[:31])
        bold = book.add_format({"bold": True})
        # a text a spreadsheet could take for a formula keeps Excel's text mark
        quoted = book.add_format({"quote_prefix": True})
        for column, title in enumerate(columns):
            sheet.write_string(0, column, str(heading(title)), bold)
        texts = row_texts(columns)
        for number, item in enumerate(rows, start=1):
            for column, text in enumerate(texts(item)):
                if text:
                    sheet.write_string(number, column, text,
                                       quoted if text.startswith(FORMULA_STARTS) else None)
        book.close()
        handle = open(path, "rb")
    finally:
        os.unlink(path)  # the open handle keeps the bytes until it is closed
    return handle


def file_chunks(handle):
    try:
        while True:
            chunk = handle.read(FILE_CHUNK)
            if not chunk:
                return
            yield chunk
    finally:
        handle.close()


def export_name(extension):
    return f"candidatures-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M')}.{extension}"

