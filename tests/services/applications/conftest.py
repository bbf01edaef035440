"""Doubles of the services applications calls, shaped exactly like the contract
in services/README.md (accounts.check_ready_to_apply, catalog.get_formation,
documents.*), and actors of every kind."""
import copy
import itertools
from datetime import date, timedelta

import pytest

from services.common.errors import NotFound, ValidationFailed
from tests.support.actors import candidate, staff as make_staff

SCI = {"code": "SCI", "label": "UFR Sciences et Techniques",
       "email": "scolarite-sciences@univ-demo.fr", "address": "1 rue des Sciences, Demo",
       "max_file_size": 2 * 1024 * 1024, "max_applications": None, "online": True}
LLSH = {"code": "LLSH", "label": "UFR Lettres, Langues et Sciences Humaines",
        "email": "scolarite-llsh@univ-demo.fr", "address": "2 rue des Lettres, Demo",
        "max_file_size": 2 * 1024 * 1024, "max_applications": None, "online": True}
COMMISSIONS = {
    "SCI-INFO": {"code": "SCI-INFO", "label": "Commission Informatique",
                 "email": "commission-info@univ-demo.fr", "address": "Bât. Info, Demo",
                 "phone": "0100000001", "signatory": "Pr. Grace Hopper"},
    "SCI-MATH": {"code": "SCI-MATH", "label": "Commission Mathématiques",
                 "email": "commission-math@univ-demo.fr", "address": "Bât. Maths, Demo",
                 "phone": "0100000002", "signatory": "Pr. Emmy Noether"},
    "LLSH-LEA": {"code": "LLSH-LEA", "label": "Commission LEA",
                 "email": "commission-lea@univ-demo.fr", "address": "Bât. Langues, Demo",
                 "phone": "0100000003", "signatory": "Pr. Jean Dupont"},
}
PIECES = [
    {"code": "CNI", "label": "Pièce d'identité", "order": 1, "conditional": False, "shared": True},
    {"code": "CV", "label": "Curriculum vitae", "order": 2, "conditional": False, "shared": False},
    {"code": "LM", "label": "Lettre de motivation", "order": 3, "conditional": False,
     "shared": False},
    {"code": "CERTLANG", "label": "Certification en langue", "order": 5, "conditional": True,
     "shared": False},
]


def dates_around(today, **override):
    """Dates of a formation open around `today`, in the enforced order."""
    dates = {"date_open": today - timedelta(days=30), "date_close": today + timedelta(days=60),
             "date_return": today + timedelta(days=75), "date_jury": today + timedelta(days=90),
             "date_publish": today + timedelta(days=100),
             "date_confirm": today + timedelta(days=120), "confirm_days": None}
    dates.update(override)
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in dates.items()}


def make_formation(code, label, centre, commission, today, pieces=None, **dates):
    return {"code": code, "label": label, "level": "M- MASTER", "keywords": "demo",
            "url": None, "capacity": 30, "enabled": True, "treatment_type": "AC",
            "dates": dates_around(today, **dates), "centre": copy.deepcopy(centre),
            "commission": copy.deepcopy(COMMISSIONS[commission]),
            "campaign": {"code": "2027", "label": "Campagne de candidatures 2027"},
            "pieces": copy.deepcopy(PIECES if pieces is None else pieces)}


