"""Home, login, account creation/activation and the flows that start from an
email address or a link in a mail (no session needed), CAS login."""
from datetime import date
from urllib.parse import urlencode

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _

from services.common.actors import ANONYMOUS
from services.common.dates import format_date
from services.common.errors import Conflict, NotFound, ValidationFailed

from .. import security
from ..rpc import remote
from ..errors import field_errors
from ..i18n import current_language, error_text, label

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
        who = remote().accounts.authenticate_candidate(security.caller(),
            form["login"], request.form.get("password", ""), security.client_address())
    except ValidationFailed:
        return render_template("public/home.html", form=form, errors={},
                               login_error=_("Utilisateur ou mot de passe incorrect.")), 401
    except Conflict as exc:  # login_throttled, campaign_closed
        if exc.code == "campaign_closed":
            return render_template("public/home.html", form=form, errors={},
                                   login_error=closed_message(exc)), 403
        return render_template("public/home.html", form=form, errors={},
                               login_error=throttled_message(exc)), 429
    security.login(who)
    return redirect(security.safe_next(url_for("candidate.applications")))


def throttled_message(exc):
    seconds = (exc.fields or {}).get("retry_after") or "1"
    return _("Trop de tentatives de connexion. Réessayez dans %(seconds)s secondes.", seconds=seconds)


def closed_message(exc):
    """The campaign's last login day, as the user reads dates."""
    day = (exc.fields or {}).get("login_until") or ""
    try:
        shown = format_date(date.fromisoformat(day), current_language())
    except ValueError:
        return error_text(exc.code)
    return _("La campagne de candidatures est close : la connexion n'est plus possible après le %(date)s.", date=shown)


