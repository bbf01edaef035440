"""The staff list's bulk actions (/gestion/lot) and the notes and tags of an
application (/gestion/candidatures/<id>/notes, /etiquettes).

The list's selection and the bulk form are staff/_bulk.html, the notes and tags
panel staff/_notes_tags.html, both included by the staff pages; the
applications service checks every application on its own (bulk_apply) and the
result page says what became of each."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from services.common import actors
from services.common.dates import parse_date_input
from services.common.errors import Conflict, ValidationFailed

from .. import security
from ..errors import message_for
from ..i18n import error_text
from ..rpc import optional, remote
from . import staff

bp = Blueprint("staff_bulk", __name__, url_prefix="/gestion")

# The actions the form offers, in its order (the service has the same names).
ACTIONS = ("file_status", "piece_status", "enter_decision", "validate_decision", "add_tags",
           "remove_tags")
FILTER_PREFIX = "filter."   # the list's filters, carried by the form for "the whole selection"
DECISION_FIELDS = ("comment", "reason", "rank", "date", "time", "place")  # as staff.py
# the form's fields "Continuer" does not send again (it sends the remaining ids)
CONTINUE_LEAVES = {"csrf_token", "idempotency_key", "scope", "ids", "page_ids"}


@bp.before_request
def require_staff():
    return security.staff_required(lambda: None)()


def me():
    return security.actor()


@bp.app_context_processor
def tag_helpers():
    return {"tag_choices": tag_choices, "tag_of": tag_of, "bulk_rights": bulk_rights}


def bulk_rights():
    """What the staff pages offer: reviewing (statuses, tags, notes), deciding."""
    who = me()
    return {"review": actors.has_role(who, actors.REVIEWERS),
            "decide": actors.has_role(who, actors.DECIDERS)}


def tag_choices(include_inactive=False):
    """The catalogue's tags for the page (asked once per request); [] while the
    catalog does not answer: the rest of the page is served."""
    if "bulk_tags" not in g:
        g.bulk_tags = optional(remote().catalog.list_reference, me(), "tag",
                               include_inactive=True) or []
    return [t for t in g.bulk_tags if include_inactive or t.get("active", True)]


def tag_of(code):
    """A tag's label and colour (a tag the catalogue has no more: its code)."""
    return next((t for t in tag_choices(include_inactive=True) if t.get("code") == code),
                {"code": code, "label": code, "colour": None})


# -- bulk actions ------------------------------------------------------------------------

def action_params(action, form):
    """The service's `params` of `action` from the bulk form's fields."""
    if action == "file_status":
        return {"status": form.get("status", "")}
    if action == "piece_status":
        return {"piece_code": form.get("piece_code", "").strip(),
                "status": form.get("piece_status", ""),
                "comment": form.get("piece_comment", "").strip() or None}
    if action == "enter_decision":
        data = {k: form.get(k, "").strip() for k in DECISION_FIELDS}
        data = {k: v for k, v in data.items() if v}
        if "date" in data:  # typed as the hint says (22/11/2026); the service refuses a bad one
            data["date"] = parse_date_input(data["date"]) or data["date"]
        return {"code": form.get("decision_code", ""), "data": data}
    if action in ("add_tags", "remove_tags"):
        return {"tags": form.getlist("tags")}
    return {}


def list_filters(form):
    return {k[len(FILTER_PREFIX):]: v.strip() for k, v in form.items()
            if k.startswith(FILTER_PREFIX) and v.strip()}


def selection(form):
    """(application_ids, filters) of the form: the ticked rows, the page's rows,
    or everything the list's filters match."""
    scope = form.get("scope", "selected")
    if scope == "filter":
        return None, list_filters(form)
    field = "page_ids" if scope == "page" else "ids"
    return [v for v in form.getlist(field) if v.strip()], None


@bp.post("/lot")
def apply():
    form = request.form
    back = url_for("staff.applications", **list_filters(form))
    action = form.get("action", "")
    if action not in ACTIONS:
        flash(_("Choisissez une action."), "error")
        return redirect(back)
    ids, filters = selection(form)
    if ids == []:
        flash(_("Cochez au moins une candidature."), "error")
        return redirect(back)
    try:
        answer = remote().applications.bulk_apply(
            me(), action, action_params(action, form), ids, filters,
            idempotency_key=security.idempotency_key())
    except (Conflict, ValidationFailed) as exc:
        flash(message_for(exc), "error")
        return redirect(back)
    refused = [{**r, "reason": error_text(r["code"])} for r in answer["refused"]]
    # what "Continuer" sends again for the applications the request did not reach
    carried = [(k, v) for k, v in form.items(multi=True) if k not in CONTINUE_LEAVES
               and not k.startswith(FILTER_PREFIX)]
    return render_template("staff/bulk_result.html", action=action, answer=answer,
                           refused=refused, back=back, carried=carried,
                           filters=list_filters(form))


# -- notes and tags of one application ------------------------------------------------------

def back_to(application_id, message, category="success"):
    flash(message, category)
    return redirect(url_for("staff.application", application_id=application_id) + "#notes")


@bp.post("/candidatures/<int:application_id>/notes")
def add_note(application_id):
    body = request.form.get("body", "")
    try:
        remote().applications.add_note(me(), application_id, body,
                                       idempotency_key=security.idempotency_key())
    except (Conflict, ValidationFailed) as exc:
        # the page again with the note as typed: nothing typed is lost
        return staff.application_page(application_id, note_body=body,
                                      note_error=message_for(exc)), \
            422 if isinstance(exc, ValidationFailed) else 409
    return back_to(application_id, _("Note ajoutée."))


@bp.post("/candidatures/<int:application_id>/etiquettes")
def set_tags(application_id):
    try:
        remote().applications.set_tags(me(), application_id, request.form.getlist("tags"),
                                       idempotency_key=security.idempotency_key())
    except (Conflict, ValidationFailed) as exc:
        return back_to(application_id, message_for(exc), "error")
    return back_to(application_id, _("Étiquettes enregistrées."))