class Catalog:
    """catalog.get_formation over a dict of formations, get_active_campaign;
    tests edit them freely."""

    def __init__(self, today):
        # each test its own lists: a test that deactivates a tag leaves the next one's alone
        self.tags, self.motives = copy.deepcopy(type(self).tags), copy.deepcopy(type(self).motives)
        self.active_campaign = {"code": "2027", "label": "Campagne de candidatures 2027",
                                "start": "2026-10-01", "end": "2027-09-30",
                                "login_until": "2027-10-31"}
        self.formations = {
            "MINFO1": make_formation("MINFO1", "Master Informatique 1re année", SCI,
                                     "SCI-INFO", today),
            "MMATH1": make_formation("MMATH1", "Master Mathématiques appliquées 1re année",
                                     SCI, "SCI-MATH", today),
            "MLEA1": make_formation("MLEA1", "Master Langues étrangères appliquées 1re année",
                                    LLSH, "LLSH-LEA", today),
        }

    def get_formation(self, code, campaign=None):
        if code not in self.formations:
            raise NotFound("formation_not_found", code)
        return copy.deepcopy(self.formations[code])

    def centre_limits(self):
        return {f["centre"]["code"]: {"label": f["centre"]["label"],
                                      "max_applications": f["centre"].get("max_applications")}
                for f in self.formations.values()}

    motives = [{"code": "CAPACITE", "label": "Capacité atteinte"},
               {"code": "INCOMPLET", "label": "Dossier incomplet"},
               {"code": "NIVEAU", "label": "Niveau insuffisant"}]
    # the catalogue's tags (reference items of kind "tag"); tests edit them freely
    tags = [{"kind": "tag", "code": "PRIO", "label": "Prioritaire", "colour": "#d11a2a",
             "order": 1, "active": True},
            {"kind": "tag", "code": "BOURSE", "label": "Boursier", "colour": "#1a5fd1",
             "order": 2, "active": True},
            {"kind": "tag", "code": "OLD", "label": "Ancien", "colour": "#777777",
             "order": 3, "active": False}]

    def list_reference(self, kind, include_inactive=False):
        if kind == "motive":
            return copy.deepcopy(self.motives)
        items = self.tags if kind == "tag" else []
        return [dict(i) for i in items if include_inactive or i["active"]]

    def get_active_campaign(self):
        if self.active_campaign is None:
            raise NotFound("no_active_campaign", "no campaign is active")
        return copy.deepcopy(self.active_campaign)


def candidate_contact(candidate_id):
    return {"candidate_id": candidate_id, "dossier_number": f"27AB{candidate_id:04d}",
            "email": f"candidate{candidate_id}@example.org", "civility": "MME",
            "first_name": "Ada", "last_name": f"Lovelace{candidate_id}", "lang": "fr"}


