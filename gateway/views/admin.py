"""Administration (/gestion/admin): staff users, their role and scope; the
events the services' handlers gave up on (dead letters), to replay. Only
administrators: the services check again."""
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.common.config import SERVICES
from services.common.errors import Conflict, NotFound, Unavailable, ValidationFailed

from .. import security
from ..rpc import remote
from ..errors import field_errors, message_for


bp = Blueprint("admin", __name__, url_prefix="/gestion/admin")

FIELDS = ("login", "display_name", "email", "role", "centres", "commissions", "presides",
          "password")


@bp.before_request
def require_admin():
    """Pages for who accounts says may use them (the staff actor's capabilities)."""
    refused = security.staff_required(lambda: None)()
    if refused is not None:
        return refused
    needed = ("can_replay_dead_letters" if "dead_letters" in (request.endpoint or "")
              else "can_manage_staff")
    if not security.actor().get(needed):
        abort(403)
    return None


def staff_roles():
    """The roles a staff user may have, as accounts lists them."""
    return remote().accounts.reference_data(security.actor()).get("staff_roles") or []


def posted():
    data = {k: request.form.get(k, "").strip() for k in FIELDS}
    data["active"] = "1" if request.form.get("active") else "0"
    return data


def as_form(user):
    return {**user, **{k: ", ".join(user.get(k) or []) for k in ("centres", "commissions",
                                                                 "presides")},
            "active": user.get("active", True)}


@bp.get("/utilisateurs")
def staff_users():
    users = remote().accounts.list_staff(security.actor())
    return render_template("admin/staff_users.html", users=users)


@bp.route("/utilisateurs/nouveau", methods=["GET", "POST"])
def create_staff():
    form, errors, message, status = {"role": "manager", "active": True}, {}, None, 200
    if request.method == "POST":
        form = posted()
        try:
            remote().accounts.create_staff(security.actor(), form,
                                           idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, message, status = field_errors(exc), _("Le formulaire contient des erreurs : corrigez les champs signalés."), 422
        else:
            flash(_("Utilisateur %(login)s créé.", login=form["login"]), "success")
            return redirect(url_for("admin.staff_users"))
    return render_template("admin/staff_user.html", form=form, errors=errors, message=message,
                           roles=staff_roles(), creating=True), status


@bp.route("/utilisateurs/<int:staff_id>", methods=["GET", "POST"])
def edit_staff(staff_id):
    try:
        user = remote().accounts.get_staff(security.actor(), staff_id)
    except NotFound:
        abort(404)
    form, errors, message, status = as_form(user), {}, None, 200
    if request.method == "POST":
        form = {**posted(), "login": user["login"]}
        try:
            remote().accounts.update_staff(security.actor(), staff_id, form)
        except ValidationFailed as exc:
            errors, message, status = field_errors(exc), _("Le formulaire contient des erreurs : corrigez les champs signalés."), 422
        except Conflict as exc:
            message, status = message_for(exc), 409
        else:
            flash(_("Utilisateur enregistré ; les changements s'appliquent en quelques secondes (désactivé ou nouveau mot de passe : ses sessions sont fermées)."), "success")
            return redirect(url_for("admin.staff_users"))
    return render_template("admin/staff_user.html", form=form, errors=errors, message=message,
                           roles=staff_roles(), creating=False, user=user), status


# -- dead letters: events a service's handlers gave up on ---------------------------

def _letters_of(service):
    """(letters, reachable): a service that does not answer is shown as such
    while the others are listed."""
    try:
        return getattr(remote(), service).list_dead_letters(security.actor()), True
    except Unavailable:
        return [], False


@bp.get("/lettres-mortes")
def dead_letters():
    services = [(name, *_letters_of(name)) for name in SERVICES]
    # Replay is naturally idempotent (a replayed letter leaves the queue, each
    # event applies once); the key still travels, as on every form.
    return render_template("admin/dead_letters.html", services=services,
                           idempotency_key=secrets.token_urlsafe(16))


@bp.post("/lettres-mortes/<service>/rejouer")
def replay_dead_letters(service):
    if service not in SERVICES:
        abort(404)
    ids = None if request.form.get("all") else request.form.getlist("id")
    if ids == []:
        return redirect(url_for("admin.dead_letters"))
    done = getattr(remote(), service).replay_dead_letters(
        security.actor(), ids, idempotency_key=request.form.get("idempotency_key") or None)
    flash(_("%(count)s message(s) rejoué(s) pour %(service)s.", count=len(done["replayed"]), service=service),
          "success")
    if ids is not None and done["missing"]:
        flash(_("%(count)s message(s) introuvable(s) : déjà rejoué(s) ou traitement supprimé.", count=len(done["missing"])), "error")
    return redirect(url_for("admin.dead_letters"))