@bp.post("/deconnexion")
def logout():
    through_cas = (security.actor() or {}).get("origin") == "cas"
    security.logout()
    flash(_("Vous êtes déconnecté."), "info")
    cas = current_app.config.get("CAS_URL")
    if through_cas and cas:  # end the single sign-on session too
        home = (current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")) + "/"
        return redirect(f"{cas}/logout?" + urlencode({"service": home}))
    return redirect(url_for("public.home"))


@bp.route("/compte/creer", methods=["GET", "POST"])
def register():
    form, errors = {}, {}
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip()
                for k in ("last_name", "first_name", "email", "email_confirm")}
        try:
            remote().accounts.register_candidate(security.caller(),
                                                 {**form, "lang": current_language()},
                                                 security.client_address())
        except ValidationFailed as exc:
            errors = field_errors(exc)
            return render_template("public/register.html", form=form, errors=errors), 422
        except Conflict as exc:  # registration_throttled
            seconds = int((exc.fields or {}).get("retry_after") or 60)
            return render_template("public/register.html", form=form, errors={},
                                   message=_("Trop de comptes demandés depuis votre connexion. Réessayez dans %(minutes)s minutes.",
                                             minutes=max(1, -(-seconds // 60)))), 429
        # The same page whether or not the address already had an account.
        return render_template("public/registered.html", email=form["email"])
    return render_template("public/register.html", form=form, errors=errors)


@bp.route("/compte/activer/<token>", methods=["GET", "POST"])
def activate(token):
    try:
        if request.method == "POST":
            done = remote().accounts.activate_account(security.caller(),
                token, request.form.get("password", ""), request.form.get("password_confirm", ""),
                idempotency_key=security.idempotency_key())
            flash(_("Votre compte est activé. Votre numéro de dossier est %(dossier_number)s : connectez-vous avec ce numéro ou votre adresse mail.", dossier_number=done["dossier_number"]), "success")
            return redirect(url_for("public.home"))
        remote().accounts.check_activation_token(security.caller(), token)
    except ValidationFailed as exc:
        return render_template("public/activate.html", token=token, errors=field_errors(exc)), 422
    except (NotFound, Conflict) as exc:  # unknown, used or expired link
        return render_template("public/activate.html", token=token, errors={},
                               link_error=error_text(exc.code)), 410
    return render_template("public/activate.html", token=token, errors={})


# -- flows that start from an email address: one neutral answer --------------------------

def neutral_flow(request_link, title_key, help_key, done_key):
    """request_link: the accounts RPC that mails a link (or nothing) to an address."""
    page = {"title_key": title_key, "help_key": help_key}
    form, errors = {}, {}
    if request.method == "POST":
        form = {"email": request.form.get("email", "").strip()}
        try:
            request_link(security.caller(), form["email"])
        except ValidationFailed as exc:  # a malformed address only
            return render_template("public/email_flow.html", form=form,
                                   errors=field_errors(exc), **page), 422
        # The same words whether or not an account uses this address.
        return render_template("public/email_flow.html", form={}, errors={}, done=label(done_key),
                               **page)
    return render_template("public/email_flow.html", form=form, errors=errors, **page)


@bp.route("/compte/activation-perdue", methods=["GET", "POST"])
def lost_activation():
    return neutral_flow(remote().accounts.request_activation_link, "home.lost_activation",
                        "lost_activation.help", "lost_activation.done")


@bp.route("/compte/identifiants-oublies", methods=["GET", "POST"])
def forgotten_credentials():
    return neutral_flow(remote().accounts.request_credentials, "home.forgot", "forgotten.help",
                        "forgotten.done")


@bp.route("/compte/reinitialiser/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        if request.method == "POST":
            done = remote().accounts.reset_password(security.caller(),
                token, request.form.get("password", ""), request.form.get("password_confirm", ""),
                idempotency_key=security.idempotency_key())
            return render_template("public/reset.html", token=token, errors={},
                                   done=_("Votre mot de passe est changé. Votre numéro de dossier est %(dossier_number)s : connectez-vous avec ce numéro ou votre adresse mail.", dossier_number=done["dossier_number"]))
        remote().accounts.check_reset_token(security.caller(), token)
    except ValidationFailed as exc:
        return render_template("public/reset.html", token=token, errors=field_errors(exc)), 422
    except (NotFound, Conflict) as exc:  # unknown, used or expired link
        return render_template("public/reset.html", token=token, errors={},
                               link_error=error_text(exc.code)), 410
    return render_template("public/reset.html", token=token, errors={})


@bp.route("/compte/email/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """GET only shows what will change (mail scanners open links); POST confirms."""
    try:
        if request.method == "POST":
            # Every other session of the account ends; this one, if it is the
            # account's, stays and shows the new address.
            done = remote().accounts.confirm_email_change(
                security.caller(), token, security.session_id(),
                idempotency_key=security.idempotency_key())
            security.refresh()
            return render_template("public/confirm_email.html", token=token,
                                   done=_("Votre adresse mail est désormais %(email)s.", email=done["email"]))
        pending = remote().accounts.check_email_token(security.caller(), token)
    except ValidationFailed as exc:
        return render_template("public/confirm_email.html", token=token,
                               link_error=" ".join(field_errors(exc).values())), 409
    except (NotFound, Conflict) as exc:
        return render_template("public/confirm_email.html", token=token,
                               link_error=error_text(exc.code)), 410
    return render_template("public/confirm_email.html", token=token,
                           new_email=pending["new_email"])


@bp.route("/compte/refuser-email/<token>", methods=["GET", "POST"])
def refuse_email_change(token):
    """The link of the notice sent to the former address. GET only shows what
    refusing does (mail scanners open links); POST refuses."""
    accounts = remote().accounts
    page = {"token": token, "errors": {}}
    try:
        if request.method == "POST":
            # Refused first, the link checked only to show the form again: the
            # same form sent again after a success answers that success.
            try:
                done = accounts.refuse_email_change(
                    ANONYMOUS, token, request.form.get("password", ""),
                    request.form.get("password_confirm", ""),
                    idempotency_key=security.idempotency_key())
            except ValidationFailed as exc:  # the new password
                page["errors"] = field_errors(exc)
                page["change"] = accounts.check_email_refusal(ANONYMOUS, token)
                return render_template("public/refuse_email.html", **page), 422
            security.refresh()  # this browser's session of the account has ended too
            return render_template("public/refuse_email.html", **page,
                                   done=_("C'est fait : l'adresse de votre compte est %(email)s et toutes les sessions ouvertes sur votre compte sont fermées. Vous pouvez vous reconnecter.", email=done["email"]))
        page["change"] = accounts.check_email_refusal(ANONYMOUS, token)
    except (NotFound, Conflict) as exc:  # unknown, used or expired link; former address taken
        return render_template("public/refuse_email.html", **page,
                               link_error=error_text(exc.code)), \
            409 if exc.code == "old_email_taken" else 410
    return render_template("public/refuse_email.html", **page)


# -- "Je suis étudiant à l'université": CAS (protocol 3) -------------------------------------

def cas_service_url():
    """The address CAS sends the ticket back to; the same string goes to the
    ticket validation, as the protocol requires."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url.rstrip("/")
    return base + url_for("public.cas_return")


@bp.get("/cas/connexion")
def cas_login():
    cas = current_app.config.get("CAS_URL")
    if not cas:
        flash(_("La connexion avec les identifiants ENT n'est pas disponible sur cette plateforme : créez un compte candidat."), "error")
        return redirect(url_for("public.home"))
    back = security.safe_next("")
    if back:  # e.g. the account page, after a login asked for again
        session["cas_next"] = back
    return redirect(f"{cas}/login?" + urlencode({"service": cas_service_url()}))


@bp.get("/cas/retour")
def cas_return():
    ticket = request.args.get("ticket", "")
    if not ticket:
        flash(_("La connexion avec vos identifiants ENT a échoué : réessayez."), "error")
        return redirect(url_for("public.home"))
    try:
        who = remote().accounts.authenticate_cas(security.caller(), ticket, cas_service_url())
    except (ValidationFailed, NotFound, Conflict) as exc:
        flash(closed_message(exc) if exc.code == "campaign_closed" else error_text(exc.code),
              "error")
        return redirect(url_for("public.home"))
    back = session.get("cas_next")
    security.login(who)
    return redirect(back if security.is_local_path(back) else url_for("candidate.applications"))