class Documents:
    """documents: upload tickets, stored files, downloads, letters."""

    def __init__(self):
        self.ids = itertools.count(1)
        self.tickets = {}
        self.stored = {}
        self.deleted = []
        self.letters = []
        self.produced = []  # (what, data) of the dossiers, letters and archives asked for
        self.refuse_next = None  # a ValidationFailed confirm_upload raises once
        self.parts = {}          # merged piece -> its files
        self.scanning = set()    # uploads the virus scanner has not seen (clamd away)

    def create_upload(self, owner, filename, size, max_size):
        document_id = f"doc-{next(self.ids)}"
        self.tickets[document_id] = {"owner": owner, "filename": filename, "size": size,
                                     "max_size": max_size}
        return {"document_id": document_id, "put_url": f"http://s3.test/put/{document_id}"}

    def confirm_upload(self, document_id, purpose=None, base_id=None):
        """A candidate's file is kept as the piece's PDF: merged with `base_id`'s
        files into a new document ("<base>+<file>"), as the documents service does."""
        if self.refuse_next is not None:
            error, self.refuse_next = self.refuse_next, None
            raise error
        if document_id in self.scanning:
            return {"document_id": document_id, "filename": self.tickets[document_id]["filename"],
                    "content_type": "application/pdf", "size": None, "status": "scanning",
                    "parts": []}
        ticket = self.tickets[document_id]
        parts = list(self.parts.get(base_id, [])) if base_id else []
        if any(p["document_id"] == document_id for p in parts):  # already in it
            return {"document_id": base_id, "filename": ticket["filename"],
                    "content_type": "application/pdf", "size": ticket["size"],
                    "status": "stored", "parts": parts}
        parts.append({"document_id": document_id, "filename": ticket["filename"],
                      "size": ticket["size"], "source_type": "application/pdf"})
        merged = "+".join([base_id, document_id]) if parts[:-1] else document_id
        self.stored[merged] = ticket
        self.parts[merged] = parts
        return {"document_id": merged, "filename": ticket["filename"],
                "content_type": "application/pdf", "size": ticket["size"],
                "status": "stored", "parts": parts}

    def arrange_piece(self, base_id, part_ids):
        by_id = {p["document_id"]: p for p in self.parts.get(base_id, [])}
        if not part_ids or not set(part_ids) <= set(by_id):
            raise ValidationFailed("invalid", "files of this piece", {"part_ids": "invalid"})
        merged = "arranged:" + ",".join(part_ids)
        self.parts[merged] = [by_id[p] for p in part_ids]
        self.stored[merged] = {"filename": by_id[part_ids[0]]["filename"], "size": 1}
        return {"document_id": merged, "filename": by_id[part_ids[0]]["filename"],
                "content_type": "application/pdf", "size": 1, "status": "stored",
                "parts": self.parts[merged]}

    def piece_parts(self, bundle_ids, application_id=None):
        waiting = {self.tickets[d]["owner"].get("piece_code") for d in self.scanning
                   if self.tickets[d]["owner"].get("application_id") == application_id}
        return {"parts": {b: self.parts.get(b, []) for b in bundle_ids},
                "scanning": sorted(waiting)}

    def get_download(self, document_id):
        if document_id not in self.stored:
            raise NotFound("not_found", document_id)
        ticket = self.stored[document_id]
        return {"url": f"http://s3.test/get/{document_id}", "filename": ticket["filename"],
                "content_type": "application/pdf", "size": ticket["size"]}

    def delete_document(self, document_id):
        if document_id not in self.stored and document_id not in self.tickets:
            raise NotFound("not_found", document_id)
        self.stored.pop(document_id, None)
        self.deleted.append(document_id)

    def discard_upload(self, document_id, owner):
        """Only an unfinished upload of that very piece goes."""
        ticket = self.tickets.get(document_id)
        if ticket is None or ticket["owner"] != owner or document_id in self.stored:
            return {"document_id": document_id, "discarded": False}
        del self.tickets[document_id]
        self.deleted.append(document_id)
        return {"document_id": document_id, "discarded": True}

    def render_admission_letter(self, letter):
        self.letters.append(letter)
        document_id = f"letter-{letter['application_id']}"
        self.stored[document_id] = {"filename": "lettre-admission.pdf", "size": 2048}
        return {"document_id": document_id}


    def render_dossier(self, dossier):
        self.produced.append(("dossier", dossier))
        document_id = f"dossier-{dossier['application_id']}"
        self.stored[document_id] = {"filename": "dossier.pdf", "size": 4096}
        return {"document_id": document_id}

    def render_letter(self, letter, kind, preview=False):
        self.produced.append((f"{kind}{' preview' if preview else ''}", letter))
        document_id = f"{kind}-{letter['application_id']}"
        self.stored[document_id] = {"filename": f"lettre-{kind}.pdf", "size": 2048}
        return {"document_id": document_id, "attach": True}

    def get_letter_template(self, commission_code, kind):
        return {"commission_code": commission_code, "kind": kind, "body": "default",
                "custom": False}

    def save_letter_template(self, commission_code, kind, body, attach=True, by=None):
        self.produced.append(("template", {"commission_code": commission_code, "kind": kind,
                                           "body": body, "by": by}))
        return {"commission_code": commission_code, "kind": kind, "body": body,
                "custom": body is not None}

    def start_archive(self, owner_id, format, dossiers):
        self.produced.append(("archive", {"owner_id": owner_id, "format": format,
                                          "dossiers": dossiers}))
        return {"archive_id": "archive-1", "status": "queued", "total": len(dossiers),
                "done": 0}

def staff(staff_id, role, centres, login):
    return make_staff(role, centres, id=staff_id, login=login,
                      display_name=f"{role.title()} {'/'.join(centres) or 'all'}")


@pytest.fixture
def actors():
    class Actors:
        ada = candidate(12)
        bob = candidate(34)
        manager_sci = staff(3, "manager", ["SCI"], "gestion.sci")
        manager_llsh = staff(4, "manager", ["LLSH"], "gestion.llsh")
        committee_sci = {**staff(5, "committee", [], "commission.sci"),
                         "display_name": "Committee SCI", "commissions": ["SCI-INFO"],
                         "presides": []}
        committee_math = {**staff(7, "committee", [], "commission.math"),
                          "commissions": ["SCI-MATH"], "presides": []}
        readonly_sci = staff(6, "readonly", ["SCI"], "audit.sci")
        admin = staff(1, "admin", [], "admin")
        scol = staff(2, "scol", [], "scol")
    return Actors


@pytest.fixture
def doubles():
    """The contract-shaped doubles, for the fixtures of unit and integration tests."""
    class Doubles:
        pass
    Doubles.Catalog, Doubles.Documents = Catalog, Documents
    Doubles.candidate_contact, Doubles.make_formation = candidate_contact, make_formation
    Doubles.dates_around = dates_around
    Doubles.SCI, Doubles.LLSH = SCI, LLSH
    return Doubles
