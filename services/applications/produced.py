"""Entrypoints of the documents made from an application (mixed into
ApplicationsService): the dossier PDF, the admission and refusal letters
(and the staff's preview before validating), the commissions' letter
wordings, and staff archives of several dossiers. Who may read is checked
here; the documents service lays the PDFs out and keeps them (a PDF is made
again only when what it shows changed)."""
from services.common import actors
from services.common.config import env, rpc_timeout
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationFailed
from services.common.idempotency import idempotent
from services.common.rpc import ServiceRpc, SigningProxy, rpc
from services.common.rpc import answer_or_none as rpc_answer_or_none
from services.common.transport import RpcServiceProxy

from . import access, domain, queries, schemas
from . import exceptions as codes

ADMISSION, REFUSAL = "admission", "refusal"
LETTER_KINDS = {domain.FA: ADMISSION, domain.DE: REFUSAL}
NO_LETTER = codes.NO_LETTER
MAX_ARCHIVE = 500  # the documents service's limit too


def render_timeout():
    """Seconds to wait for a PDF (RENDER_RPC_TIMEOUT, 20): a dossier with many
    scanned pieces takes seconds to lay out, far more than SERVICE_RPC_TIMEOUT
    allows a lookup, and still well under the gateway's own wait."""
    return min(float(env("RENDER_RPC_TIMEOUT", "20")), rpc_timeout() * 2 / 3)


class RenderingRpc(ServiceRpc):
    """documents' rendering RPCs, with their longer wait; their own breaker, so
    a slow PDF never opens the circuit of documents' quick calls."""

    def get_dependency(self, worker_ctx):
        identity = actors.service(self.container.service_name)
        timeout = render_timeout()
        proxy = RpcServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                **{**self.options, "expiration": timeout})
        return SigningProxy(proxy, self.target_service, lambda args: (identity, args),
                            timeout=timeout, guard=self.guards[self.target_service])


class ProducedEntrypoints:
    rendering = RenderingRpc("documents")

    @rpc(expected_exceptions=EXPECTED)
    def get_dossier_pdf(self, actor, application_id):
        """{url, filename, content_type, size} of the application's dossier PDF:
        the candidate their own, staff within their scope."""
        application, _ = access.readable_application(self.db.session, actor, application_id,
                                                     options=access.WHOLE)
        dossiers = self.accounts.dossiers_for_documents([application.candidate_id])
        data = dossier_data(application, dossiers.get(str(application.candidate_id)) or {})
        document = self.rendering.render_dossier(data)
        return self.documents.get_download(document["document_id"])

    @rpc(expected_exceptions=EXPECTED)
    def get_letter(self, actor, application_id, kind):
        """The admission letter (after confirmation) or refusal letter (after a
        validated DE): {url, filename, content_type, size, attach}. The candidate,
        staff in scope, and the notifications service (to attach it to the
        decision mail when the commission's `attach` says so)."""
        if actors.is_service(actor, "notifications"):
            application = access._load(self.db.session, application_id, for_update=False,
                                       options=access.WHOLE)
        else:
            application, _ = access.readable_application(self.db.session, actor,
                                                         application_id, options=access.WHOLE)
        decision = application.last_validated
        if kind not in (ADMISSION, REFUSAL) or decision is None \
                or LETTER_KINDS.get(decision.code) != kind or application.cancelled \
                or (kind == ADMISSION and (not application.confirmed_at
                                           or application.withdrawn_at)):
            raise Conflict(NO_LETTER, "no such letter for this application now")
        dated = application.confirmed_at if kind == ADMISSION else decision.validated_at
        return self._letter(application, decision, kind, dated)

    @rpc(expected_exceptions=EXPECTED)
    def preview_letter(self, actor, application_id):
        """The letter the decision waiting for validation (else the last validated
        one) will bring, marked as a preview: staff within their scope."""
        application = access.staff_application(self.db.session, actor, application_id,
                                               options=access.WHOLE)
        decision = application.pending_decision or application.last_validated
        kind = LETTER_KINDS.get(decision.code) if decision else None
        if kind is None:
            raise Conflict(NO_LETTER, "this decision brings no letter")
        return self._letter(application, decision, kind, None, preview=True)

    def _letter(self, application, decision, kind, dated, preview=False):
        dossiers = self.accounts.dossiers_for_documents([application.candidate_id])
        dossier = dossiers.get(str(application.candidate_id)) or {}
        data = letter_data(application, decision, dossier, dated, self._commission_now(application))
        letter = self.rendering.render_letter(data, kind, preview)
        return {**self.documents.get_download(letter["document_id"]),
                "attach": letter.get("attach", True), "kind": kind}

    def _commission_now(self, application):
        """The commission as the catalog has it now (its signatory and signature
        may have changed since the application's snapshot); None: the snapshot's."""
        try:
            formation = rpc_answer_or_none(self.catalog.get_formation,
                                           application.formation_code,
                                           campaign=application.campaign_code or None)
        except NotFound:
            return None
        return (formation or {}).get("commission")

    # -- the commissions' wordings ------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_letter_template(self, actor, formation_code, kind):
        """The wording of a commission's letter, the commission named by one of
        its formations (the staff page is reached from an application)."""
        commission = self._commission_in_scope(actor, formation_code, write=False)
        template = self.documents.get_letter_template(commission["code"], kind)
        return {**template, "commission": commission}

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def save_letter_template(self, actor, formation_code, kind, body, attach=True,
                             idempotency_key=None):
        """Saves (body None: resets) the wording: administrators and the catalogue's
        editors of the commission's centre."""
        commission = self._commission_in_scope(actor, formation_code, write=True)
        template = self.documents.save_letter_template(
            commission["code"], kind, body, bool(attach), access.actor_label(actor)[0])
        return {**template, "commission": commission}

    def _commission_in_scope(self, actor, formation_code, write):
        if write:
            actors.require_role(actor, actors.CATALOGUE_EDITORS,
                                "your role cannot change the letters")
        else:
            actors.require_staff(actor)
        formation = self.catalog.get_formation(str(formation_code or ""))
        actors.require_centre(actor, (formation.get("centre") or {}).get("code"), write=write)
        commission = formation.get("commission") or {}
        if not commission.get("code"):
            raise Conflict(NO_LETTER, "this formation has no commission")
        return {"code": commission["code"], "label": commission.get("label"),
                "formation": formation.get("code")}

    # -- archives -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def start_dossier_archive(self, actor, application_ids=None, filters=None, format="zip",
                              idempotency_key=None):
        """Several dossiers as a ZIP of PDFs or one merged PDF (format zip, pdf),
        built in the background by documents: the selected applications, or, with
        no selection, the whole list under `filters` (the staff list's). Answers
        documents' get_archive view: {archive_id, status, total, done...}."""
        actors.require_staff(actor)
        if application_ids:
            if not isinstance(application_ids, list) or len(application_ids) > MAX_ARCHIVE:
                raise ValidationFailed(codes.INVALID, "too many applications",
                                       {"application_ids": "too_many_dossiers"})
            ids = list(dict.fromkeys(application_ids))
        else:
            clean = schemas.list_filters(filters)
            if clean.get("centre"):
                actors.require_centre(actor, clean["centre"])
            total, _, rows = queries.staff_list(self.db.session, actor, clean, 1, MAX_ARCHIVE,
                                                None)
            if total > MAX_ARCHIVE:  # never a part of the list without saying so
                raise ValidationFailed(codes.INVALID, "too many applications",
                                       {"application_ids": "too_many_dossiers"})
            ids = [row.id for row in rows]
        applications = [access.staff_application(self.db.session, actor, i, options=access.WHOLE)
                        for i in ids]
        dossiers = self.accounts.dossiers_for_documents(
            sorted({a.candidate_id for a in applications}))
        data = [dossier_data(a, dossiers.get(str(a.candidate_id)) or {}) for a in applications]
        return self.documents.start_archive(actor["id"], format, data)


