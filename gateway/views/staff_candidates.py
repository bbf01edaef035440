"""Staff helping candidates (/gestion/candidats): search within their scope,
the candidate's whole dossier with its history of corrections, mails and
applications; corrections, an account on the candidate's behalf, a new
activation link, deletion. The accounts service checks role and scope again."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.common.errors import Conflict, ValidationFailed

from .. import dossier_forms, security
from ..rpc import optional, remote
from ..errors import field_errors, message_for
from ..i18n import current_language
from .candidate import SECTION_OF_SLUG, SLUGS, entry_page, render_section

bp = Blueprint("staff_candidates", __name__, url_prefix="/gestion/candidats")

LAYOUT = "staff/base.html"


@bp.before_request
def require_staff():
    return security.staff_required(lambda: None)()


def me():
    return security.actor()


def can_manage():
    """Which buttons the pages show, as accounts computed it for the actor's
    role; accounts refuses the others anyway (committee members read the
    dossiers of their commissions, readonly staff only read)."""
    return bool(me().get("can_manage_candidate_accounts"))


@bp.get("")
def search():
    text = request.args.get("q", "").strip()
    found = remote().accounts.search_candidates(me(), text) if text else []
    return render_template("staff/candidates/search.html", q=text, found=found,
                           can_create=can_manage())


@bp.route("/nouveau", methods=["GET", "POST"])
def create():
    if not can_manage():  # no form for who may not send it (accounts refuses it too)
        abort(403)
    form, errors, status = {"lang": current_language()}, {}, 200
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip()
                for k in ("last_name", "first_name", "email", "email_confirm", "lang")}
        try:
            done = remote().accounts.create_account_for(
                me(), form, idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Compte créé : le lien d'activation a été envoyé à %(email)s.", email=form["email"]), "success")
            return redirect(url_for("staff_candidates.show", candidate_id=done["candidate_id"]))
    return render_template("staff/candidates/create.html", form=form, errors=errors), status


@bp.get("/<int:candidate_id>")
def show(candidate_id):
    accounts = remote().accounts
    dossier = accounts.get_dossier(me(), candidate_id)
    # a candidate has at most 20 active applications (and a few cancelled ones)
    applications = remote().applications.list_applications(
        me(), {"candidate": candidate_id}, per_page=200)["items"]
    reference = accounts.reference_data(me())
    return render_template(
        "staff/candidates/show.html", dossier=dossier, candidate_id=candidate_id,
        changes=accounts.list_dossier_changes(me(), candidate_id),
        # the mails sent are a side panel: the page does without notifications
        mails=optional(remote().notifications.list_mails, me(), candidate_id),
        applications=applications, ref=reference, slugs=SLUGS,
        entry_fields={section: dossier_forms.form_fields(reference, section)
                      for section in ("external", "internships", "experience")},
        can_write=can_manage(), can_delete=can_manage())


@bp.route("/<int:candidate_id>/dossier/<slug>", methods=["GET", "POST"])
def edit_section(candidate_id, slug):
    section = SECTION_OF_SLUG.get(slug)
    reference = remote().accounts.reference_data(me())
    if dossier_forms.is_list(reference, section):
        return entries(candidate_id, section, reference=reference)
    if section == "internal" or dossier_forms.schema(reference, section) is None:
        abort(404)
    data = remote().accounts.get_dossier(me(), candidate_id)
    form, errors, message, status = dict(data.get(section) or {}), {}, None, 200
    if request.method == "POST":
        form = dossier_forms.posted(reference, section)
        try:
            remote().accounts.save_dossier_section(me(), section, form, candidate_id=candidate_id)
        except ValidationFailed as exc:
            errors, message, status = field_errors(exc), _("Le formulaire contient des erreurs : corrigez les champs signalés."), 422
        except Conflict as exc:
            errors, message, status = field_errors(exc), message_for(exc), 409
        else:
            flash(_("Modification enregistrée."), "success")
            return redirect(url_for("staff_candidates.show", candidate_id=candidate_id))
    # staff correct every field, read-only ones included
    editable = {**data, "readonly": {}, "personal_locked": False}
    return render_section(section, editable, form, errors, message, status, reference,
                          layout=LAYOUT,
                          next_url=None, back_label=_("Fiche du candidat"),
                          back_url=url_for("staff_candidates.show", candidate_id=candidate_id))


def entries(candidate_id, section, entry_id=None, reference=None):
    back = url_for("staff_candidates.show", candidate_id=candidate_id)
    reference = reference or remote().accounts.reference_data(me())
    return entry_page(section, entry_id, candidate_id, back, reference, layout=LAYOUT,
                      next_url=None,
                      list_url=url_for("staff_candidates.edit_section", candidate_id=candidate_id,
                                       slug=SLUGS[section]),
                      back_label=_("Fiche du candidat"), back_url=back)


@bp.route("/<int:candidate_id>/dossier/<slug>/<entry_id>", methods=["GET", "POST"])
def edit_entry(candidate_id, slug, entry_id):
    section = SECTION_OF_SLUG.get(slug)
    reference = remote().accounts.reference_data(me())
    if not dossier_forms.is_list(reference, section):
        abort(404)
    return entries(candidate_id, section, entry_id, reference)


@bp.post("/<int:candidate_id>/dossier/<slug>/<entry_id>/supprimer")
def delete_entry(candidate_id, slug, entry_id):
    section = SECTION_OF_SLUG.get(slug)
    if not dossier_forms.is_list(remote().accounts.reference_data(me()), section):
        abort(404)
    remote().accounts.delete_dossier_entry(me(), section, entry_id, candidate_id=candidate_id)
    flash(_("Modification enregistrée."), "success")
    return redirect(url_for("staff_candidates.show", candidate_id=candidate_id))


@bp.post("/<int:candidate_id>/activation")
def resend_activation(candidate_id):
    try:
        remote().accounts.resend_activation(me(), candidate_id,
                                            idempotency_key=security.idempotency_key())
    except Conflict as exc:
        flash(message_for(exc), "error")
    else:
        flash(_("Un nouveau lien d'activation a été envoyé au candidat."), "success")
    return redirect(url_for("staff_candidates.show", candidate_id=candidate_id))


@bp.post("/<int:candidate_id>/supprimer")
def delete(candidate_id):
    if request.form.get("confirm") != "1":
        flash(_("Cochez la case pour confirmer la suppression."), "error")
        return redirect(url_for("staff_candidates.show", candidate_id=candidate_id))
    remote().accounts.delete_account(me(), candidate_id)
    flash(_("Compte supprimé."), "success")
    return redirect(url_for("staff_candidates.search"))
