"""Spreadsheets in and out of the staff portal (catalogue import and export):
CSV (UTF-8, comma or semicolon) and XLSX, as lists of dicts keyed by the
header line. Only the file format lives here; the catalog service checks the
rows themselves."""
import csv
import io

from openpyxl import Workbook, load_workbook

MAX_ROWS = 5000


class UnreadableFile(ValueError):
    pass


def read(filename, data):
    """-> [{column: text}] (the header line excluded); UnreadableFile otherwise."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(data)
    raise UnreadableFile("format")


def _read_csv(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("encoding") from None
    first = text.partition("\n")[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    if len(rows) > MAX_ROWS:
        raise UnreadableFile("too_many_rows")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k} for row in rows]


def _read_xlsx(data):
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        lines = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(lines)]
    except Exception:  # not a workbook, or an empty one
        raise UnreadableFile("format") from None
    rows = []
    for line in lines:
        if all(cell in (None, "") for cell in line):
            continue
        rows.append({header[i]: _cell(cell) for i, cell in enumerate(line) if i < len(header)
                     and header[i]})
        if len(rows) > MAX_ROWS:
            raise UnreadableFile("too_many_rows")
    return rows


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "isoformat"):  # a date or datetime cell
        return (value.date() if hasattr(value, "hour") else value).isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def write(columns, rows, kind):
    """-> (bytes, content type) of the rows as CSV (semicolons, for French
    spreadsheets) or XLSX."""
    if kind == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.append(list(columns))
        for row in rows:
            sheet.append([row.get(c, "") for c in columns])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), delimiter=";", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
