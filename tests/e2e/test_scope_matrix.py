"""Roles x staff pages, over HTTP with every service
running on the demo data: each role opens every /gestion page, objects of
their scope and of another centre by URL, and posts forms they may not
(with a valid CSRF token). A refusal is a 403 (or 404 when the page looks the
object up in what the role sees), shows none of the other centre's data, and
changes nothing: the administrator reads the same page before and after.

Actors: the demo staff admin, scol, gestion.sci (manager of SCI), gestion.llsh
(manager of LLSH); a committee member of SCI-INFO, its president and a
readonly user of SCI, created through the administrator's staff-user page; a
candidate's session; someone not logged in. Two candidates have transmitted an application: Léa to
MINFO1 (SCI, SCI-INFO), Paul to MLEA1 (LLSH, LLSH-LEA); both are "Martin" in
their dossier.

ROWS is the table: one (role, method, url, expected status, form, page the
administrator re-reads) per line; add a line to check a new page."""
import html
import re
import time

import pytest

from deploy.local.mailbox import read_mails
from tests.support.e2e import PASSWORD as CANDIDATE_PASSWORD
from tests.support.e2e import (Browser, PDF, STAFF_PASSWORD, fill_dossier, piece_codes,
                               register_and_activate, staff_login, text, upload)

pytestmark = pytest.mark.e2e

STAFF = ("admin", "scol", "manager_sci", "manager_llsh", "committee", "president", "readonly")
ROLES = STAFF + ("candidate", "anonymous")
LOGINS = {"admin": "admin", "scol": "scol", "manager_sci": "gestion.sci",
          "manager_llsh": "gestion.llsh", "committee": "jury.info", "president": "pres.info",
          "readonly": "audit.sci"}
CREATED = {  # through the administrator's page
    "committee": {"display_name": "Jury Informatique", "role": "committee",
                  "commissions": "SCI-INFO"},
    "president": {"display_name": "Présidente Informatique", "role": "committee",
                  "commissions": "SCI-INFO", "presides": "SCI-INFO"},
    "readonly": {"display_name": "Audit Sciences", "role": "readonly", "centres": "SCI"},
}

CENTRAL = {"admin", "scol"}
SCI_READERS = CENTRAL | {"manager_sci", "readonly"}          # the SCI centre's catalogue
SCI_APPLICATION = SCI_READERS | {"committee", "president"}    # Léa's transmitted file
LLSH_READERS = CENTRAL | {"manager_llsh"}                     # everything of LLSH
EVERY_STAFF = set(STAFF)
SCI_SIDE = {"manager_sci", "committee", "president", "readonly"}


def statuses(allowed, ok=200, refused=403, **special):
    """{role: status}: `allowed` roles get `ok`, other staff `refused`, a
    candidate 403 (no staff page opens for them), someone not logged in the
    way to the staff login (302), unless named in `special`."""
    table = {role: ok if role in allowed else refused for role in STAFF}
    table["candidate"], table["anonymous"] = 403, 302
    table.update(special)
    return table


