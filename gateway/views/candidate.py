"""The candidate portal: dossier, offer, applications, pieces, decision."""
import requests
from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template,
                   request, stream_with_context, url_for)
from flask_babel import gettext as _

from services.common.errors import Conflict, ValidationFailed

from .. import dossier_forms, security
from ..rpc import optional, remote, service_down
from ..errors import field_errors, message_for
from ..i18n import error_text, label

bp = Blueprint("candidate", __name__)

# The seven sections of the dossier, in the order they are filled,
# with the address of each page.
DOSSIER_ORDER = ("personal", "address", "bac", "internal", "external", "internships",
                 "experience")
SLUGS = {"personal": "personal", "address": "address", "bac": "bac",
         "internal": "cursus-interne", "external": "cursus-externe", "internships": "stages",
         "experience": "experiences"}
SECTION_OF_SLUG = {slug: section for section, slug in SLUGS.items()}
STREAM_CHUNK = 64 * 1024
# What one file may weigh when sent (the documents service's UPLOAD_MAX_MB):
# photos are compressed there, the centre's limit holds on what is stored.
UPLOAD_MAX_MB = 20


@bp.before_request
@security.candidate_required
def require_login():
    return None


def me():
    return security.actor()


# -- dossier -----------------------------------------------------------------

@bp.get("/dossier")
def dossier():
    data = remote().accounts.get_dossier(me())
    return render_template("candidate/dossier.html", dossier=data, order=DOSSIER_ORDER,
                           slugs=SLUGS)


def following_url(section):
    """Where "Suivant" leads: the next section of the dossier, else its overview."""
    index = DOSSIER_ORDER.index(section)
    if index + 1 < len(DOSSIER_ORDER):
        return url_for("candidate.dossier_section", section=SLUGS[DOSSIER_ORDER[index + 1]])
    return url_for("candidate.dossier")


def posted(section, dossier_data, reference):
    """The form as posted, without the fields the candidate may not change
    (disabled in the page: the stored values stay)."""
    names = dossier_forms.field_names(reference, section)
    readonly = dossier_data.get("readonly") or {}
    locked = set(readonly.get(section) or []) if section == "personal" else (
        set(names) if section == "bac" and readonly.get("bac") else set())
    return dossier_forms.posted(reference, section, locked)


@bp.route("/dossier/<section>", methods=["GET", "POST"])
def dossier_section(section):
    section = SECTION_OF_SLUG.get(section)
    if section is None:
        abort(404)
    data = remote().accounts.get_dossier(me())
    if not (data.get("open") or {}).get(section, True):
        # Sections are filled in order, by URL too.
        flash(_("Cette rubrique n'est pas encore accessible : complétez d'abord les rubriques précédentes du dossier (informations personnelles, adresse, baccalauréat)."), "error")
        return redirect(url_for("candidate.dossier"))
    if section == "internal":
        return render_template("candidate/section_internal.html", section=section, dossier=data)
    reference = remote().accounts.reference_data(me())
    if dossier_forms.is_list(reference, section):
        return entries(section, reference=reference)
    form, errors, message = dict(data.get(section) or {}), {}, None
    status = 200
    if request.method == "POST":
        form = posted(section, data, reference)
        try:
            data = remote().accounts.save_dossier_section(me(), section, form)
        except ValidationFailed as exc:
            errors, message, status = field_errors(exc), _("Le formulaire contient des erreurs : corrigez les champs signalés."), 422
        except Conflict as exc:
            errors, message, status = field_errors(exc), message_for(exc), 409
        else:
            flash(_("Informations enregistrées."), "success")
            if request.form.get("next"):
                return redirect(following_url(section))
            return redirect(url_for("candidate.dossier"))
        form = {**dict(data.get(section) or {}), **form}
    return render_section(section, data, form, errors, message, status, reference)


def render_section(section, data, form, errors, message, status, reference, **page):
    """A personal/address/bac form page, drawn from the schema in the
    reference data; staff pages pass their layout and links."""
    communes = []
    if section == "address" and form.get("country") == "FR" and form.get("postal_code"):
        communes = remote().accounts.communes(me(), postal_code=form["postal_code"])
    page.setdefault("next_url", following_url(section))
    return render_template("candidate/section_form.html", section=section, dossier=data,
                           form=form, errors=errors, message=message, ref=reference,
                           fields=dossier_forms.form_fields(reference, section),
                           communes=communes, **page), status


