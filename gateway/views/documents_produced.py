"""The documents made from applications: "Télécharger mon dossier" (candidates),
the dossier, letters and their preview (staff), the commissions' letter
wordings, and archives of several dossiers built in the background."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.common.errors import Conflict, NotFound, ValidationFailed

from .. import security
from ..errors import message_for
from ..rpc import remote
from .candidate import stream_download

candidate_bp = Blueprint("candidate_documents", __name__)
staff_bp = Blueprint("staff_documents", __name__, url_prefix="/gestion")

LETTER_KINDS = ("admission", "refusal")


def me():
    return security.actor()


# -- candidates ------------------------------------------------------------------

@candidate_bp.get("/candidatures/<int:application_id>/dossier.pdf")
@security.candidate_required
def my_dossier(application_id):
    return stream_download(remote().applications.get_dossier_pdf(me(), application_id),
                           attachment=True)


@candidate_bp.get("/candidatures/<int:application_id>/lettre/<kind>")
@security.candidate_required
def my_letter(application_id, kind):
    try:
        link = remote().applications.get_letter(me(), application_id, kind)
    except Conflict as exc:
        flash(message_for(exc), "error")
        return redirect(url_for("candidate.application", application_id=application_id))
    return stream_download(link, attachment=True)


# -- staff -----------------------------------------------------------------------

@staff_bp.get("/candidatures/<int:application_id>/dossier.pdf")
@security.staff_required
def dossier(application_id):
    return stream_download(remote().applications.get_dossier_pdf(me(), application_id),
                           attachment=True)


@staff_bp.get("/candidatures/<int:application_id>/lettre/apercu")
@security.staff_required
def letter_preview(application_id):
    # offered only when the decision brings a letter: a conflict is the error page
    link = remote().applications.preview_letter(me(), application_id)
    return stream_download(link, attachment=False)


@staff_bp.route("/formations/<formation_code>/lettres/<kind>", methods=["GET", "POST"])
@security.staff_required
def letter_template(formation_code, kind):
    if kind not in LETTER_KINDS:
        raise NotFound("not_found", "no such letter")
    errors, status = {}, 200
    if request.method == "POST":
        body = None if request.form.get("reset") else request.form.get("body", "")
        try:
            remote().applications.save_letter_template(
                me(), formation_code, kind, body, bool(request.form.get("attach")),
                idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = exc.fields or {"body": exc.code}, 400
            flash(message_for(exc), "error")
        else:
            flash(_("Modification enregistrée."), "success")
            return redirect(url_for("staff_documents.letter_template",
                                    formation_code=formation_code, kind=kind,
                                    back=request.args.get("back")))
    template = remote().applications.get_letter_template(me(), formation_code, kind)
    if errors:
        template["body"] = request.form.get("body", "")
    return render_template("staff/letter_template.html", template=template, kind=kind,
                           formation_code=formation_code, errors=errors,
                           back=_local(request.args.get("back"))), status


def _local(url):
    """A back link within the site only."""
    return url if url and url.startswith("/") and not url.startswith("//") else None


@staff_bp.post("/dossiers/archive")
@security.staff_required
def start_archive():
    ids = [int(i) for i in request.form.getlist("application_id") if i.isdigit()]
    filters = {k: request.form.get(k, "") for k in ("centre", "status", "q")
               if request.form.get(k)}
    try:
        archive = remote().applications.start_dossier_archive(
            me(), ids or None, None if ids else filters, request.form.get("format", "zip"),
            idempotency_key=security.idempotency_key())
    except (Conflict, ValidationFailed) as exc:
        flash(message_for(exc), "error")
        return redirect(url_for("staff.applications"))
    return redirect(url_for("staff_documents.archive", archive_id=archive["archive_id"]))


@staff_bp.get("/dossiers/archive/<archive_id>")
@security.staff_required
def archive(archive_id):
    view = remote().documents.get_archive(me(), archive_id)
    view.pop("url", None)  # the page links to the download route, which asks a fresh one
    return render_template("staff/archive.html", archive=view)


@staff_bp.get("/dossiers/archive/<archive_id>/telecharger")
@security.staff_required
def archive_download(archive_id):
    view = remote().documents.get_archive(me(), archive_id)
    if not view.get("url"):
        flash(_("Cette archive n'est pas disponible (en préparation ou expirée)."), "error")
        return redirect(url_for("staff_documents.archive", archive_id=archive_id))
    kind = "application/zip" if view["format"] == "zip" else "application/pdf"
    return stream_download(dict(view, content_type=kind), attachment=True)