# -- the pages: (url, {role: status}) -----------------------------------------------------
# {sci_app}, {llsh_app}: the two applications; {lea}, {paul}: the candidates' ids;
# {piece_sci}, {piece_llsh}, {piece_cni}: RELEVES of SCI, of LLSH, CNI (institution);
# {staff_user}: the readonly user's id.
PAGES = [
    ("/gestion/", statuses(EVERY_STAFF)),
    ("/gestion/?centre=SCI", statuses(SCI_READERS)),
    ("/gestion/?centre=LLSH", statuses(LLSH_READERS)),
    ("/gestion/?q={paul_number}", statuses(EVERY_STAFF)),
    ("/gestion/?q={lea_number}", statuses(EVERY_STAFF)),
    ("/gestion/?status=RE", statuses(EVERY_STAFF)),
    ("/gestion/candidatures/{sci_app}", statuses(SCI_APPLICATION)),
    ("/gestion/candidatures/{llsh_app}", statuses(LLSH_READERS)),
    ("/gestion/candidatures/999999", statuses((), refused=404)),
    # Bérénice's MINFO1, not transmitted: no committee reads it yet
    ("/gestion/candidatures/{both_sci}", statuses(SCI_READERS)),
    ("/gestion/candidatures/{both_llsh}", statuses(LLSH_READERS)),
    ("/gestion/candidatures/{sci_app}/pieces/CV", statuses(SCI_APPLICATION)),
    ("/gestion/candidatures/{llsh_app}/pieces/CV", statuses(LLSH_READERS)),
    # not confirmed: in scope the letter is refused as a conflict, out of scope 403
    ("/gestion/candidatures/{sci_app}/lettre-admission", statuses(SCI_APPLICATION, ok=409)),
    ("/gestion/candidatures/{llsh_app}/lettre-admission", statuses(LLSH_READERS, ok=409)),
    ("/gestion/candidats", statuses(EVERY_STAFF)),
    ("/gestion/candidats?q=martin", statuses(EVERY_STAFF)),
    ("/gestion/candidats?q={paul_number}", statuses(EVERY_STAFF)),
    ("/gestion/candidats/{lea}", statuses(SCI_APPLICATION)),
    ("/gestion/candidats/{paul}", statuses(LLSH_READERS)),
    # applied to both centres: each manager reads the dossier, not the other's application
    ("/gestion/candidats/{both}", statuses(SCI_READERS | LLSH_READERS)),
    ("/gestion/candidats/999999", statuses((), refused=404,
                                           manager_sci=403, manager_llsh=403, committee=403,
                                           president=403, readonly=403)),
    ("/gestion/candidats/{paul}/dossier/address", statuses(LLSH_READERS)),
    ("/gestion/candidats/{paul}/dossier/cursus-externe", statuses(LLSH_READERS)),
    ("/gestion/candidats/{paul}/dossier/cursus-externe/{paul_entry}", statuses(LLSH_READERS)),
    ("/gestion/candidats/{lea}/dossier/address", statuses(SCI_APPLICATION)),
    ("/gestion/candidats/nouveau", statuses(CENTRAL | {"manager_sci", "manager_llsh"})),
    ("/gestion/catalogue/campagnes", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/campagnes/2027", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/campagnes/NOPE", statuses((), refused=404)),
    ("/gestion/catalogue/centres", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/centres/SCI", statuses(SCI_READERS)),
    ("/gestion/catalogue/centres/LLSH", statuses(LLSH_READERS)),
    ("/gestion/catalogue/centres/NOPE", statuses((), admin=404, scol=404)),
    ("/gestion/catalogue/formations", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/formations?centre=LLSH", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/formations/MINFO1", statuses(SCI_READERS, refused=404)),
    ("/gestion/catalogue/formations/MLEA1", statuses(LLSH_READERS, refused=404)),
    ("/gestion/catalogue/formations/NOPE", statuses((), refused=404)),
    ("/gestion/catalogue/formations/nouvelle", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/pieces", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/pieces/{piece_sci}", statuses(SCI_READERS, refused=404)),
    ("/gestion/catalogue/pieces/{piece_llsh}", statuses(LLSH_READERS, refused=404)),
    ("/gestion/catalogue/pieces/{piece_cni}", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/commissions", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/commissions/SCI-INFO", statuses(SCI_READERS, refused=404)),
    ("/gestion/catalogue/commissions/LLSH-LEA", statuses(LLSH_READERS, refused=404)),
    ("/gestion/catalogue/listes/motive", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/listes/tag", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/listes/level", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/listes/nope", statuses((), refused=404)),
    ("/gestion/catalogue/import-export", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/import-export/centres.csv", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/import-export/commissions.csv", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/import-export/formations.csv", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/import-export/pieces.csv", statuses(EVERY_STAFF)),
    ("/gestion/catalogue/import-export/pieces.xlsx", statuses(EVERY_STAFF)),
    ("/gestion/admin/utilisateurs", statuses({"admin"})),
    ("/gestion/admin/utilisateurs/nouveau", statuses({"admin"})),
    ("/gestion/admin/utilisateurs/{staff_user}", statuses({"admin"})),
    ("/gestion/admin/lettres-mortes", statuses({"admin"})),
    ("/gestion/admin/mails/en-echec", statuses({"admin"})),
    ("/gestion/admin/mails/modeles", statuses({"admin"})),
    ("/gestion/admin/mails/modeles/STATUS_CO/fr", statuses({"admin"})),
]

# -- forms a role may not send: (role, url, form, status, page the admin re-reads) -----------
MLEA1_FORM = {"label": "PIRATE", "level": "M- MASTER", "treatment_type": "AC",
              "commission": "LLSH-LEA", "enabled": "1"}
ADDRESS_FORM = {"line1": "PIRATE 1 rue", "country": "FR", "postal_code": "69003",
                "commune": "Lyon"}
FORMS = [
    # catalogue: another centre's objects, or what the role may not change at all
    ("manager_sci", "/gestion/catalogue/formations/MLEA1", MLEA1_FORM, 404,
     "/gestion/catalogue/formations/MLEA1"),
    ("manager_sci", "/gestion/catalogue/formations/lot", {"formation": "MLEA1", "enabled": "0"},
     403, "/gestion/catalogue/formations"),
    ("committee", "/gestion/catalogue/formations/lot", {"formation": "MINFO1", "enabled": "0"},
     403, "/gestion/catalogue/formations"),
    ("readonly", "/gestion/catalogue/formations/lot", {"formation": "MINFO1", "enabled": "0"},
     403, "/gestion/catalogue/formations"),
    ("manager_sci", "/gestion/catalogue/formations/MLEA1/supprimer", {}, 403,
     "/gestion/catalogue/formations"),
    ("manager_sci", "/gestion/catalogue/formations/nouvelle",
     {**MLEA1_FORM, "code": "PIRATE1"}, 403, "/gestion/catalogue/formations"),
    ("manager_sci", "/gestion/catalogue/centres/LLSH", {"label": "PIRATE"}, 403,
     "/gestion/catalogue/centres/LLSH"),
    ("manager_llsh", "/gestion/catalogue/centres", {"code": "PIRATE", "label": "PIRATE"}, 403,
     "/gestion/catalogue/centres"),
    ("readonly", "/gestion/catalogue/centres/SCI", {"label": "PIRATE"}, 403,
     "/gestion/catalogue/centres/SCI"),
    ("scol", "/gestion/catalogue/campagnes", {"code": "2031", "label": "PIRATE",
                                             "start": "2030-10-01", "end": "2031-09-30",
                                             "login_until": "2031-10-31"}, 403,
     "/gestion/catalogue/campagnes"),
    ("scol", "/gestion/catalogue/campagnes/2027/archiver", {}, 403,
     "/gestion/catalogue/campagnes"),
    ("manager_sci", "/gestion/catalogue/campagnes/2027/activer", {}, 403,
     "/gestion/catalogue/campagnes"),
    ("manager_sci", "/gestion/catalogue/campagnes/2027", {"label": "PIRATE"}, 403,
     "/gestion/catalogue/campagnes"),
    ("manager_sci", "/gestion/catalogue/commissions/LLSH-LEA", {"label": "PIRATE"}, 404,
     "/gestion/catalogue/commissions/LLSH-LEA"),
    ("manager_sci", "/gestion/catalogue/commissions/LLSH-LEA/membres",
     {"members": "*jury.info"}, 404, "/gestion/catalogue/commissions/LLSH-LEA"),
    ("manager_sci", "/gestion/catalogue/commissions", {"code": "PIRATE", "label": "PIRATE",
                                                      "centre": "LLSH"}, 403,
     "/gestion/catalogue/commissions"),
    ("president", "/gestion/catalogue/commissions/SCI-INFO/membres",
     {"members": "*pres.info, jury.info"}, 404, "/gestion/catalogue/commissions/SCI-INFO"),
    ("readonly", "/gestion/catalogue/commissions/SCI-INFO", {"label": "PIRATE"}, 403,
     "/gestion/catalogue/commissions/SCI-INFO"),
    ("manager_sci", "/gestion/catalogue/pieces/{piece_llsh}",
     {"code": "RELEVES", "label": "PIRATE", "scope": "centre", "owner": "LLSH"}, 404,
     "/gestion/catalogue/pieces"),
    ("manager_sci", "/gestion/catalogue/pieces/{piece_llsh}/supprimer", {}, 403,
     "/gestion/catalogue/pieces"),
    ("manager_sci", "/gestion/catalogue/pieces/{piece_cni}/supprimer", {}, 403,
     "/gestion/catalogue/pieces"),
    ("manager_sci", "/gestion/catalogue/pieces", {"code": "PIRATE", "label": "PIRATE",
                                                 "scope": "institution"}, 403,
     "/gestion/catalogue/pieces"),
    ("manager_sci", "/gestion/catalogue/listes/motive", {"code": "PIRATE", "label": "PIRATE"},
     403, "/gestion/catalogue/listes/motive"),
    ("readonly", "/gestion/catalogue/listes/motive/CAPA/desactiver", {}, 403,
     "/gestion/catalogue/listes/motive"),
    ("manager_sci", "/gestion/catalogue/import-export/formations",
     {"file": "code,label,level,treatment_type,commission\n"
              "MLEA1,PIRATE,M- MASTER,AC,LLSH-LEA\n"}, 422,
     "/gestion/catalogue/import-export/formations.csv"),
    ("readonly", "/gestion/catalogue/import-export/formations",
     {"file": "code,label,level,treatment_type,commission\n"
              "MINFO1,PIRATE,M- MASTER,AC,SCI-INFO\n"}, 403,
     "/gestion/catalogue/import-export/formations.csv"),
    # review: another centre's application, or a role that does not review
    ("manager_llsh", "/gestion/candidatures/{sci_app}/statut", {"status": "CO"}, 403,
     "/gestion/candidatures/{sci_app}"),
    ("committee", "/gestion/candidatures/{sci_app}/statut", {"status": "CO"}, 403,
     "/gestion/candidatures/{sci_app}"),
    ("readonly", "/gestion/candidatures/{sci_app}/statut", {"status": "IN"}, 403,
     "/gestion/candidatures/{sci_app}"),
    ("president", "/gestion/candidatures/{sci_app}/pieces/CV/statut",
     {"status": "RE", "comment": "PIRATE"}, 403, "/gestion/candidatures/{sci_app}"),
    ("manager_sci", "/gestion/candidatures/{llsh_app}/pieces/CV/statut",
     {"status": "RE", "comment": "PIRATE"}, 403, "/gestion/candidatures/{llsh_app}"),
    ("manager_llsh", "/gestion/candidatures/{sci_app}/avis", {"code": "LA", "comment": "PIRATE"},
     403, "/gestion/candidatures/{sci_app}"),
    ("readonly", "/gestion/candidatures/{sci_app}/avis", {"code": "LA", "comment": "PIRATE"},
     403, "/gestion/candidatures/{sci_app}"),
    ("committee", "/gestion/candidatures/{llsh_app}/avis", {"code": "LA", "comment": "PIRATE"},
     403, "/gestion/candidatures/{llsh_app}"),
    ("manager_sci", "/gestion/candidatures/{llsh_app}/avis/valider", {}, 403,
     "/gestion/candidatures/{llsh_app}"),
    ("committee", "/gestion/candidatures/{sci_app}/avis/valider", {}, 403,
     "/gestion/candidatures/{sci_app}"),
    # candidates' accounts and dossiers
    ("manager_sci", "/gestion/candidats/{paul}/dossier/address", ADDRESS_FORM, 403,
     "/gestion/candidats/{paul}"),
    ("readonly", "/gestion/candidats/{lea}/dossier/address", ADDRESS_FORM, 403,
     "/gestion/candidats/{lea}"),
    # A committee reads and enters decisions; it does not correct dossiers
    ("committee", "/gestion/candidats/{lea}/dossier/address", ADDRESS_FORM, 403,
     "/gestion/candidats/{lea}"),
    ("manager_sci", "/gestion/candidats/{paul}/dossier/cursus-externe",
     {"year": "2020", "country": "FR", "diploma_type": "Licence", "label": "PIRATE",
      "obtained": "O"}, 403, "/gestion/candidats/{paul}"),
    ("manager_sci", "/gestion/candidats/{paul}/dossier/cursus-externe/{paul_entry}",
     {"year": "2020", "country": "FR", "diploma_type": "Licence", "label": "PIRATE",
      "obtained": "O"}, 403, "/gestion/candidats/{paul}"),
    ("manager_sci", "/gestion/candidats/{paul}/dossier/cursus-externe/{paul_entry}/supprimer",
     {}, 403, "/gestion/candidats/{paul}"),
    ("manager_sci", "/gestion/candidats/{paul}/supprimer", {"confirm": "1"}, 403,
     "/gestion/candidats/{paul}"),
    # deleting the account wipes the other centre's application too
    ("manager_sci", "/gestion/candidats/{both}/supprimer", {"confirm": "1"}, 403,
     "/gestion/candidats/{both}"),
    ("manager_llsh", "/gestion/candidats/{lea}/activation", {}, 403, "/gestion/candidats/{lea}"),
    ("readonly", "/gestion/candidats/nouveau",
     {"last_name": "PIRATE", "first_name": "Zoé", "email": "pirate@example.org",
      "email_confirm": "pirate@example.org", "lang": "fr"}, 403,
     "/gestion/candidats?q=pirate@example.org"),
    ("committee", "/gestion/candidats/nouveau",
     {"last_name": "PIRATE", "first_name": "Zoé", "email": "pirate@example.org",
      "email_confirm": "pirate@example.org", "lang": "fr"}, 403,
     "/gestion/candidats?q=pirate@example.org"),
    # staff users
    ("scol", "/gestion/admin/utilisateurs/nouveau",
     {"login": "pirate", "display_name": "PIRATE", "role": "admin", "password": STAFF_PASSWORD,
      "active": "1"}, 403, "/gestion/admin/utilisateurs"),
    ("manager_sci", "/gestion/admin/utilisateurs/{staff_user}",
     {"display_name": "PIRATE", "role": "admin", "active": "1"}, 403,
     "/gestion/admin/utilisateurs"),
    # failed events: only administrators replay them
    ("scol", "/gestion/admin/lettres-mortes/notifications/rejouer", {"all": "1"}, 403,
     "/gestion/admin/lettres-mortes"),
    ("manager_sci", "/gestion/admin/lettres-mortes/accounts/rejouer", {"all": "1"}, 403,
     "/gestion/admin/lettres-mortes"),
    # mails: only administrators resend them and edit their templates
    ("scol", "/gestion/admin/mails/en-echec/renvoyer", {"all": "1"}, 403,
     "/gestion/admin/mails/en-echec"),
    ("scol", "/gestion/admin/mails/modeles/STATUS_CO/fr",
     {"action": "save", "subject": "PIRATE", "body": "PIRATE"}, 403,
     "/gestion/admin/mails/modeles/STATUS_CO/fr"),
    ("manager_sci", "/gestion/admin/mails/modeles/STATUS_CO/fr/versions/1/retablir", {}, 403,
     "/gestion/admin/mails/modeles/STATUS_CO/fr"),
    ("manager_sci", "/gestion/admin/mails/modeles/STATUS_CO/fr/origine", {}, 403,
     "/gestion/admin/mails/modeles/STATUS_CO/fr"),
    # a candidate's session on staff forms
    ("candidate", "/gestion/catalogue/formations/lot", {"formation": "MINFO1", "enabled": "0"},
     403, "/gestion/catalogue/formations"),
    ("candidate", "/gestion/candidatures/{sci_app}/statut", {"status": "CO"}, 403,
     "/gestion/candidatures/{sci_app}"),
    # not logged in: the staff login page, nothing done
    ("anonymous", "/gestion/candidatures/{sci_app}/statut", {"status": "CO"}, 302,
     "/gestion/candidatures/{sci_app}"),
    ("anonymous", "/gestion/catalogue/formations/lot", {"formation": "MINFO1", "enabled": "0"},
     302, "/gestion/catalogue/formations"),
]

# One table: (role, method, url, expected status, form or None, page the admin re-reads)
ROWS = [(role, "GET", url, expected[role], None, None)
        for url, expected in PAGES for role in ROLES] + \
       [(role, "POST", url, status, form, check) for role, url, form, status, check in FORMS]

# What a role of one side must never read of the other: formation codes,
# commission codes, and the candidates' dossier numbers and emails.
SCI_DATA = ("MINFO1", "LINFO3", "MMATH1", "SCI-INFO", "SCI-MATH", "{lea_number}", "{lea_email}")
LLSH_DATA = ("MLEA1", "DULEA", "LLSH-LEA", "{paul_number}", "{paul_email}")
NOT_THEIRS = {"manager_sci": LLSH_DATA, "readonly": LLSH_DATA, "committee": LLSH_DATA,
              "president": LLSH_DATA, "manager_llsh": SCI_DATA}
# and, page by page, what some roles must not read there either
HIDDEN = {
    "/gestion/": {"committee": ("{both_number}",), "president": ("{both_number}",)},
    "/gestion/candidats?q=martin": {"committee": ("{both_number}",),
                                    "president": ("{both_number}",)},
}
# ... while those who may read it do find it there (so that the check above means
# something): url -> {role: what the page must show}
SHOWN = {
    "/gestion/": {"admin": ("{lea_number}", "{paul_number}"), "scol": ("{paul_number}",),
                  "manager_sci": ("{lea_number}", "{both_number}"),
                  "committee": ("{lea_number}",), "manager_llsh": ("{paul_number}",
                                                                   "{both_number}")},
    "/gestion/candidats/{both}": {"manager_sci": ("{both_number}",),
                                  "manager_llsh": ("{both_number}",)},
    # both candidates are called Martin in their dossier (fill_dossier)
    "/gestion/candidats?q=martin": {"scol": ("{lea_email}", "{paul_email}"),
                                    "readonly": ("{lea_email}",), "president": ("{lea_email}",),
                                    "manager_llsh": ("{paul_email}",)},
    "/gestion/candidats?q={paul_number}": {"admin": ("{paul_email}",),
                                           "manager_llsh": ("{paul_email}",)},
    "/gestion/catalogue/formations": {"admin": ("MINFO1", "MLEA1"), "manager_sci": ("MINFO1",),
                                      "manager_llsh": ("MLEA1", "DULEA")},
    "/gestion/catalogue/commissions": {"scol": ("SCI-INFO", "LLSH-LEA"),
                                       "manager_llsh": ("LLSH-LEA",)},
    "/gestion/catalogue/import-export/formations.csv": {"admin": ("MINFO1", "MLEA1"),
                                                        "readonly": ("MINFO1",)},
    "/gestion/catalogue/import-export/pieces.csv": {"manager_llsh": ("MLEA1",)},
}


# -- the world ------------------------------------------------------------------------------

class Mailbox:
    def __init__(self, platform):
        self.platform = platform

    def __call__(self, to, code, timeout=20, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            mails = [m for m in read_mails(self.platform.mail_dir)
                     if to.lower() in m["to"].lower() and m["code"] == code]
            if len(mails) >= count:
                return mails[0]
            time.sleep(0.2)
        raise AssertionError(f"no {code} mail to {to} within {timeout}s")


def transmitted(make, mailbox, last_name, first_name, formation):
    """A candidate who applied to `formation` and transmitted a complete file."""
    user, email, number, _ = register_and_activate(make, mailbox, last_name, first_name)
    user.post("/connexion", {"login": email, "password": CANDIDATE_PASSWORD})
    fill_dossier(user)
    created = user.post("/candidatures", {"formation_code": formation})
    app_id = int(re.search(r"/candidatures/(\d+)$", created.url).group(1))
    for code in piece_codes(text(created)):
        if code == "CERTLANG":
            user.post(f"/candidatures/{app_id}/pieces/CERTLANG/non-concerne", {"value": "1"})
        else:
            upload(user, app_id, code, f"{code.lower()}.pdf", PDF, "application/pdf")
    sent = user.post(f"/candidatures/{app_id}/transmettre")
    assert "Réceptionné" in text(sent), text(sent)
    return user, email, number, app_id


def piece_ids(page):
    """{(code, owner): id} from the pieces page of an administrator."""
    found = {}
    for row in page.split("<tr>")[1:]:
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        link = re.search(r"/gestion/catalogue/pieces/(\d+)", row)
        if len(cells) >= 3 and link:
            words = html.unescape(cells[2]).split()  # "<scope label> <owner code>"
            owner = words[-1] if words and re.fullmatch(r"[A-Z0-9_-]+", words[-1]) else ""
            found[(html.unescape(cells[0]).strip(), owner)] = int(link.group(1))
    return found


@pytest.fixture(scope="module")
def world(platform):
    def make():
        return Browser(platform.url)
    mailbox = Mailbox(platform)
    sessions = {"admin": staff_login(make, "admin")}
    admin = sessions["admin"]
    admin.get("/gestion/admin/utilisateurs/nouveau")
    for role, form in CREATED.items():
        done = admin.post("/gestion/admin/utilisateurs/nouveau", {
            "login": LOGINS[role], "password": STAFF_PASSWORD, "active": "1", **form})
        assert done.status_code == 200 and LOGINS[role] in text(done), text(done)
    lea, lea_email, lea_number, sci_app = transmitted(make, mailbox, "Martin", "Léa", "MINFO1")
    _, paul_email, paul_number, llsh_app = transmitted(make, mailbox, "Durand", "Paul", "MLEA1")
    # Bérénice: MLEA1 transmitted, MINFO1 (SCI-INFO) only created
    both, both_email, both_number, both_llsh = transmitted(make, mailbox, "Martin", "Bérénice",
                                                           "MLEA1")
    created = both.post("/candidatures", {"formation_code": "MINFO1"})
    both_sci = int(re.search(r"/candidatures/(\d+)$", created.url).group(1))
    for email in (lea_email, paul_email, both_email):  # mails sent: the pages stay the same
        mailbox(email, "STATUS_RE")
    mailbox(both_email, "APPLICATION_CREATED", count=2)
    for role in STAFF[1:]:  # logged in after the applications: their scope is today's
        sessions[role] = staff_login(make, LOGINS[role])
    sessions["candidate"] = lea
    sessions["anonymous"] = make()

    def candidate_id(number):
        page = admin.get(f"/gestion/candidats?q={number}").text
        found = re.search(r"/gestion/candidats/(\d+)", page)
        return int(found.group(1))

    paul_id = candidate_id(paul_number)
    admin.get(f"/gestion/candidats/{paul_id}/dossier/cursus-externe")
    admin.post(f"/gestion/candidats/{paul_id}/dossier/cursus-externe", {
        "year": "2021", "country": "FR", "diploma_type": "Licence", "label": "Licence LEA",
        "obtained": "O"})
    paul_entry = re.search(r"/dossier/cursus-externe/([^/\"]+)\"", admin.get(
        f"/gestion/candidats/{paul_id}/dossier/cursus-externe").text).group(1)
    admin.get("/gestion/catalogue/listes/motive")
    admin.post("/gestion/catalogue/listes/motive", {"code": "CAPA", "label": "Capacité atteinte"})
    pieces = piece_ids(admin.get("/gestion/catalogue/pieces").text)
    users = admin.get("/gestion/admin/utilisateurs").text
    readonly_row = next(row for row in users.split("<tr>") if ">audit.sci<" in row)
    ids = {"sci_app": sci_app, "llsh_app": llsh_app, "lea": candidate_id(lea_number),
           "paul": paul_id, "paul_entry": paul_entry, "both": candidate_id(both_number),
           "both_sci": both_sci, "both_llsh": both_llsh, "both_number": both_number,
           "piece_sci": pieces[("RELEVES", "SCI")],
           "piece_llsh": pieces[("RELEVES", "LLSH")], "piece_cni": pieces[("CNI", "")],
           "staff_user": int(re.search(r"/gestion/admin/utilisateurs/(\d+)",
                                       readonly_row).group(1)),
           "lea_number": lea_number, "lea_email": lea_email,
           "paul_number": paul_number, "paul_email": paul_email}
    return {"sessions": sessions, "ids": ids}


def admin_view(world, url):
    """What the administrator reads on a page (without the per-session token
    and the per-form idempotency keys)."""
    answer = world["sessions"]["admin"].get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return re.sub(r'name="(csrf_token|idempotency_key)" value="[^"]+"', "", answer.text)


def row_id(row):
    role, method, url, expected = row[:4]
    return f"{method} {url} {role} {expected}"


@pytest.mark.parametrize("role, method, url, expected, form, check", ROWS,
                         ids=[row_id(r) for r in ROWS])
def test_each_role_opens_only_its_scope(world, role, method, url, expected, form, check):
    ids = world["ids"]
    session = world["sessions"][role]
    row_url, url = url, url.format(**ids)
    if method == "GET":
        answer = session.get(url, allow_redirects=False)
        assert answer.status_code == expected, \
            f"SCOPE: {role} GET {url} answered {answer.status_code}, the role expects {expected}"
        if expected == 302:
            assert "/gestion/connexion" in answer.headers["Location"], answer.headers["Location"]
        page = html.unescape(answer.text) if answer.status_code == 200 else answer.text
        for asked in re.findall(r"=([^&]+)", url.partition("?")[2]):  # the search box repeats it
            page = page.replace(f'value="{asked}"', "")
        if url.startswith("/gestion/?"):  # and so do the list's sort and page links
            page = re.sub(r'href="/gestion/\?[^"]*"', "", page)
        for secret in NOT_THEIRS.get(role, ()):
            secret = secret.format(**ids)
            assert secret not in page, \
                f"SCOPE LEAK: {role} reads {secret!r} of another centre on {url}"
        for secret in HIDDEN.get(row_url, {}).get(role, ()):
            assert secret.format(**ids) not in page, \
                f"SCOPE LEAK: {role} reads {secret} on {url}"
        for shown in SHOWN.get(row_url, {}).get(role, ()):
            assert shown.format(**ids) in page, f"{role} should read {shown} on {url}"
        return
    check = check.format(**ids)
    before = admin_view(world, check)
    session.get({"candidate": "/candidatures", "anonymous": "/"}.get(role, "/gestion/"))  # token
    files = None
    if "file" in form:  # an import: the file's lines
        files = {"file": ("lignes.csv", form["file"].encode(), "text/csv")}
        form = {k: v for k, v in form.items() if k != "file"}
    answer = session.post(url, form, files=files, allow_redirects=False)
    assert answer.status_code == expected, \
        f"SCOPE LEAK: {role} POST {url} answered {answer.status_code} (expected {expected})"
    assert admin_view(world, check) == before, \
        f"SCOPE LEAK: {role} POST {url} was refused but {check} changed"


def test_the_table_names_every_staff_page():
    """Every /gestion route of the gateway has a row for each of its methods
    (GET, POST): a new page or form fails here until its rows are written."""
    from gateway.app import create_app
    app = create_app()
    wanted = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
              for rule in app.url_map.iter_rules() for method in ("GET", "POST")
              if rule.rule.startswith("/gestion") and method in rule.methods
              and rule.rule not in ("/gestion/connexion", "/gestion/deconnexion")}
    tried = {(re.sub(r"\?.*", "", url), method) for _, method, url, *_ in ROWS}

    def covered(route, method):
        pattern = re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(route))
        return any(m == method and re.fullmatch(pattern, url) for url, m in tried)
    assert sorted(f"{m} {r}" for r, m in wanted if not covered(r, m)) == []


def test_a_change_shows_on_the_page_the_administrator_rereads(world):
    """The control of the refusals above: an allowed change does show."""
    before = admin_view(world, "/gestion/catalogue/formations")
    # the platform is shared by the e2e modules: DULEA may be closed already
    enabled = re.search(r"<td>DULEA</td>.*?<td>(oui|non)</td>", before, re.S).group(1) == "oui"
    manager = world["sessions"]["manager_llsh"]
    manager.get("/gestion/")
    done = manager.post("/gestion/catalogue/formations/lot", {"formation": "DULEA",
                                                              "enabled": "0" if enabled else "1"})
    assert done.status_code == 200
    assert admin_view(world, "/gestion/catalogue/formations") != before