def entry_page(section, entry_id, candidate_id, done_url, reference, **page):
    """A list section: its entries and a form that adds one (or edits one).
    Candidates (candidate_id None) and staff (for a candidate) share it."""
    owner = {} if candidate_id is None else {"candidate_id": candidate_id}
    accounts = remote().accounts
    data = accounts.get_dossier(me(), *([candidate_id] if candidate_id is not None else []))
    items = data.get(section) or []
    current = next((e for e in items if e.get("id") == entry_id), None)
    if entry_id is not None and current is None:
        abort(404)
    form, errors, message, status = dict(current or {}), {}, None, 200
    if request.method == "POST":
        form = dossier_forms.posted(reference, section)
        try:
            if entry_id is None:
                accounts.add_dossier_entry(me(), section, form, **owner,
                                           idempotency_key=security.idempotency_key())
            else:
                accounts.update_dossier_entry(me(), section, entry_id, form, **owner)
        except ValidationFailed as exc:
            errors, message, status = field_errors(exc), _("Le formulaire contient des erreurs : corrigez les champs signalés."), 422
        except Conflict as exc:
            message, status = message_for(exc), 409
        else:
            flash(_("Informations enregistrées."), "success")
            if request.form.get("next") and page.get("next_url"):
                return redirect(page["next_url"])
            return redirect(done_url)
    return render_template("candidate/section_list.html", section=section, slug=SLUGS[section],
                           dossier=data, items=items, entry_id=entry_id, form=form,
                           errors=errors, message=message, ref=reference,
                           fields=dossier_forms.form_fields(reference, section), **page), status


def entries(section, entry_id=None, reference=None):
    list_url = url_for("candidate.dossier_section", section=SLUGS[section])
    reference = reference or remote().accounts.reference_data(me())
    return entry_page(section, entry_id, None, list_url, reference, list_url=list_url,
                      next_url=following_url(section), back_url=url_for("candidate.dossier"))


@bp.route("/dossier/<slug>/<entry_id>", methods=["GET", "POST"])
def dossier_entry(slug, entry_id):
    section = SECTION_OF_SLUG.get(slug)
    reference = remote().accounts.reference_data(me())
    if not dossier_forms.is_list(reference, section):
        abort(404)
    return entries(section, entry_id, reference)


@bp.post("/dossier/<slug>/<entry_id>/supprimer")
def delete_dossier_entry(slug, entry_id):
    section = SECTION_OF_SLUG.get(slug)
    if not dossier_forms.is_list(remote().accounts.reference_data(me()), section):
        abort(404)
    try:
        remote().accounts.delete_dossier_entry(me(), section, entry_id)
    except Conflict as exc:
        flash(message_for(exc), "error")
    else:
        flash(_("Élément supprimé."), "success")
    return redirect(url_for("candidate.dossier_section", section=slug))


# -- offer and applications ----------------------------------------------------

def refusal_text(code, fields=None):
    """Why the candidate cannot apply (or change an application), in full: a
    limit says which one and its number."""
    fields = fields or {}
    if code == "too_many_applications" and fields.get("scope") in ("centre", "global"):
        return label(f"apply.limit_{fields['scope']}", limit=fields.get("limit", ""),
                 centre=fields.get("centre_label") or fields.get("centre", ""))
    return error_text(code)


def short_reason(status):
    """The few words the offer tree shows instead of "Candidater"."""
    reason = (status or {}).get("reason") or "applications_closed"
    fields = (status or {}).get("fields") or {}
    if reason == "too_many_applications" and fields.get("scope") in ("centre", "global"):
        return label(f"offer.reason.limit_{fields['scope']}", limit=fields.get("limit", ""))
    key = f"offer.reason.{reason}"
    return label(key) if key in REASONS else refusal_text(reason, fields)


REASONS = {f"offer.reason.{code}" for code in ("dossier_incomplete", "campaign_not_open",
                                                "applications_closed", "already_applied")}


@bp.get("/offre")
def offer():
    """The tree centre -> level -> formation; "Candidater" on a formation only
    when the candidate can apply to it, else the short reason: one applications
    call for the whole page, whatever its size."""
    text = request.args.get("filtre", "").strip()
    tree = remote().catalog.get_offer(me(), text or None)
    leaves = [{"code": f["code"], "centre": centre["code"], "date_open": f.get("date_open"),
               "date_close": f.get("date_close")}
              for centre in tree for level in centre["levels"] for f in level["formations"]]
    status = remote().applications.apply_status(me(), leaves) if leaves else {}
    incomplete = any(s.get("reason") == "dossier_incomplete" for s in status.values())
    return render_template("candidate/offer.html", tree=tree, filter_text=text, status=status,
                           short_reason=short_reason, dossier_incomplete=incomplete)


