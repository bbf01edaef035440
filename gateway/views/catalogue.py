"""Catalogue administration in the staff portal (/gestion/catalogue):
campaigns, centres, formations and their dates, bulk edits. The catalog
service checks every role and scope; a refusal is a 403 page."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

import requests

from services.common.errors import Conflict, ValidationFailed

from .. import security
from ..app import remote
from ..errors import field_errors, message_for
from ..i18n import t

bp = Blueprint("catalogue", __name__, url_prefix="/gestion/catalogue")

CAMPAIGN_FIELDS = ("code", "label", "start", "end", "login_until")
DATE_FIELDS = ("date_open", "date_close", "date_return", "date_jury", "date_publish",
               "date_confirm", "confirm_days")
FORMATION_FIELDS = ("code", "label", "level", "keywords", "url", "capacity", "treatment_type",
                    "commission") + DATE_FIELDS
CENTRE_FIELDS = ("code", "label", "address", "email", "max_applications", "max_file_size_mb") + \
    tuple(f"default_{f}" for f in DATE_FIELDS)
MB = 1024 * 1024


@bp.before_request
def require_staff():
    return security.staff_required(lambda: None)()


def me():
    return security.actor()


def form_of(fields):
    return {k: request.form.get(k, "").strip() for k in fields}


# -- campaigns ---------------------------------------------------------------------------

@bp.route("/campagnes", methods=["GET", "POST"])
def campaigns():
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = form_of(CAMPAIGN_FIELDS)
        try:
            remote().catalog.save_campaign(me(), form)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(t("catalogue.saved"), "success")
            return redirect(url_for("catalogue.campaigns"))
    return render_template("admin/campaigns.html", campaigns=remote().catalog.list_campaigns(me()),
                           form=form, errors=errors), status


@bp.post("/campagnes/<code>/<action>")
def campaign_action(code, action):
    method = {"activer": "activate_campaign", "archiver": "archive_campaign"}.get(action)
    if method is None:
        abort(404)
    try:
        getattr(remote().catalog, method)(me(), code)
    except Conflict as exc:
        flash(message_for(exc), "error")
    else:
        flash(t("catalogue.saved"), "success")
    return redirect(url_for("catalogue.campaigns"))


# -- centres -----------------------------------------------------------------------------

@bp.route("/centres/<code>", methods=["GET", "POST"])
def centre(code):
    data = remote().catalog.get_centre(me(), code)
    form = {**data, "max_file_size_mb": f"{data['max_file_size'] / MB:g}"}
    errors, status = {}, 200
    if request.method == "POST":
        form = {**form_of(CENTRE_FIELDS), "code": data["code"],
                "online": "1" if request.form.get("online") else "0"}
        size = form.pop("max_file_size_mb").replace(",", ".")
        try:  # the page asks megabytes, the service counts bytes
            form["max_file_size"] = str(round(float(size) * MB)) if size else ""
        except ValueError:
            form["max_file_size"] = "invalid"
        try:
            remote().catalog.save_centre(me(), form, code=data["code"])
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
            if "max_file_size" in errors:
                errors["max_file_size_mb"] = errors.pop("max_file_size")
            form["max_file_size_mb"] = size
        else:
            flash(t("catalogue.saved"), "success")
            return redirect(url_for("catalogue.formations"))
    return render_template("admin/centre.html", form=form, errors=errors), status


# -- formations --------------------------------------------------------------------------

@bp.get("/formations")
def formations():
    centre_code = request.args.get("centre", "").strip() or None
    return render_template("admin/formations.html",
                           formations=remote().catalog.list_formations(me(), centre_code),
                           centres=remote().catalog.list_centres(), centre=centre_code,
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
        flash(t("catalogue.bulk_refused") + " " + " · ".join(problems), "error")
    else:
        flash(t("catalogue.bulk_done", n=done["updated"]), "success")
    return redirect(url_for("catalogue.formations"))


@bp.route("/formations/nouvelle", methods=["GET", "POST"])
@bp.route("/formations/<code>", methods=["GET", "POST"])
def formation(code=None):
    catalog = remote().catalog
    form, errors, status = {"treatment_type": "AC", "enabled": True}, {}, 200
    if code is not None:
        current = next((f for f in catalog.list_formations(me()) if f["code"] == code), None)
        if current is None:
            abort(404)
        form = {**current, **(current.get("dates") or {})}
    if request.method == "POST":
        form = {**form_of(FORMATION_FIELDS), "enabled": "1" if request.form.get("enabled") else "0"}
        try:
            saved = catalog.save_formation(me(), form, code=code)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(t("catalogue.saved"), "success")
            return redirect(url_for("catalogue.formation", code=saved["code"]))
    commissions = [[c["code"], f"{c['code']} – {c['label']}"] for c in catalog.list_commissions(me())]
    return render_template("admin/formation.html", form=form, errors=errors, code=code,
                           commissions=commissions), status


# (import and export: catalogue_transfer.py)


# -- piece definitions, commissions, reference lists ---------------------------------

PIECE_FIELDS = ("code", "label", "order", "scope", "owner", "treatment_type")
TEMPLATE_MAX_SIZE = 10 * MB


def store_template(upload):
    """A template file through the documents service (checked by content):
    -> (document_id, filename)."""
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    documents = remote().documents
    ticket = documents.create_upload({}, upload.filename, size, TEMPLATE_MAX_SIZE)
    requests.put(ticket["put_url"], data=upload.stream, headers={"Content-Length": str(size)},
                 timeout=60).raise_for_status()
    stored = documents.confirm_upload(ticket["document_id"])
    return stored["document_id"], stored["filename"]


@bp.route("/pieces", methods=["GET", "POST"])
def pieces():
    form, errors, status = {"scope": "institution", "order": "0"}, {}, 200
    if request.method == "POST":
        form = {**form_of(PIECE_FIELDS),
                **{k: "1" if request.form.get(k) else "0" for k in ("conditional", "shared")}}
        try:
            upload = request.files.get("template")
            if upload is not None and upload.filename:
                form["template_document_id"], form["template_filename"] = store_template(upload)
            codes = [c.strip() for c in request.form.get("formations", "").split(",") if c.strip()]
            if codes:
                remote().catalog.assign_piece(me(), form, codes)
            else:
                remote().catalog.save_piece(me(), form)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(t("catalogue.saved"), "success")
            return redirect(url_for("catalogue.pieces"))
    return render_template("admin/pieces.html", pieces=remote().catalog.list_pieces(me()),
                           form=form, errors=errors), status


@bp.route("/commissions/<code>", methods=["GET", "POST"])
def commission(code):
    current = next((c for c in remote().catalog.list_commissions(me()) if c["code"] == code), None)
    if current is None:
        abort(404)
    form = {**current, "members": ", ".join(("*" if m.get("president") else "") + m["login"]
                                            for m in current.get("members") or [])}
    errors, status = {}, 200
    if request.method == "POST":
        form = {**form_of(("label", "address", "email", "phone", "signatory", "members")),
                "centre": current["centre"]}
        # "*login" marks the president: one text field for the list of members
        members = [{"login": m.strip().lstrip("*"), "president": m.strip().startswith("*")}
                   for m in form["members"].split(",") if m.strip()]
        data = {**form, "members": members, "signature_document_id":
                current.get("signature_document_id"),
                "alerts": {k: "1" if request.form.get(f"alert_{k}") else "0"
                           for k in ("transmitted", "cancelled", "withdrawn", "promoted")}}
        try:
            upload = request.files.get("signature")
            if upload is not None and upload.filename:
                data["signature_document_id"], _ = store_template(upload)
            remote().catalog.save_commission(me(), data, code=code)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(t("catalogue.saved"), "success")
            return redirect(url_for("catalogue.commission", code=code))
    return render_template("admin/commission.html", form=form, errors=errors,
                           alerts=current.get("alerts") or {}), status


@bp.route("/listes/<kind>", methods=["GET", "POST"])
def reference_list(kind):
    if kind not in ("motive", "tag", "level"):
        abort(404)
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = form_of(("code", "label", "colour", "order"))
        try:
            remote().catalog.save_reference_item(me(), kind, form)
        except ValidationFailed as exc:
            errors, status = field_errors(exc), 422
        else:
            flash(t("catalogue.saved"), "success")
            return redirect(url_for("catalogue.reference_list", kind=kind))
    return render_template("admin/reference_list.html", kind=kind,
                           items=remote().catalog.list_reference(kind), form=form,
                           errors=errors), status


@bp.post("/formations/<code>/supprimer")
def delete_formation(code):
    try:
        remote().catalog.delete_formation(me(), code)
    except Conflict as exc:
        flash(message_for(exc), "error")
        return redirect(url_for("catalogue.formation", code=code))
    flash(t("catalogue.deleted"), "success")
    return redirect(url_for("catalogue.formations"))
