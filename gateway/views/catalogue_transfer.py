"""Import and export of the catalogue in the staff portal
(/gestion/catalogue/import-export): centres, commissions, formations and
pieces as CSV or XLSX. The catalog service checks every line, role and scope;
this page reads and writes the files and shows every error with its line."""
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext

from services.common.errors import NotFound, ValidationFailed

from .. import security
from ..i18n import error_text, label
from ..rpc import remote
from ..tabular import UnreadableFile, read, write

bp = Blueprint("catalogue_transfer", __name__, url_prefix="/gestion/catalogue")

KINDS = ("centres", "commissions", "formations", "pieces")
FORMATS = ("csv", "xlsx")
SHOWN_CHANGES = 50  # codes listed after an import (the counts say the rest)


@bp.before_request
def require_staff():
    return security.staff_required(lambda: None)()


def page(status=200, **report):
    return render_template("admin/transfer.html", kinds=KINDS,
                           columns=remote().catalog.catalogue_columns(security.actor()), **report), status


@bp.get("/import-export")
def transfer():
    return page()


@bp.get("/import-export/<kind>.<fmt>")
def export(kind, fmt):
    if kind not in KINDS or fmt not in FORMATS:
        abort(404)
    data = remote().catalog.export_catalogue(security.actor(), kind)
    body, content_type = write(data["columns"], data["rows"], fmt)
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{kind}.{fmt}"'})


def line_errors(exc):
    """[(line, column, message)] in the order of the file; whole-file problems
    (no line) come first with line None."""
    found = []
    for key, code in (exc.fields or {}).items():
        line, _, column = str(key).partition(".")
        if line.isdigit():
            found.append((int(line), column, error_text(code)))
        else:
            found.append((None, "", error_text(code)))
    return sorted(found, key=lambda item: (item[0] or 0, item[1]))


@bp.post("/import-export/<kind>")
def import_file(kind):
    if kind not in KINDS:
        abort(404)
    upload = request.files.get("file")
    dry_run = request.form.get("dry_run") == "1"
    if upload is None or not upload.filename:
        return page(422, kind=kind, problem=gettext("Choisissez un fichier."))
    try:
        rows = read(upload.filename, upload.read())
    except UnreadableFile as exc:
        return page(422, kind=kind, problem=label(f"catalogue.unreadable.{exc}"))
    try:
        # a check changes nothing: only a real import is protected from a resend
        done = remote().catalog.import_catalogue(
            security.actor(), kind, rows, dry_run,
            idempotency_key=None if dry_run else security.idempotency_key())
    except ValidationFailed as exc:
        errors = line_errors(exc)
        return page(422, kind=kind, errors=errors, filename=upload.filename,
                    problem=gettext("Import refusé, rien n'a changé : %(n)s erreur(s).", n=len(errors)))
    except NotFound as exc:  # no active campaign to put formations in
        return page(409, kind=kind, filename=upload.filename, problem=error_text(exc.code))
    changes = done.get("changes") or []
    return page(kind=kind, done=done, filename=upload.filename,
                changes=changes[:SHOWN_CHANGES], more=max(0, len(changes) - SHOWN_CHANGES))