@bp.get("/offre/<code>")
def formation(code):
    """A formation of the offer: its dates, treatment type, required pieces and
    the contact of its centre, with "Candidater" only when allowed (else why not)."""
    data = remote().catalog.get_formation(me(), code)
    status = remote().applications.can_apply(me(), data["code"])
    return render_template("candidate/formation.html", f=data, allowed=status["allowed"],
                           reason=status["reason"],
                           why_not=refusal_text(status["reason"], status.get("fields"))
                           if status["reason"] else "")


@bp.get("/candidatures")
def applications():
    items = remote().applications.list_my_applications(me())
    return render_template("candidate/applications.html", applications=items)


@bp.post("/candidatures")
def apply():
    code = request.form.get("formation_code", "")
    try:
        created = remote().applications.create_application(
            me(), code, idempotency_key=security.idempotency_key())
    except Conflict as exc:
        flash(refusal_text(exc.code, exc.fields), "error")
        return redirect(url_for("candidate.offer"))
    flash(_("Votre candidature est créée. Déposez maintenant vos pièces justificatives."), "success")
    return redirect(url_for("candidate.application", application_id=created["id"]))


@bp.get("/candidatures/<int:application_id>")
def application(application_id):
    data = remote().applications.get_application(me(), application_id)
    # documents down: the pieces are listed, their files cannot be sent nor read
    documents_down = service_down("documents")
    files = None if documents_down else optional(
        remote().applications.list_piece_files, me(), application_id)
    return render_template("candidate/application.html", app=data, files=files or {},
                           documents_down=documents_down,
                           upload_max=UPLOAD_MAX_MB * 1024 * 1024)


def action_message(exc):
    """A refused command on an application: an archived campaign's says so."""
    return _("La campagne de cette candidature est archivée : elle ne peut plus être modifiée.") if exc.code == "campaign_archived" else message_for(exc)


def back_to(application_id, message=None, category="success"):
    if message:
        flash(message, category)
    return redirect(url_for("candidate.application", application_id=application_id))


def do(application_id, command, *args, success=None):
    """Run one application command (`remote().applications.<method>`); a refused
    one becomes a message on the page."""
    try:
        command(me(), application_id, *args, idempotency_key=security.idempotency_key())
    except (Conflict, ValidationFailed) as exc:
        return back_to(application_id, action_message(exc), "error")
    return back_to(application_id, success)


def after_upload(application_id, message, category="success"):
    """Back to the application; the page's script sent the form itself (upload
    progress) and is told where to go rather than redirected, so that the
    message is shown on that page and not spent on the script's request."""
    flash(message, category)
    target = url_for("candidate.application", application_id=application_id)
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return jsonify(location=target)
    return redirect(target)


@bp.post("/candidatures/<int:application_id>/pieces/<piece_code>/fichier")
def upload_piece(application_id, piece_code):
    """One or several files for a piece, each added to the piece's merged PDF in
    the order chosen. Werkzeug spools each file to disk, and its bytes go on to
    object storage as a stream: the gateway's memory does not grow with files."""
    uploads = [u for u in request.files.getlist("file") if u and u.filename]
    if not uploads:
        return after_upload(application_id, _("Choisissez un fichier."), "error")
    applications = remote().applications
    added, waiting = [], []
    for upload in uploads:
        upload.stream.seek(0, 2)
        size = upload.stream.tell()
        upload.stream.seek(0)
        try:
            key = security.idempotency_key()  # one per method: the same value serves both
            if len(uploads) > 1:  # one key per file of the form
                key = f"{key}:{len(added) + len(waiting)}" if key else key
            ticket = applications.start_piece_upload(me(), application_id, piece_code,
                                                     upload.filename, size, idempotency_key=key)
            # Bytes go straight to object storage; only ids travel over RabbitMQ.
            stored = requests.put(ticket["put_url"], data=upload.stream,
                                  headers={"Content-Length": str(size)}, timeout=60)
            stored.raise_for_status()
            view = applications.finish_piece_upload(me(), application_id, piece_code,
                                                    ticket["document_id"], idempotency_key=key)
        except (Conflict, ValidationFailed) as exc:
            message = action_message(exc)
            if len(uploads) > 1:
                message = _("« %(name)s » : %(reason)s", name=upload.filename, reason=message)
            if added or waiting:
                message += " " + _("Les fichiers précédents sont bien déposés.")
            return after_upload(application_id, message, "error")
        (waiting if view.get("upload_status") == "scanning" else added).append(upload.filename)
    if waiting:
        return after_upload(application_id, _(
            "Fichier reçu, en cours de vérification : il apparaîtra dans la pièce dès la "
            "fin de l'analyse antivirus."), "info")
    return after_upload(application_id, _("Fichier déposé.") if len(added) == 1 else _(
        "%(count)s fichiers déposés et réunis en un seul PDF.", count=len(added)))


