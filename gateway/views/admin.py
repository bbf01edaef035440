"""Administration (/gestion/admin): staff users, their role and scope; the
events the services' handlers gave up on (dead letters), to replay; the
services' scheduled jobs, their last runs, and a run by hand. Only
administrators: the services check again."""
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from services.common.config import SERVICES
from services.common.errors import Conflict, NotFound, Unavailable, ValidationFailed

from .. import security
from ..i18n import current_language
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
    endpoint = request.endpoint or ""
    needed = ("can_replay_dead_letters" if "dead_letters" in endpoint
              else "can_run_jobs" if "jobs" in endpoint else "can_manage_staff")
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


# -- scheduled jobs: each service's, their last runs, a run by hand -----------------------

# What each job does, in the staff's language (the services name them in code).
JOB_LABELS = {
    "purge_unactivated": lazy_gettext("Purge des comptes non activés à temps"),
    "archive_ended_campaigns": lazy_gettext("Archivage de la campagne terminée et activation de la suivante"),
    "remove_orphaned_files": lazy_gettext("Nettoyage des fichiers orphelins"),
    "destroy_expired_files": lazy_gettext("Destruction des dossiers des campagnes archivées (durée de conservation)"),
    "send_reminders": lazy_gettext("Relances (transmission, confirmation)"),
    "withdraw_expired": lazy_gettext("Désistements automatiques après la date de confirmation, promotions"),
    "recompute_ranks": lazy_gettext("Recalcul des rangs de liste complémentaire"),
}
JOB_STATUSES = {"running": lazy_gettext("en cours"), "done": lazy_gettext("terminé"), "failed": lazy_gettext("échec"),
                "skipped": lazy_gettext("non lancé : une autre exécution était en cours")}


def _jobs_of(service):
    """(jobs, reachable): a service that does not answer is shown as such."""
    try:
        return getattr(remote(), service).list_jobs(security.actor()), True
    except Unavailable:
        return [], False


def schedule_text(schedule):
    schedule = schedule or {}
    if schedule.get("daily_at"):
        return _("tous les jours à %(time)s (heure de Paris)", time=schedule["daily_at"])
    seconds = int(schedule.get("every_seconds") or 0)
    if seconds and seconds % 3600 == 0:
        return _("toutes les %(n)s h", n=seconds // 3600)
    if seconds and seconds % 60 == 0:
        return _("toutes les %(n)s min", n=seconds // 60)
    return _("toutes les %(n)s s", n=seconds)


def counts_text(counts):
    """`files: 3, bytes: 1024`: lists (the campaigns) joined."""
    return ", ".join(f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
                     for key, value in (counts or {}).items())


def duration_text(milliseconds):
    if milliseconds is None:
        return ""
    if milliseconds < 100:
        return f"{milliseconds} ms"
    seconds = f"{milliseconds / 1000:.1f}"
    return (seconds.replace(".", ",") if current_language() == "fr" else seconds) + " s"


def run_summary(record):
    status = JOB_STATUSES.get(record.get("status"), record.get("status"))
    if record.get("status") == "done":
        return _("%(job)s (%(service)s) : %(status)s. %(counts)s", job=record.get("job"),
                 service=record.get("service"), status=status,
                 counts=counts_text(record.get("counts")) or _("Rien à faire."))
    return _("%(job)s (%(service)s) : %(status)s. %(error)s", job=record.get("job"),
             service=record.get("service"), status=status, error=record.get("error") or "")


@bp.get("/jobs")
def jobs():
    services = [(name, *_jobs_of(name)) for name in SERVICES]
    return render_template("admin/jobs.html", services=services, labels=JOB_LABELS,
                           statuses=JOB_STATUSES, schedule_text=schedule_text,
                           counts_text=counts_text, duration_text=duration_text,
                           idempotency_key=secrets.token_urlsafe(16))


@bp.post("/jobs/<service>/<name>/lancer")
def run_job(service, name):
    if service not in SERVICES:
        abort(404)
    try:
        record = getattr(remote(), service).run_job(
            security.actor(), name, idempotency_key=request.form.get("idempotency_key") or None)
    except NotFound:
        abort(404)
    except Unavailable:
        # unanswered in time: a long run goes on in the service all the same
        flash(_("Le service n'a pas répondu à temps : la tâche n'a peut-être pas été lancée, ou elle est encore en cours. Rechargez la page pour voir ses dernières exécutions."), "error")
        return redirect(url_for("admin.jobs"))
    flash(run_summary({**record, "service": service}),
          "success" if record.get("status") == "done" else "error")
    return redirect(url_for("admin.jobs", _anchor=f"job-{service}-{name}"))
