"""Catalogue administration in the staff portal (/gestion/catalogue):
campaigns, centres, commissions (with their members, kept by accounts),
formations and their dates, bulk edits, piece definitions, reference lists.
The services check every role and scope; a refusal is a 403 page."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

import requests

from services.common.dates import posted_date
from services.common.errors import Conflict, Forbidden, ValidationFailed

from .. import security
from ..errors import field_errors, message_for

from ..rpc import optional, remote

bp = Blueprint("catalogue", __name__, url_prefix="/gestion/catalogue")

CAMPAIGN_FIELDS = ("code", "label", "start", "end", "login_until")
DATE_FIELDS = ("date_open", "date_close", "date_return", "date_jury", "date_publish",
               "date_confirm", "confirm_days")
FORMATION_FIELDS = ("code", "label", "level", "keywords", "url", "capacity", "treatment_type",
                    "commission", "rank_display", "reminder_days") + DATE_FIELDS
CENTRE_FIELDS = ("code", "label", "address", "email", "max_applications", "max_file_size_mb",
                 "opi_prefix") + \
    tuple(f"default_{f}" for f in DATE_FIELDS)
MB = 1024 * 1024


@bp.before_request
def require_staff():
    return security.staff_required(lambda: None)()


def me():
    return security.actor()


@bp.app_template_global()
def catalogue_rights():
    """What the catalog lets the logged-in staff member create or change beyond
    single objects ({can_*}), asked once per request and only by a page that
    shows it (the staff navigation, the catalogue's forms); nothing when the
    catalog does not answer: the page is served without those links."""
    if "catalogue_rights" not in g:
        actor = security.actor()
        g.catalogue_rights = (optional(remote().catalog.catalogue_rights, actor) or {}) \
            if actor and actor.get("kind") == "staff" else {}
    return g.catalogue_rights


def in_scope(read, *args):
    """One object for its page: outside the user's centres it is not found, as
    it is absent from their lists."""
    try:
        return read(me(), *args)
    except Forbidden:
        abort(404)


# typed day first (22/11/2026) in text fields; the catalog receives ISO dates
DATE_INPUTS = {"start", "end", "login_until"} | \
    {name for field in DATE_FIELDS if field.startswith("date_") for name in (field, f"default_{field}")}


def form_of(fields):
    """The posted fields; dates typed 22/11/2026 become ISO. A date that cannot be
    read is sent as typed: the catalog refuses it as an invalid date on its field."""
    form = {k: request.form.get(k, "").strip() for k in fields}
    for name in DATE_INPUTS.intersection(form):
        form[name] = posted_date(form[name])
    return form


# -- campaigns ---------------------------------------------------------------------------

@bp.route("/campagnes", methods=["GET", "POST"])
def campaigns():
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = form_of(CAMPAIGN_FIELDS)
        try:
            remote().catalog.save_campaign(me(), form, idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.campaigns"))
    return render_template("admin/campaigns.html", campaigns=remote().catalog.list_campaigns(me()),
                           form=form, errors=errors), status


@bp.post("/campagnes/<code>/<action>")
def campaign_action(code, action):
    catalog = remote().catalog
    command = {"activer": catalog.activate_campaign,
               "archiver": catalog.archive_campaign}.get(action)
    if command is None:
        abort(404)
    try:
        command(me(), code, idempotency_key=security.idempotency_key())
    except Conflict as exc:
        flash(message_for(exc), "error")
    else:
        flash(_("Catalogue enregistré."), "success")
    return redirect(url_for("catalogue.campaigns"))


@bp.route("/campagnes/<code>", methods=["GET", "POST"])
def campaign(code):
    """Change a campaign (admin; never an archived one)."""
    current = remote().catalog.get_campaign(me(), code)
    form, errors, status = dict(current), {}, 200
    if request.method == "POST":
        form = {**form_of(CAMPAIGN_FIELDS), "code": current["code"]}
        try:
            remote().catalog.save_campaign(me(), form, current["code"],
                                           idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        except Conflict as exc:
            flash(message_for(exc), "error")
            return redirect(url_for("catalogue.campaigns"))
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.campaigns"))
    return render_template("admin/campaign.html", campaign=current, form=form,
                           errors=errors), status


# -- centres -----------------------------------------------------------------------------

def centre_form(defaults=None):
    """The centre form as typed (the size in megabytes: the service converts it)."""
    return {**form_of(CENTRE_FIELDS), **(defaults or {}),
            "online": "1" if request.form.get("online") else "0"}


@bp.route("/centres", methods=["GET", "POST"])
def centres():
    """The centres in the actor's scope; admin and scol create them."""
    form, errors, status = {"online": True, "max_file_size_mb": "2"}, {}, 200
    if request.method == "POST":
        form = centre_form()
        try:
            saved = remote().catalog.save_centre(me(), form,
                                                 idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.centre", code=saved["code"]))
    return render_template("admin/centres.html", centres=remote().catalog.list_centres(me()),
                           form=form, errors=errors, MB=MB), status


@bp.route("/centres/<code>", methods=["GET", "POST"])
def centre(code):
    data = remote().catalog.get_centre(me(), code)
    form = {**data, "max_file_size_mb": f"{data['max_file_size'] / MB:g}"}
    errors, status = {}, 200
    if request.method == "POST":
        form = centre_form({"code": data["code"]})
        try:
            remote().catalog.save_centre(me(), form, code=data["code"],
                                         idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.centres"))
    return render_template("admin/centre.html", form=form, errors=errors), status


# -- formations --------------------------------------------------------------------------

@bp.get("/formations")
def formations():
    centre_code = request.args.get("centre", "").strip() or None
    return render_template("admin/formations.html",
                           formations=remote().catalog.list_formations(me(), centre_code),
                           centres=remote().catalog.list_centres(me()), centre=centre_code,
                           commissions=remote().catalog.list_commissions(me()),
                           form={}, errors={})


@bp.post("/formations/lot")
def bulk():
    codes = request.form.getlist("formation")
    changes = form_of(DATE_FIELDS)
    if request.form.get("enabled") in ("0", "1"):
        changes["enabled"] = request.form["enabled"]
    try:
        done = remote().catalog.bulk_update_formations(me(), codes, changes)
    except ValidationFailed as exc:
        problems = [f"{field} : {message}" for field, message in field_errors(exc).items()]
        flash(_("Rien n'a été modifié :") + " " + " · ".join(problems), "error")
    else:
        flash(_("%(n)s formation(s) modifiée(s).", n=done["updated"]), "success")
    return redirect(url_for("catalogue.formations"))


@bp.route("/formations/nouvelle", methods=["GET", "POST"])
@bp.route("/formations/<code>", methods=["GET", "POST"])
def formation(code=None):
    catalog = remote().catalog
    form, errors, status = {"treatment_type": "AC", "enabled": True}, {}, 200
    current = None
    if code is not None:
        current = in_scope(catalog.get_formation, code)
        form = {**current, **(current.get("dates") or {}),
                "commission": (current.get("commission") or {}).get("code")}
    if request.method == "POST":
        form = {**form_of(FORMATION_FIELDS), "enabled": "1" if request.form.get("enabled") else "0",
                "auto_promotion": "1" if request.form.get("auto_promotion") else "0"}
        try:
            saved = catalog.save_formation(me(), form, code=code)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.formation", code=saved["code"]))
    commissions = [[c["code"], f"{c['code']} – {c['label']}"] for c in catalog.list_commissions(me())]
    # the active diploma levels, proposed (and required by the catalog once there are some)
    return render_template("admin/formation.html", form=form, errors=errors, code=code,
                           formation=current, commissions=commissions,
                           levels=catalog.list_reference(me(), "level")), status


# (import and export: catalogue_transfer.py)


# -- piece definitions, commissions, reference lists ---------------------------------

PIECE_FIELDS = ("code", "label", "order", "scope", "owner", "treatment_type")


def uploaded(field, purpose):
    """Streams the form's file, if one was chosen, to storage through an upload
    URL the catalog obtains: -> its document id, or None. The catalog keeps it
    (checked by content) only if the save it is given to is accepted."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return None
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    ticket = remote().catalog.start_upload(me(), purpose, upload.filename, size)
    requests.put(ticket["put_url"], data=upload.stream, headers={"Content-Length": str(size)},
                 timeout=60).raise_for_status()
    return ticket["document_id"]


def piece_form():
    return {**form_of(PIECE_FIELDS),
            **{k: "1" if request.form.get(k) else "0" for k in ("conditional", "shared")}}


def save_piece_from(form, piece_id=None):
    """Saves the definition with its new template if one is given (the catalog
    checks it is a PDF, keeps the current one otherwise, deletes the one replaced)."""
    template = uploaded("template", "template")
    codes = [c.strip() for c in request.form.get("formations", "").split(",") if c.strip()]
    if codes and piece_id is None:
        remote().catalog.assign_piece(me(), form, codes, template_upload=template)
    else:
        remote().catalog.save_piece(me(), form, piece_id, template_upload=template,
                                    idempotency_key=security.idempotency_key())


@bp.route("/pieces", methods=["GET", "POST"])
def pieces():
    form, errors, status = {"scope": "institution", "order": "0"}, {}, 200
    if request.method == "POST":
        form = piece_form()
        try:
            save_piece_from(form)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        except Conflict as exc:
            flash(message_for(exc), "error")
            status = 409
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.pieces"))
    return render_template("admin/pieces.html", pieces=remote().catalog.list_pieces(me()),
                           form=form, errors=errors), status


@bp.route("/pieces/<int:piece_id>", methods=["GET", "POST"])
def piece(piece_id):
    """Edit a piece definition (its label, order, treatment type, flags...)."""
    current = in_scope(remote().catalog.get_piece, piece_id)
    form = {**current, "order": str(current.get("order", 0)),
            "treatment_type": current.get("treatment_type") or "",
            "owner": current.get("owner") or ""}
    errors, status = {}, 200
    if request.method == "POST":
        form = piece_form()
        try:
            save_piece_from(form, piece_id)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        except Conflict as exc:
            flash(message_for(exc), "error")
            status = 409
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.pieces"))
    return render_template("admin/piece.html", piece=current, form=form, errors=errors), status


@bp.post("/pieces/<int:piece_id>/supprimer")
def delete_piece(piece_id):
    try:
        remote().catalog.delete_piece(me(), piece_id)
    except Conflict as exc:
        flash(message_for(exc), "error")
        return redirect(url_for("catalogue.piece", piece_id=piece_id))
    flash(_("Pièce supprimée."), "success")
    return redirect(url_for("catalogue.pieces"))


COMMISSION_FIELDS = ("code", "label", "centre", "address", "email", "phone", "signatory")
# digest: the alerts above as one mail a day instead of one each
ALERTS = ("transmitted", "cancelled", "withdrawn", "promoted", "digest")


def centre_choices():
    return [[c["code"], f"{c['code']} – {c['label']}"]
            for c in remote().catalog.list_centres(me())]


@bp.route("/commissions", methods=["GET", "POST"])
def commissions():
    """The commissions in the actor's centres; admin, scol and managers create."""
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = form_of(COMMISSION_FIELDS)
        try:
            saved = remote().catalog.save_commission(me(), form,
                                                     idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.commission", code=saved["code"]))
    return render_template("admin/commissions.html",
                           commissions=remote().catalog.list_commissions(me()),
                           centres=centre_choices(), form=form, errors=errors), status


def members_text(members):
    """"*login" marks the president: one text field for the list of members."""
    return ", ".join(("*" if m.get("president") else "") + m["login"] for m in members)


def members_from(text):
    return [{"login": m.strip().lstrip("*").strip(), "president": m.strip().startswith("*")}
            for m in text.split(",") if m.strip()]


def commission_page(current, form, errors, members_form, member_errors, status):
    members = remote().accounts.list_commission_members(me(), current["code"])
    if members_form is None:
        members_form = {"members": members_text(members)}
    return render_template("admin/commission.html", commission=current, form=form,
                           errors=errors, alerts=current.get("alerts") or {}, members=members,
                           members_form=members_form, member_errors=member_errors,
                           centres=centre_choices()), status


def commission_in_scope(code):
    return in_scope(remote().catalog.get_commission, code)


@bp.route("/commissions/<code>", methods=["GET", "POST"])
def commission(code):
    """Its details (catalog) and, below, its members (accounts: the committee
    users whose scope it is)."""
    current = commission_in_scope(code)
    form, errors, status = dict(current), {}, 200
    if request.method == "POST":
        form = {**form_of(COMMISSION_FIELDS), "code": current["code"]}
        form["centre"] = form["centre"] or current["centre"]
        data = {**form,
                "alerts": {k: "1" if request.form.get(f"alert_{k}") else "0" for k in ALERTS}}
        try:
            # a new signature: the catalog checks it is an image, keeps the current
            # one otherwise, and deletes the one replaced
            remote().catalog.save_commission(me(), data, code=code,
                                             signature_upload=uploaded("signature", "signature"),
                                             idempotency_key=security.idempotency_key())
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.commission", code=code))
    return commission_page(current, form, errors, None, {}, status)


@bp.post("/commissions/<code>/membres")
def commission_members(code):
    """Sets who sits on the commission (accounts keeps it as their scope)."""
    current = commission_in_scope(code)
    members_form = {"members": request.form.get("members", "").strip()}
    try:
        remote().accounts.set_commission_members(me(), code, members_from(members_form["members"]))
    except ValidationFailed as exc:
        return commission_page(current, dict(current), {}, members_form, field_errors(exc), 422)
    flash(_("Membres de la commission enregistrés."), "success")
    return redirect(url_for("catalogue.commission", code=code))


REFERENCE_KINDS = ("motive", "tag", "level")


@bp.route("/listes/<kind>", methods=["GET", "POST"])
def reference_list(kind):
    if kind not in REFERENCE_KINDS:
        abort(404)
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = form_of(("code", "label", "colour", "order"))
        try:
            remote().catalog.save_reference_item(me(), kind, form)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(_("Catalogue enregistré."), "success")
            return redirect(url_for("catalogue.reference_list", kind=kind))
    return render_template("admin/reference_list.html", kind=kind,
                           items=remote().catalog.list_reference(me(), kind, include_inactive=True),
                           form=form, errors=errors), status


@bp.post("/listes/<kind>/<code>/<action>")
def reference_item_state(kind, code, action):
    """Deactivated: no longer offered as a choice, kept for what already uses it."""
    if kind not in REFERENCE_KINDS or action not in ("desactiver", "activer"):
        abort(404)
    item = next((i for i in remote().catalog.list_reference(me(), kind, include_inactive=True)
                 if i["code"] == code), None)
    if item is None:
        abort(404)
    remote().catalog.save_reference_item(me(), kind, {
        **{k: item.get(k) for k in ("code", "label", "colour", "order")},
        "active": "1" if action == "activer" else "0"})
    flash(_("Catalogue enregistré."), "success")
    return redirect(url_for("catalogue.reference_list", kind=kind))


@bp.post("/formations/<code>/supprimer")
def delete_formation(code):
    try:
        remote().catalog.delete_formation(me(), code)
    except Conflict as exc:
        flash(message_for(exc), "error")
        return redirect(url_for("catalogue.formation", code=code))
    flash(_("Formation supprimée."), "success")
    return redirect(url_for("catalogue.formations"))
