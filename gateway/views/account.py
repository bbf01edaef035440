"""The candidate's account page (/compte): email change, "Télécharger mes
données", account deletion."""
import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.common.errors import Conflict, ValidationFailed

from .. import security
from ..rpc import remote
from ..errors import field_errors, message_for

from .public import throttled_message

bp = Blueprint("account", __name__, url_prefix="/compte")


@bp.before_request
@security.candidate_required
def require_login():
    return None


def me():
    return security.actor()


def page(form=None, errors=None, status=200, **extra):
    dossier = remote().accounts.get_dossier(me())
    return render_template("candidate/account.html", dossier=dossier, form=form or {},
                           errors=errors or {}, **extra), status


@bp.get("")
def show():
    return page(reauth=request.args.get("reauth") == "1")


def proof():
    """What proves the candidate is who the session says: the current
    password, and which session asks (a fresh CAS login for internal students)."""
    return request.form.get("current_password", ""), security.session_id()


def identity_refused(exc):
    """The sentence for a missing proof (a CAS login too old, too many wrong
    passwords), None for any other refusal."""
    if exc.code == "reauthentication_required":
        return _("Par sécurité, reconnectez-vous avec vos identifiants ENT, puis recommencez dans les %(minutes)s minutes.", minutes=(exc.fields or {}).get("minutes") or "10")
    if exc.code == "login_throttled":
        return throttled_message(exc)
    return None


@bp.post("/email")
def change_email():
    form = {k: request.form.get(k, "").strip() for k in ("email", "email_confirm")}
    try:
        remote().accounts.request_email_change(me(), form["email"], form["email_confirm"],
                                               *proof(), idempotency_key=security.idempotency_key())
    except ValidationFailed as exc:
        return page(form, field_errors(exc), 422)
    except Conflict as exc:
        return page(form, status=429 if exc.code == "login_throttled" else 403,
                    identity_error=identity_refused(exc) or message_for(exc))
    return page(sent=_("Un lien de confirmation a été envoyé à %(email)s. Votre adresse actuelle reste en vigueur jusqu'à la confirmation.", email=form["email"]))


@bp.get("/mes-donnees")
def my_data():
    """Everything the platform holds about the candidate, as one JSON file."""
    services = remote()
    data = {
        **services.accounts.export_my_data(me()),
        "applications": services.applications.export_my_data(me()),
        "mails": services.notifications.list_mails(me()),
        "files": services.documents.list_my_documents(me()),
    }
    number = data.get("account", {}).get("dossier_number") or "dossier"
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(body, content_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="mes-donnees-{number}.json"',
        "Cache-Control": "private, no-store"})


@bp.post("/supprimer")
def delete():
    if request.form.get("confirm") != "1":
        flash(_("Cochez la case pour confirmer la suppression."), "error")
        return redirect(url_for("account.show"))
    try:
        remote().accounts.delete_my_account(me(), *proof())
    except ValidationFailed as exc:  # the current password: missing or wrong
        missing = (exc.fields or {}).get("current_password") == "required"
        flash(_("Saisissez votre mot de passe actuel pour confirmer.") if missing else message_for(exc), "error")
        return redirect(url_for("account.show"))
    except Conflict as exc:
        flash(identity_refused(exc) or message_for(exc), "error")
        return redirect(url_for("account.show", reauth=1)
                        if exc.code == "reauthentication_required" else url_for("account.show"))
    security.forget()  # its sessions went with the account
    flash(_("Votre compte est supprimé. Un mail de confirmation vous a été envoyé."), "success")
    return redirect(url_for("public.home"))
