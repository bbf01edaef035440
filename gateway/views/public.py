"""Home, login and account creation/activation (no session needed)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.common.errors import Conflict, NotFound, ValidationFailed

from .. import security
from ..app import remote
from ..errors import field_errors
from ..i18n import error_text
from ..i18n import current_language, t

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    if (security.actor() or {}).get("kind") == "candidate":
        return redirect(url_for("candidate.applications"))
    return render_template("public/home.html", form={}, errors={})


@bp.post("/connexion")
def login():
    form = {"login": request.form.get("login", "").strip()}
    try:
        who = remote().accounts.authenticate_candidate(form["login"], request.form.get("password", ""))
    except ValidationFailed:
        return render_template("public/home.html", form=form, errors={},
                               login_error=t("login.failed")), 401
    security.login(who)
    return redirect(security.safe_next(url_for("candidate.applications")))


@bp.post("/deconnexion")
def logout():
    security.logout()
    flash(t("logout.done"), "info")
    return redirect(url_for("public.home"))


@bp.route("/compte/creer", methods=["GET", "POST"])
def register():
    form, errors = {}, {}
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip()
                for k in ("last_name", "first_name", "email", "email_confirm")}
        try:
            remote().accounts.register_candidate({**form, "lang": current_language()})
        except ValidationFailed as exc:
            errors = field_errors(exc)
            return render_template("public/register.html", form=form, errors=errors), 422
        return render_template("public/registered.html", email=form["email"])
    return render_template("public/register.html", form=form, errors=errors)


@bp.route("/compte/activer/<token>", methods=["GET", "POST"])
def activate(token):
    try:
        if request.method == "POST":
            done = remote().accounts.activate_account(
                token, request.form.get("password", ""), request.form.get("password_confirm", ""))
            flash(t("activate.done", dossier_number=done["dossier_number"]), "success")
            return redirect(url_for("public.home"))
        remote().accounts.check_activation_token(token)
    except ValidationFailed as exc:
        return render_template("public/activate.html", token=token, errors=field_errors(exc)), 422
    except (NotFound, Conflict) as exc:  # unknown, used or expired link
        return render_template("public/activate.html", token=token, errors={},
                               link_error=error_text(exc.code)), 410
    return render_template("public/activate.html", token=token, errors={})
