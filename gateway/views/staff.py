"""The staff review portal (/gestion): list, detail, pieces, status, decisions."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.common.dates import parse_date_input, posted_date
from services.common.errors import Conflict, ValidationFailed

from .. import security
from ..rpc import optional, remote
from ..errors import message_for
from ..i18n import error_text

from .candidate import stream_download
from .public import throttled_message

bp = Blueprint("staff", __name__, url_prefix="/gestion")

DECISION_FIELDS = ("comment", "reason", "rank", "date", "time", "place")
LIST_FILTERS = ("centre", "status", "q", "tag")
LIST_SORTS = ("candidate", "formation", "status", "transmitted")  # the list's sortable columns
LIST_DEFAULT_SORT = "-transmitted"  # as the applications service sorts without one
PER_PAGE = 50


@bp.before_request
def require_staff():
    if request.endpoint in ("staff.login",):
        return None
    return security.staff_required(lambda: None)()


def me():
    return security.actor()


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    form, error, status = {}, None, 200
    if request.method == "POST":
        form = {"login": request.form.get("login", "").strip()}
        try:
            who = remote().accounts.authenticate_staff(
                security.caller(),
                form["login"], request.form.get("password", ""), security.client_address())
        except ValidationFailed:
            error, status = _("Utilisateur ou mot de passe incorrect."), 401
        except Conflict as exc:  # login_throttled
            error, status = throttled_message(exc), 429
        else:
            security.login(who)
            return redirect(security.safe_next(url_for("staff.applications")))
    return render_template("staff/login.html", form=form, error=error), status


@bp.post("/deconnexion")
def logout():
    security.logout()
    return redirect(url_for("staff.login"))


def list_sort(value):
    """The sort asked in the query string if the list has it ("candidate",
    "-transmitted"...), else None (the service's default)."""
    value = (value or "").strip()
    return value if value.removeprefix("-") in LIST_SORTS else None


@bp.get("/")
def applications():
    filters = {k: request.args.get(k, "").strip() for k in LIST_FILTERS}
    filters = {k: v for k, v in filters.items() if v}
    sort = list_sort(request.args.get("sort"))
    page = max(1, request.args.get("page", 1, type=int))
    found = remote().applications.list_applications(me(), filters, page=page,
                                                    per_page=PER_PAGE, sort=sort)
    centres = remote().catalog.list_centres(me())
    mine = me().get("centres") or []
    if not me().get("can_see_all_centres"):
        centres = [c for c in centres if c["code"] in mine]

    def list_url(**changes):
        """This list's address with the filters and sort kept and `changes`
        applied; page 1 and empty values are left out."""
        args = {**filters, "sort": sort, "page": found["page"], **changes}
        return url_for("staff.applications", **{k: v for k, v in args.items()
                                               if v and not (k == "page" and v == 1)})

    return render_template(
        "staff/applications.html", applications=found["items"], filters=filters,
        centres=centres, total=found["total"], page=found["page"],
        pages=max(1, -(-found["total"] // found["per_page"])),
        sort=sort or LIST_DEFAULT_SORT, list_url=list_url)


@bp.get("/candidatures/<int:application_id>")
def application(application_id):
    data = remote().applications.get_application(me(), application_id)
    dossier = remote().accounts.get_dossier(me(), data["candidate"]["id"])
    motives = optional(remote().catalog.list_reference, me(), "motive")  # the DE form's choices
    return render_template("staff/application.html", app=data, dossier=dossier, motives=motives)


def back_to(application_id, message, category="success"):
    flash(message, category)
    return redirect(url_for("staff.application", application_id=application_id))


def do(application_id, command, *args, **kwargs):
    """One command on the application (`remote().applications.<method>`); the
    version the form was read at, when it carries one (a stale form is refused)."""
    if request.form.get("version"):
        kwargs["expected_version"] = request.form["version"]
    try:
        command(me(), application_id, *args, idempotency_key=security.idempotency_key(),
                **kwargs)
    except (Conflict, ValidationFailed) as exc:
        return back_to(application_id, message_for(exc), "error")
    return back_to(application_id, _("Modification enregistrée."))


@bp.get("/candidatures/<int:application_id>/pieces/<piece_code>")
def view_piece(application_id, piece_code):
    link = remote().applications.get_piece_download(me(), application_id, piece_code)
    return stream_download(link)


@bp.post("/candidatures/<int:application_id>/pieces/<piece_code>/statut")
def set_piece_status(application_id, piece_code):
    return do(application_id, remote().applications.set_piece_status, piece_code,
              request.form.get("status", ""), request.form.get("comment", "").strip() or None)


@bp.post("/candidatures/<int:application_id>/statut")
def set_file_status(application_id):
    return do(application_id, remote().applications.set_file_status, request.form.get("status", ""))


@bp.post("/candidatures/<int:application_id>/avis")
def enter_decision(application_id):
    data = {k: request.form.get(k, "").strip() for k in DECISION_FIELDS}
    data = {k: v for k, v in data.items() if v}
    if "date" in data:  # typed as the page's hint says (22/11/2026), or ISO from a date picker
        data["date"] = parse_date_input(data["date"])
        if data["date"] is None:
            return back_to(application_id, error_text("invalid_date"), "error")
    return do(application_id, remote().applications.enter_decision, request.form.get("code", ""), data)


@bp.post("/candidatures/<int:application_id>/avis/valider")
def validate_decision(application_id):
    return do(application_id, remote().applications.validate_decision)


@bp.get("/candidatures/<int:application_id>/lettre-admission")
def admission_letter(application_id):
    link = remote().applications.get_admission_letter(me(), application_id)
    return stream_download(link, attachment=True)


@bp.post("/candidatures/<int:application_id>/type-traitement/valider")
def validate_treatment(application_id):
    return do(application_id, remote().applications.validate_treatment)


@bp.post("/candidatures/<int:application_id>/dates")
def set_overrides(application_id):
    """Both dates as typed (22/11/2026); an emptied field removes the override."""
    return do(application_id, remote().applications.set_overrides,
              return_deadline=posted_date(request.form.get("return_deadline", "")),
              confirm_deadline=posted_date(request.form.get("confirm_deadline", "")))


@bp.post("/candidatures/<int:application_id>/dossier-papier")
def receive_paper_file(application_id):
    return do(application_id, remote().applications.receive_paper_file)