# -- the data the documents service lays out ------------------------------------------

def _postal_address(address):
    address = address if isinstance(address, dict) else {}
    town = " ".join(p for p in (address.get("postal_code"),
                                address.get("commune") or address.get("city"),
                                address.get("cedex")) if p)
    lines = [address.get(k) for k in ("line1", "line2", "line3")] + [town]
    if address.get("country") and address.get("country") != "FR":
        lines.append(address["country"])
    return [line for line in lines if line]


def _opi(application):
    return getattr(application, "opi_code", None)  # set once the admitted candidate confirms


def dossier_data(application, dossier):
    """render_dossier's data: what the PDF shows, nothing else (its fingerprint
    decides when it is made again)."""
    a, f = application, application.formation or {}
    dossier = dossier if isinstance(dossier, dict) else {}
    decision = a.last_validated
    return {
        "application_id": a.id, "candidate_id": a.candidate_id, "status": a.status,
        "candidate": {k: v for k, v in schemas.candidate_part(a).items() if k != "lang"},
        "dossier": {k: dossier.get(k) for k in ("personal", "address", "bac", "internal",
                                                "external", "internships", "experience")},
        "formation": {"code": f.get("code"), "label": f.get("label")},
        "centre": {k: (f.get("centre") or {}).get(k) for k in ("label", "email")},
        "commission": {k: (f.get("commission") or {}).get(k)
                       for k in ("code", "label", "address", "email", "phone")},
        "dates": {"created_at": schemas.iso(a.created_at),
                  "transmitted_at": schemas.iso(a.transmitted_at),
                  "return_deadline": schemas.iso(a.return_deadline),
                  "confirm_deadline": schemas.iso(a.confirm_deadline),
                  "confirmed_at": schemas.iso(a.confirmed_at),
                  "withdrawn_at": schemas.iso(a.withdrawn_at)},
        "decision": {"code": decision.code, "reason": decision.reason,
                     "comment": decision.comment} if decision else None,
        "opi_code": _opi(a),
        "pieces": [{"code": p.code, "label": p.label, "status": p.status, "comment": p.comment,
                    "document_id": p.document_id, "filename": p.filename}
                   for p in sorted(a.pieces, key=lambda p: (p.order, p.code))],
    }


def letter_data(application, decision, dossier, dated, commission=None):
    """render_letter's data (services/documents/letters.py); `commission`: the
    catalog's current one, else the snapshot's."""
    a, f = application, application.formation or {}
    commission = commission or f.get("commission") or {}
    dossier = dossier if isinstance(dossier, dict) else {}
    c = schemas.candidate_part(a)
    return {
        "application_id": a.id, "candidate_id": a.candidate_id,
        "candidate": {k: c.get(k) for k in ("civility", "first_name", "last_name",
                                            "dossier_number")},
        "postal_address": _postal_address(dossier.get("address")),
        "formation": {"code": f.get("code"), "label": f.get("label")},
        "commission": {k: commission.get(k) for k in ("code", "label", "address", "signatory",
                                                      "signature_document_id")},
        "centre": {k: (f.get("centre") or {}).get(k) for k in ("label", "email")},
        "decision": {"code": decision.code, "reason": decision.reason,
                     "comment": decision.comment},
        "validated_at": schemas.iso(decision.validated_at),
        "confirmed_at": schemas.iso(a.confirmed_at),
        "confirm_deadline": schemas.iso(a.confirm_deadline),
        "opi_code": _opi(a),
        "dated": schemas.iso(dated),
    }
