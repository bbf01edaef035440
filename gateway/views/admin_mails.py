"""Administration of mails (/gestion/admin/mails): the mails given up on, to
resend (one, or all since a day), and the mail templates, edited with a
preview, their versions, revert and reset. Administrators only: the
notifications service checks again."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.common import actors
from services.common.errors import NotFound, ValidationFailed

from .. import security
from ..errors import message_for
from ..rpc import remote

bp = Blueprint("admin_mails", __name__, url_prefix="/gestion/admin/mails")

LANGUAGE_NAMES = {"fr": "français", "en": "English"}


@bp.before_request
def require_admin():
    refused = security.staff_required(lambda: None)()
    if refused is not None:
        return refused
    if not actors.has_role(security.actor(), actors.ADMINISTRATORS):
        abort(403)
    return None


def _notifications():
    return remote().notifications


# -- mails given up on -------------------------------------------------------------------

@bp.get("/en-echec")
def failed_mails():
    since = request.args.get("depuis", "").strip() or None
    try:
        mails = _notifications().list_failed_mails(security.actor(), since)
    except ValidationFailed:
        flash(_("Date invalide : utilisez le format aaaa-mm-jj."), "error")
        mails, since = _notifications().list_failed_mails(security.actor(), None), None
    return render_template("admin/failed_mails.html", mails=mails, since=since)


@bp.post("/en-echec/renvoyer")
def resend_mails():
    since = request.form.get("since", "").strip() or None
    ids = None if request.form.get("all") else request.form.getlist("id")
    if ids == []:
        return redirect(url_for("admin_mails.failed_mails"))
    try:
        done = _notifications().resend_mails(
            security.actor(), ids, since,
            idempotency_key=request.form.get("idempotency_key") or None)
    except ValidationFailed:
        flash(_("Date invalide : utilisez le format aaaa-mm-jj."), "error")
        return redirect(url_for("admin_mails.failed_mails"))
    flash(_("%(count)s mail(s) renvoyé(s) : ils partent dans quelques secondes.",
            count=len(done["resent"])), "success")
    if done["missing"]:
        flash(_("%(count)s mail(s) déjà renvoyé(s) ou supprimé(s).",
                count=len(done["missing"])), "error")
    return redirect(url_for("admin_mails.failed_mails"))


# -- templates ---------------------------------------------------------------------------

@bp.get("/modeles")
def templates():
    rows = _notifications().list_templates(security.actor())
    return render_template("admin/mail_templates.html", templates=rows,
                           languages=LANGUAGE_NAMES)


def _problem(exc):
    """One sentence for a refused template, with its line."""
    fields = exc.fields or {}
    line, detail = fields.get("line"), fields.get("detail", "")
    if exc.code == "unknown_variable":
        return _("Ligne %(line)s : la variable « %(name)s » n'existe pas pour ce mail "
                 "(voir la liste des variables).", line=line, name=detail)
    if exc.code == "template_syntax":
        return _("Ligne %(line)s : erreur de syntaxe (%(detail)s).", line=line, detail=detail)
    if exc.code == "template_render":
        return _("Le modèle ne peut pas être affiché avec l'exemple (%(detail)s).",
                 detail=detail)
    if exc.code == "subject_one_line":
        return _("L'objet doit tenir sur une ligne.")
    return message_for(exc)


@bp.route("/modeles/<code>/<lang>", methods=["GET", "POST"])
def edit_template(code, lang):
    actor = security.actor()
    try:
        current = _notifications().get_template(actor, code, lang)
    except ValidationFailed:
        abort(404)
    form = {"subject": current["subject"], "body": current["body"]}
    preview, problem, status = None, None, 200
    if request.method == "POST":
        form = {"subject": request.form.get("subject", ""),
                "body": request.form.get("body", "").replace("\r\n", "\n")}
        try:
            if request.form.get("action") == "preview":
                preview = _notifications().preview_template(actor, code, lang, form["subject"],
                                                            form["body"])
            else:
                saved = _notifications().save_template(
                    actor, code, lang, form["subject"], form["body"],
                    idempotency_key=security.idempotency_key())
                flash(_("Modèle enregistré (version %(version)s) : il s'applique aux prochains mails.",
                        version=saved["version"]), "success")
                return redirect(url_for("admin_mails.edit_template", code=code, lang=lang))
        except ValidationFailed as exc:
            problem, status = _problem(exc), 422
    return render_template("admin/mail_template.html", template=current, form=form,
                           preview=preview, problem=problem,
                           language=LANGUAGE_NAMES[lang]), status


@bp.post("/modeles/<code>/<lang>/versions/<int:version>/retablir")
def revert_template(code, lang, version):
    try:
        saved = _notifications().revert_template(
            security.actor(), code, lang, version,
            idempotency_key=request.form.get("idempotency_key") or None)
    except (NotFound, ValidationFailed):
        abort(404)
    flash(_("Version %(old)s rétablie (nouvelle version %(version)s).", old=version,
            version=saved["version"]), "success")
    return redirect(url_for("admin_mails.edit_template", code=code, lang=lang))


@bp.post("/modeles/<code>/<lang>/origine")
def reset_template(code, lang):
    try:
        _notifications().reset_template(
            security.actor(), code, lang,
            idempotency_key=request.form.get("idempotency_key") or None)
    except ValidationFailed:
        abort(404)
    flash(_("Modèle d'origine rétabli."), "success")
    return redirect(url_for("admin_mails.edit_template", code=code, lang=lang))
