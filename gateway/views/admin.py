"""Administration (/gestion/admin): staff users, their role and scope. Only
administrators: the accounts service checks again."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from services.common.errors import Conflict, ValidationFailed

from .. import security
from ..app import remote
from ..errors import field_errors, message_for
from ..i18n import t

bp = Blueprint("admin", __name__, url_prefix="/gestion/admin")

ROLES = ("admin", "scol", "manager", "committee", "readonly")
FIELDS = ("login", "display_name", "email", "role", "centres", "commissions", "presides",
          "password")


@bp.before_request
def require_admin():
    refused = security.staff_required(lambda: None)()
    if refused is not None:
        return refused
    if security.actor().get("role") != "admin":
        abort(403)
    return None


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
            errors, message, status = field_errors(exc), t("error.form"), 422
        else:
            flash(t("admin.staff_created", login=form["login"]), "success")
            return redirect(url_for("admin.staff_users"))
    return render_template("admin/staff_user.html", form=form, errors=errors, message=message,
                           roles=ROLES, creating=True), status


@bp.route("/utilisateurs/<int:staff_id>", methods=["GET", "POST"])
def edit_staff(staff_id):
    users = remote().accounts.list_staff(security.actor())
    user = next((u for u in users if u["id"] == staff_id), None)
    if user is None:
        abort(404)
    form, errors, message, status = as_form(user), {}, None, 200
    if request.method == "POST":
        form = {**posted(), "login": user["login"]}
        try:
            remote().accounts.update_staff(security.actor(), staff_id, form)
        except ValidationFailed as exc:
            errors, message, status = field_errors(exc), t("error.form"), 422
        except Conflict as exc:
            message, status = message_for(exc), 409
        else:
            flash(t("admin.staff_saved"), "success")
            return redirect(url_for("admin.staff_users"))
    return render_template("admin/staff_user.html", form=form, errors=errors, message=message,
                           roles=ROLES, creating=False, user=user), status
