"""The student-records extract: who is enrolled at the university, with their
identity, baccalauréat and internal record. Internal
students who log in through CAS are matched to it by student number or INE.

Import (an administrator, from the file the student-records system exports):

    python -m services.accounts.dossier.students import FILE.csv

The file is UTF-8 text, comma or semicolon separated, with a header line and one
line per student and cursus year (identity columns repeated on each line of a
student). Columns (* required):

    student_number*   numéro étudiant (up to 20 letters/digits)
    ine               INE with its key (11 characters, checked)
    civility          M or MME
    birth_name*, usage_name, first_name*, other_first_names
    birth_date        YYYY-MM-DD
    nationality, birth_country     ISO 3166 alpha-2 (FR, DE...)
    birth_department, birth_commune   when born in France; else birth_town
    email             the student's address (used when CAS gives none)
    bac_year, bac_series, bac_mention, bac_country, bac_department, bac_school
                      empty bac_year: "no bac"
    cursus_year, cursus_code, cursus_label, cursus_result, cursus_mention,
    cursus_mark       one year of the internal record (optional)

Every line is checked first; if any is wrong, every error is printed with its
line number and nothing changes. Otherwise each student is created or replaced.
"""
import csv
import io
import re
import sys
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from .. import domain
from . import reference
from ..models import StudentRecord

IDENTITY = ("student_number", "ine", "civility", "birth_name", "usage_name", "first_name",
            "other_first_names", "birth_date", "nationality", "birth_country",
            "birth_department", "birth_commune", "birth_town", "email")
BAC = ("bac_year", "bac_series", "bac_mention", "bac_country", "bac_department", "bac_school")
CURSUS = ("cursus_year", "cursus_code", "cursus_label", "cursus_result", "cursus_mention",
          "cursus_mark")
COLUMNS = IDENTITY + BAC + CURSUS
REQUIRED = ("student_number", "birth_name", "first_name")
STUDENT_NUMBER = re.compile(r"[0-9A-Za-z]{1,20}")


class ExtractInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def read(text):
    """-> {student_number: record dict}, or ExtractInvalid with every error."""
    dialect = ";" if text.partition("\n")[0].count(";") > text.partition("\n")[0].count(",") else ","
    rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=dialect)
    missing = [c for c in REQUIRED if c not in (rows.fieldnames or [])]
    if missing:
        raise ExtractInvalid([f"line 1: missing columns {', '.join(missing)}"])
    students, errors, ines = {}, [], {}
    for line, row in enumerate(rows, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
        problems = check(row)
        errors += [f"line {line}: {problem}" for problem in problems]
        if problems:
            continue
        ine = row.get("ine", "").upper()
        holder = ines.setdefault(ine, (row["student_number"], line)) if ine else None
        if holder is not None and holder[0] != row["student_number"]:
            errors.append(f"line {line}: ine {ine} is also the INE of student {holder[0]} "
                          f"(line {holder[1]})")
            continue
        record = students.get(row["student_number"])
        if record is None:
            record = students[row["student_number"]] = to_record(row)
            record["line"] = line
        elif any(record["identity"].get(k) != row.get(k) for k in IDENTITY if row.get(k)):
            errors.append(f"line {line}: student {row['student_number']} has another identity "
                          "on an earlier line")
            continue
        if row.get("cursus_year"):
            record["cursus"].append({k[len("cursus_"):]: row[k] for k in CURSUS if row.get(k)})
    if errors:
        raise ExtractInvalid(errors)
    return students


def check(row):
    problems = [f"{c} is required" for c in REQUIRED if not row.get(c)]
    if row.get("student_number") and not STUDENT_NUMBER.fullmatch(row["student_number"]):
        problems.append("student_number must be letters and digits")
    if row.get("ine") and not domain.is_valid_ine(row["ine"]):
        problems.append(f"ine {row['ine']!r} is not a valid INE")
    if row.get("civility") and row["civility"].upper() not in ("M", "MME"):
        problems.append("civility must be M or MME")
    if row.get("birth_date") and domain.parse_day(row["birth_date"]) is None:
        problems.append("birth_date must be YYYY-MM-DD")
    for column in ("nationality", "birth_country", "bac_country"):
        if row.get(column) and row[column].upper() not in reference.country_codes():
            problems.append(f"{column} {row[column]!r} is not an ISO 3166 country code")
    for column in ("birth_department", "bac_department"):
        if row.get(column) and row[column].upper() not in reference.departments():
            problems.append(f"{column} {row[column]!r} is not a département")
    department = row.get("birth_department", "").upper()
    if (row.get("birth_commune") and department in reference.departments()
            and row.get("birth_country", "FR").upper() == reference.FRANCE
            and reference.commune_in_department(department, row["birth_commune"]) is None):
        problems.append(f"birth_commune {row['birth_commune']!r} is not a commune of "
                        f"département {department}")
    if row.get("bac_series") and \
            row["bac_series"].upper() not in reference.codes_of(reference.BAC_SERIES):
        problems.append(f"bac_series {row['bac_series']!r} is not a bac series of the "
                        "reference list")
    if row.get("email") and not domain.is_valid_email(row["email"]):
        problems.append("email is not a valid address")
    for column in ("bac_year", "cursus_year"):
        if row.get(column) and not re.fullmatch(r"\d{4}", row[column]):
            problems.append(f"{column} must be a year")
    return problems


def to_record(row):
    identity = {k: row[k] for k in IDENTITY if row.get(k)}
    for key in ("ine", "civility", "nationality", "birth_country", "birth_department"):
        if key in identity:
            identity[key] = identity[key].upper()
    if row.get("bac_year"):
        bac = {"has_bac": "yes", "year": row["bac_year"], "country": (row.get("bac_country") or "FR").upper(),
               "series": row.get("bac_series", "").upper(), "mention": row.get("bac_mention", "").upper(),
               "department": row.get("bac_department", "").upper(), "school": row.get("bac_school", "")}
        bac = {k: v for k, v in bac.items() if v}
    else:
        bac = {"has_bac": "no"}
    return {"identity": identity, "bac": bac, "cursus": []}


def store(session, students, now):
    """Creates or replaces each student of the extract (the caller commits).
    An INE that a student left out of this extract already holds is refused
    (ExtractInvalid, nothing written)."""
    wanted = {record["identity"]["ine"]: number for number, record in students.items()
              if record["identity"].get("ine")}
    held = session.execute(select(StudentRecord.ine, StudentRecord.student_number).where(
        StudentRecord.ine.in_(list(wanted)), StudentRecord.student_number.notin_(list(students))))
    errors = [f"line {students[wanted[ine]].get('line', '?')}: ine {ine} is already the INE "
              f"of student {number}" for ine, number in held]
    if errors:
        raise ExtractInvalid(sorted(errors))
    if students:  # INEs moving between students of this extract: free them first
        session.execute(update(StudentRecord).where(
            StudentRecord.student_number.in_(list(students))).values(ine=None))
    for number, record in students.items():
        identity = record["identity"]
        values = {k: identity.get(k) for k in IDENTITY}
        values["birth_date"] = date.fromisoformat(identity["birth_date"]) \
            if identity.get("birth_date") else None
        values.update(bac=record["bac"], cursus=record["cursus"], imported_at=now)
        session.execute(insert(StudentRecord).values(**values).on_conflict_do_update(
            index_elements=["student_number"],
            set_={k: v for k, v in values.items() if k != "student_number"}))
    return len(students)


def find(session, student_number=None, ine=None):
    """The student-records row of a CAS user: by student number, else by INE."""
    if student_number:
        found = session.get(StudentRecord, str(student_number))
        if found is not None:
            return found
    if ine:
        return session.scalars(select(StudentRecord).where(
            StudentRecord.ine == str(ine).upper())).first()
    return None


def import_file(path):
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session

    from services.common.db import make_engine
    with open(path, encoding="utf-8") as source:
        students = read(source.read())
    engine = make_engine("accounts")
    try:
        with Session(engine) as session:
            count = store(session, students, datetime.now(timezone.utc))
            session.commit()
    finally:
        engine.dispose()
    return count


def main(argv):
    if len(argv) != 2 or argv[0] != "import":
        raise SystemExit("usage: python -m services.accounts.dossier.students import FILE.csv")
    try:
        count = import_file(argv[1])
    except ExtractInvalid as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        raise SystemExit(f"nothing imported: {len(exc.errors)} error(s)")
    print(f"{count} student(s) imported")


if __name__ == "__main__":
    main(sys.argv[1:])


def dossier_parts(record, personal=None):
    """(personal, bac, internal) of a dossier from the extract. The extract's
    identity fields that hold a value replace the stored ones; every other
    stored field stays (the candidate's phone, usage name, language..., what
    they or staff entered where the extract is empty)."""
    from .rules import STUDENT_IDENTITY
    personal = dict(personal or {})
    for key in STUDENT_IDENTITY:
        value = getattr(record, key, None)
        if value:
            personal[key] = value.isoformat() if isinstance(value, date) else value
    if record.usage_name and "usage_name" not in personal:
        personal["usage_name"] = record.usage_name
    personal.setdefault("preferred_language", "fr")
    return personal, dict(record.bac or {"has_bac": "no"}), [dict(c) for c in record.cursus or []]
