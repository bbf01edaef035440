"""Spreadsheets in and out of the staff portal (catalogue import and export):
CSV (UTF-8, comma or semicolon) and XLSX, as lists of dicts keyed by the
header line. Only the file format lives here; the catalog service checks the
rows themselves.

- Each row read carries its line of the file in `_line` (the header is line 1;
  a spreadsheet's line: blank lines are skipped but still counted, a quoted
  cell spanning several text lines is one line), so the service's errors name
  the line the user sees.
- Exports neutralise formulas: a CSV cell beginning with =, +, -, @, a tab or a
  carriage return gets a leading apostrophe (taken off again when the file is
  read back); in XLSX every cell is written as text, never as a formula.
"""
import csv
import io

from openpyxl import Workbook, load_workbook

MAX_ROWS = 5000
LINE_KEY = "_line"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class UnreadableFile(ValueError):
    """str(exc) is the reason: format, encoding, empty, duplicate_column, too_many_rows."""


def read(filename, data):
    """-> [{column: text, "_line": n}] (the header line excluded, column names
    in lower case); UnreadableFile otherwise."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        lines = _xlsx_lines(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        lines = _csv_lines(data)
    else:
        raise UnreadableFile("format")
    return _rows(lines)


def _rows(lines):
    """lines: (number, [cells]) -> rows keyed by the first non-blank line."""
    header, rows = None, []
    for number, cells in lines:
        cells = [_unquote(_cell(c)).replace("\r\n", "\n") for c in cells]
        if not any(cells):
            continue  # a blank line: skipped, but the next ones keep their numbers
        if header is None:
            header = [c.lower() for c in cells]
            named = [c for c in header if c]
            if len(named) != len(set(named)):
                raise UnreadableFile("duplicate_column")
            continue
        row = {column: (cells[i] if i < len(cells) else "")
               for i, column in enumerate(header) if column}
        row[LINE_KEY] = number
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise UnreadableFile("too_many_rows")
    if header is None:
        raise UnreadableFile("empty")
    return rows


def _csv_lines(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("encoding") from None
    if "\x00" in text:
        raise UnreadableFile("format")  # a binary file named .csv
    first = text.lstrip("\r\n").partition("\n")[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    try:  # csv.reader gives [] for a blank line: each record is one line of the sheet
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                              start=1))
    except csv.Error:
        raise UnreadableFile("format") from None


def _xlsx_lines(data):
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        # read-only sheets yield every row from the first, empty ones included
        return list(enumerate(sheet.iter_rows(values_only=True), start=1))
    except Exception:  # not a workbook
        raise UnreadableFile("format") from None


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "isoformat"):  # a date or datetime cell
        return (value.date() if hasattr(value, "hour") else value).isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def _unquote(text):
    """The apostrophe an export put before a formula-like text goes again."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def neutralised(value):
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write(columns, rows, kind):
    """-> (bytes, content type) of the rows as CSV (semicolons, for French
    spreadsheets) or XLSX; every cell is text."""
    if kind == "xlsx":
        book = Workbook()
        sheet = book.active
        for number, values in enumerate([list(columns)] + [[row.get(c, "") for c in columns]
                                                           for row in rows], start=1):
            for column, value in enumerate(values, start=1):
                text = "" if value is None else str(value)
                if not text:
                    continue
                cell = sheet.cell(row=number, column=column, value=text)
                if text.startswith(FORMULA_STARTS):  # "=..." would be a formula: text it stays
                    cell.data_type = "s"
                    cell.quotePrefix = True
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(list(columns))
    for row in rows:
        writer.writerow([neutralised(row.get(c, "")) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