@bp.post("/candidatures/<int:application_id>/pieces/<piece_code>/fichiers")
def arrange_piece(application_id, piece_code):
    """Move a file of the piece up or down, or remove it: the buttons say which
    ("haut:<id>", "bas:<id>", "retirer:<id>"), the form lists the files in order."""
    order = [str(i) for i in request.form.getlist("part")]
    action, _sep, part = request.form.get("action", "").partition(":")
    if part not in order or action not in ("haut", "bas", "retirer"):
        return back_to(application_id, _("Choisissez un fichier."), "error")
    index = order.index(part)
    if action == "retirer":
        order.remove(part)
    elif action == "haut" and index > 0:
        order[index - 1], order[index] = order[index], order[index - 1]
    elif action == "bas" and index < len(order) - 1:
        order[index + 1], order[index] = order[index], order[index + 1]
    return do(application_id, remote().applications.arrange_piece_files, piece_code, order,
              success=_("Fichier retiré.") if action == "retirer" else _("Ordre des fichiers enregistré."))


@bp.post("/candidatures/<int:application_id>/pieces/<piece_code>/supprimer")
def delete_piece(application_id, piece_code):
    return do(application_id, remote().applications.delete_piece_file, piece_code,
              success=_("Fichier supprimé."))


@bp.post("/candidatures/<int:application_id>/pieces/<piece_code>/non-concerne")
def not_concerned(application_id, piece_code):
    value = request.form.get("value") == "1"
    return do(application_id, remote().applications.set_not_concerned, piece_code, value,
              success=_("Informations enregistrées."))


def stream_download(link, attachment=False):
    upstream = requests.get(link["url"], stream=True, timeout=60)
    if upstream.status_code != 200:
        abort(404)
    disposition = "attachment" if attachment else "inline"
    filename = link.get("filename") or "document"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{requests.utils.quote(filename)}",
        "Cache-Control": "private, no-store",
    }
    if link.get("size"):
        headers["Content-Length"] = str(link["size"])
    return Response(stream_with_context(upstream.iter_content(STREAM_CHUNK)),
                    content_type=link.get("content_type") or "application/octet-stream",
                    headers=headers)


@bp.get("/candidatures/<int:application_id>/pieces/<piece_code>")
def view_piece(application_id, piece_code):
    link = remote().applications.get_piece_download(me(), application_id, piece_code)
    return stream_download(link)


@bp.get("/candidatures/<int:application_id>/pieces/<piece_code>/modele")
def piece_template(application_id, piece_code):
    link = remote().applications.get_piece_template(me(), application_id, piece_code)
    return stream_download(link, attachment=True)


@bp.get("/candidatures/<int:application_id>/transmettre")
def transmit_confirm(application_id):
    data = remote().applications.get_application(me(), application_id)
    return render_template("candidate/transmit.html", app=data)


@bp.post("/candidatures/<int:application_id>/transmettre")
def transmit(application_id):
    return do(application_id, remote().applications.transmit, success=_("Votre candidature est transmise."))


@bp.post("/candidatures/<int:application_id>/annuler")
def cancel(application_id):
    try:
        remote().applications.cancel(me(), application_id,
                                     idempotency_key=security.idempotency_key())
    except Conflict as exc:
        return back_to(application_id, action_message(exc), "error")
    flash(_("Votre candidature est annulée."), "success")
    return redirect(url_for("candidate.applications"))


@bp.post("/candidatures/<int:application_id>/confirmer")
def confirm(application_id):
    return do(application_id, remote().applications.confirm, success=_("Confirmation candidature"))


@bp.post("/candidatures/<int:application_id>/desister")
def withdraw(application_id):
    return do(application_id, remote().applications.withdraw, success=_("Désistement candidature"))


@bp.get("/candidatures/<int:application_id>/lettre-admission")
def admission_letter(application_id):
    # the commission's letter: its wording, signatory and the candidate's postal address
    try:
        link = remote().applications.get_letter(me(), application_id, "admission")
    except Conflict as exc:
        return back_to(application_id, message_for(exc), "error")
    return stream_download(link, attachment=True)


@bp.get("/mails")
def mails():
    items = remote().notifications.list_mails(me())
    return render_template("candidate/mails.html", mails=items)
