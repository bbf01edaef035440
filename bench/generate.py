"""A deadline-day campaign at a large university's scale, loaded straight into
the five services' databases (no HTTP journeys, no events):

    python -m bench.generate --seed 42 --candidates 20000 --applications 75000 \\
        --formations 300 --centres 10

Same seed, same data. Every candidate has a complete dossier, is activated and
logs in with PASSWORD (by e-mail c000001@bench.example.org or dossier number
B0000001); staff user `bench.cNN` manages centre CNN, `bench.scol` sees every
centre (same password). Applications are spread over the formations with the
statuses of a deadline day: not yet transmitted (some pieces uploaded),
transmitted, incomplete, complete; part of the complete ones have a pending
decision (FA/DE).

Written through each service's own tables (COPY for the big ones), with the
snapshots applications keeps taken by catalog's and accounts' own schema
functions, and every local copy the services keep from events filled as the
events would have: catalog's formation_applications, accounts'
candidate_centres, candidate_commissions and transmitted_applications,
notifications' recipients. Every piece file is the same small PDF, stored
once in S3 and referenced by every document row (when MINIO_ENDPOINT answers).

It REPLACES the campaign data of the databases named by DATABASE_PREFIX
(candidates, applications, documents, mails, the catalogue; staff users and
reference lists stay): it refuses the default prefix.
"""
import argparse
import io
import random
import sys
import time
from datetime import timedelta
from types import SimpleNamespace

from psycopg.types.json import Jsonb
from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from services.accounts.authentication import passwords
from services.accounts import schemas as accounts_schemas
from services.accounts.models import StaffUser
from services.applications import domain as app_domain
from services.catalog import domain as catalog_domain
from services.catalog import queries as catalog_queries
from services.catalog import schemas as catalog_schemas
from services.catalog.models import Campaign, Centre, Commission, Formation, PieceDefinition
from services.common.clock import utcnow
from services.common.config import env
from services.common.db import make_engine
from services.common.migrations import upgrade

PASSWORD = "Bench-2027-pass!"
CAMPAIGN_CODE = "BENCH"
EMAIL_DOMAIN = "bench.example.org"
STAFF_SCOL = "bench.scol"
PIECE_OBJECT_KEY = "bench/piece.pdf"
SERVICES = ("accounts", "catalog", "applications", "documents", "notifications")

# A real (tiny) PDF: what every generated piece serves when downloaded.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")

LEVELS = ("L- LICENCE", "LP- LICENCE PROFESSIONNELLE", "M- MASTER",
          "U- DIPLÔME D'UNIVERSITÉ BAC+3")
SUBJECTS = ("Informatique", "Mathématiques appliquées", "Physique", "Chimie", "Biologie",
            "Langues étrangères appliquées", "Histoire", "Géographie", "Droit privé",
            "Économie", "Gestion", "Lettres modernes", "Philosophie", "Sociologie",
            "Sciences de l'éducation", "Génie civil", "Électronique", "Psychologie")
FIRST_NAMES = ("Léa", "Hugo", "Chloé", "Lucas", "Manon", "Nathan", "Inès", "Louis", "Jade",
               "Gabriel", "Camille", "Arthur", "Sarah", "Jules", "Emma", "Adam", "Zoé", "Noah")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David")
# Institution-wide pieces (the identity card serves every application: shared),
# one per centre, one or two per formation: about 5.3 per application.
INSTITUTION_PIECES = (("CNI", "Pièce d'identité", 1, True), ("CV", "Curriculum vitae", 2, False),
                      ("LM", "Lettre de motivation", 3, False))
CENTRE_PIECE = ("RELEVES", "Relevés de notes", 4)
FORMATION_PIECES = (("PROJET", "Projet de formation", 5, False),
                    ("CERTLANG", "Certificat de langue (si concerné)", 6, True))

# Status mix of a deadline day: (file status, share).
STATUS_MIX = ((app_domain.AT, 0.45), (app_domain.RE, 0.30), (app_domain.IN, 0.10),
              (app_domain.CO, 0.15))
DECIDED_SHARE_OF_COMPLETE = 2 / 3


def say(message):
    print(message, flush=True)


def candidate_email(number):
    return f"c{number:06d}@{EMAIL_DOMAIN}"


def dossier_number(number):
    return f"B{number:07d}"


def staff_login(centre_index):
    return f"bench.c{centre_index:02d}"


def centre_code(index):
    return f"C{index:02d}"


class Copier:
    """COPY rows into one service's database, on one raw psycopg connection."""

    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.connection = self.raw.driver_connection

    def truncate(self, *tables):
        with self.connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

    def copy(self, table, columns, rows):
        count = 0
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([Jsonb(v) if isinstance(v, (dict, list)) else v for v in row])
                    count += 1
        return count

    def set_sequence(self, table, column="id"):
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                           f"GREATEST((SELECT max({column}) FROM {table}), 1))")

    def commit(self):
        self.connection.commit()

    def close(self):
        self.raw.close()


# -- the catalogue ----------------------------------------------------------------

def load_catalog(engine, rng, centres, formations, today):
    """Replaces the catalogue; -> {formation code: get_formation's answer}."""
    with Session(engine) as session:
        session.execute(text("TRUNCATE formation_applications, piece_definitions, formations, "
                             "commissions, centres, campaigns RESTART IDENTITY CASCADE"))
        campaign = Campaign(code=CAMPAIGN_CODE, label="Campagne de charge", active=True,
                            start=today - timedelta(days=90), end=today + timedelta(days=200),
                            login_until=today + timedelta(days=230))
        session.add(campaign)
        for code, label, order, shared in INSTITUTION_PIECES:
            session.add(PieceDefinition(code=code, label=label, order=order, shared=shared,
                                        scope=catalog_domain.INSTITUTION))
        commissions = []
        for n in range(centres):
            centre = Centre(code=centre_code(n), label=f"UFR de charge {n:02d}",
                            email=f"ufr{n:02d}@{EMAIL_DOMAIN}",
                            address=f"UFR {n:02d}\n1 rue de la Charge\n44000 Nantes")
            session.add(centre)
            session.add(PieceDefinition(code=CENTRE_PIECE[0], label=CENTRE_PIECE[1],
                                        order=CENTRE_PIECE[2], scope=catalog_domain.CENTRE,
                                        centre=centre))
            for k in range(3):
                commission = Commission(code=f"{centre.code}-COM{k}", centre=centre,
                                        label=f"Commission {k} de l'UFR {n:02d}",
                                        email=f"com{n:02d}{k}@{EMAIL_DOMAIN}")
                session.add(commission)
                commissions.append(commission)
        session.flush()
        for n in range(formations):
            commission = commissions[(n % centres) * 3 + (n // centres) % 3]
            subject = rng.choice(SUBJECTS)
            formation = Formation(
                code=f"F{n:04d}", label=f"{subject} parcours {n:04d}", level=rng.choice(LEVELS),
                keywords=f"{subject.lower()} charge", treatment_type="AC", enabled=True,
                capacity=rng.choice((20, 30, 40, 60)), centre_id=commission.centre_id,
                commission_id=commission.id, campaign_id=campaign.id,
                # the deadline day: applications close in two days
                date_open=today - timedelta(days=60), date_close=today + timedelta(days=2),
                date_return=today + timedelta(days=12), date_jury=today + timedelta(days=30),
                date_publish=today + timedelta(days=40), confirm_days=10)
            session.add(formation)
            session.flush()
            for code, label, order, conditional in FORMATION_PIECES:
                if code == "CERTLANG" and n % 3:
                    continue
                session.add(PieceDefinition(code=code, label=label, order=order,
                                            conditional=conditional,
                                            scope=catalog_domain.FORMATION, formation=formation))
        session.commit()
        # The snapshot applications keeps is catalog's own answer to get_formation.
        snapshots = {}
        rows = session.scalars(select(Formation).options(
            selectinload(Formation.centre), selectinload(Formation.commission),
            selectinload(Formation.campaign)).order_by(Formation.id))
        for row in rows:
            definitions = catalog_queries.piece_definitions_for(session, row)
            pieces = catalog_domain.required_pieces(
                [catalog_schemas.piece_definition(d) for d in definitions], row.treatment_type)
            snapshots[row.code] = catalog_schemas.formation(row, pieces)
        return snapshots


# -- candidates -------------------------------------------------------------------

def dossier_templates(rng, today, count=16):
    """A few complete dossiers, validated by accounts' own section rules."""
    templates = []
    for n in range(count):
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)]
        personal = accounts_schemas.dossier_section("personal", {
            "civility": "MME" if n % 2 else "M", "birth_name": last, "first_name": first,
            "birth_date": f"{1996 + n % 8}-0{1 + n % 9}-1{n % 10}", "nationality": "FR",
            "birth_country": "FR", "birth_department": "44", "birth_commune": "Nantes",
            "preferred_language": "fr"}, today)
        address = accounts_schemas.dossier_section("address", {
            "line1": f"{n + 1} rue des Lilas", "country": "FR", "postal_code": "44000",
            "commune": "Nantes"}, today)
        bac = accounts_schemas.dossier_section("bac", {
            "has_bac": "yes", "year": str(2015 + n % 6), "country": "FR", "department": "44",
            "series": "GEN"}, today)
        templates.append({"personal": personal, "address": address, "bac": bac,
                          "first_name": first, "last_name": last})
    return templates


def plan_applications(rng, candidates, applications, formations):
    """[(candidate number, [formation indexes])]: every candidate applies at least
    once when there are enough applications, at most 20 times (the institution's limit)."""
    per = [applications // candidates] * candidates
    for n in rng.sample(range(candidates), applications % candidates):
        per[n] += 1
    cap = min(app_domain.GLOBAL_MAX_APPLICATIONS, formations)
    return [(n + 1, rng.sample(range(formations), min(k, cap))) for n, k in enumerate(per)]


def pick_status(rng):
    draw, total = rng.random(), 0.0
    for status, share in STATUS_MIX:
        total += share
        if draw < total:
            return status
    return STATUS_MIX[-1][0]


def generate(seed=42, candidates=20000, applications=75000, formations=300, centres=10,
             store_object=True, log=say):
    """Loads the campaign; -> the counts written, per table."""
    prefix = env("DATABASE_PREFIX", "ecandidat")
    if prefix == "ecandidat":
        raise SystemExit("bench.generate replaces the campaign data: set DATABASE_PREFIX to "
                         "databases of its own (e.g. ecandidat_loadtest)")
    if formations < centres:
        raise SystemExit("at least one formation per centre")
    rng = random.Random(seed)
    began = time.perf_counter()
    now = utcnow().replace(microsecond=0)
    today = app_domain.paris_today(now)
    for name in SERVICES:
        upgrade(name)
    engines = {name: make_engine(name) for name in SERVICES}
    counts = {}
    try:
        snapshots = load_catalog(engines["catalog"], rng, centres, formations, today)
        codes = sorted(snapshots)
        log(f"  catalogue: {centres} centres, {formations} formations "
            f"({time.perf_counter() - began:.1f} s)")
        # One hash for every account: computed once, with today's parameters.
        password_hash = passwords.hasher().hash(PASSWORD)
        templates = dossier_templates(rng, today)
        plan = plan_applications(rng, candidates, applications, formations)

        accounts = Copier(engines["accounts"])
        apps = Copier(engines["applications"])
        documents = Copier(engines["documents"])
        notifications = Copier(engines["notifications"])
        catalog = Copier(engines["catalog"])
        try:
            accounts.truncate("login_sessions", "login_failures", "dossier_changes",
                              "candidate_centres", "candidate_commissions",
                              "transmitted_applications", "dossiers", "candidates",
                              "issued_dossier_numbers")
            apps.truncate("decisions", "status_changes", "application_pieces", "applications")
            documents.truncate("documents")
            notifications.truncate("mails", "recipients")

            rows = {k: [] for k in ("candidates", "dossiers", "numbers", "recipients",
                                    "centres", "commissions", "transmitted", "applications",
                                    "pieces", "history", "decisions", "documents",
                                    "formation_applications")}
            application_id = piece_id = 0
            document_seq = 0

            def new_document(candidate_id, app_id, code, filename):
                nonlocal document_seq
                document_seq += 1
                # uuid-shaped and reproducible (the seed picks the same ids again)
                document_id = f"b0000000-0000-4000-8000-{document_seq:012d}"
                rows["documents"].append((
                    document_id, "piece", "stored", candidate_id, app_id, code, filename,
                    "application/pdf", len(PDF), len(PDF), catalog_domain.DEFAULT_MAX_FILE_SIZE,
                    PIECE_OBJECT_KEY, now, now))
                return document_id

            for number, chosen in plan:
                template = templates[number % len(templates)]
                email = candidate_email(number)
                rows["numbers"].append((dossier_number(number), now))
                rows["candidates"].append((
                    number, dossier_number(number), email, email, template["last_name"],
                    template["first_name"], "fr", password_hash, now - timedelta(days=20),
                    now - timedelta(days=20), bool(chosen), CAMPAIGN_CODE, "web"))
                rows["dossiers"].append((number, template["personal"], template["address"],
                                         template["bac"], now - timedelta(days=19)))
                candidate = SimpleNamespace(
                    id=number, dossier_number=dossier_number(number), email=email,
                    first_name=template["first_name"], last_name=template["last_name"],
                    lang="fr", dossier=SimpleNamespace(personal=template["personal"]))
                contact = accounts_schemas.contact(candidate)  # what check_ready_to_apply answers
                rows["recipients"].append((number, email, dossier_number(number),
                                           contact["civility"], contact["first_name"],
                                           contact["last_name"], "fr", now))
                statuses = [pick_status(rng) for _ in chosen]
                # The shared identity card: uploaded once, on every application.
                id_card = None
                if any(s != app_domain.AT for s in statuses) or rng.random() < 0.6:
                    id_card = new_document(number, None, "CNI", "carte-identite.pdf")
                centres_seen, commissions_seen = set(), set()
                for formation_index, status in zip(chosen, statuses):
                    application_id += 1
                    snapshot = snapshots[codes[formation_index]]
                    created = now - timedelta(days=rng.randint(2, 50), minutes=rng.randint(0, 600))
                    transmitted = status != app_domain.AT
                    transmitted_at = created + timedelta(days=1) if transmitted else None
                    centre, commission = snapshot["centre"]["code"], snapshot["commission"]["code"]
                    rows["applications"].append((
                        application_id, number, snapshot["code"], centre, CAMPAIGN_CODE,
                        snapshot, contact, status, created, transmitted_at))
                    rows["formation_applications"].append(
                        (application_id, snapshot["code"], CAMPAIGN_CODE))
                    centres_seen.add(centre)
                    rows["history"].append((application_id, None, app_domain.AT, "candidat",
                                            "candidate", created))
                    if transmitted:
                        commissions_seen.add(commission)
                        rows["transmitted"].append((application_id, number))
                        rows["history"].append((application_id, app_domain.AT, app_domain.RE,
                                                "candidat", "candidate", transmitted_at))
                    staff_name = f"Gestionnaire UFR {centre[1:]}"
                    if status in (app_domain.IN, app_domain.CO):
                        rows["history"].append((application_id, app_domain.RE, status, staff_name,
                                                "staff", transmitted_at + timedelta(hours=5)))
                    refused = rng.randrange(len(snapshot["pieces"])) \
                        if status == app_domain.IN else None
                    for index, piece in enumerate(snapshot["pieces"]):
                        piece_id += 1
                        document_id = filename = comment = None
                        if piece["code"] == "CNI" and id_card:
                            piece_status, document_id = app_domain.P_TR, id_card
                            filename = "carte-identite.pdf"
                        elif piece.get("conditional") and (transmitted or rng.random() < 0.5):
                            piece_status = app_domain.P_NC
                        elif transmitted or rng.random() < 0.5:
                            piece_status = app_domain.P_TR
                            filename = f"{piece['code'].lower()}.pdf"
                            document_id = new_document(number, application_id, piece["code"],
                                                       filename)
                        else:
                            piece_status = app_domain.P_AT
                        if status == app_domain.CO and piece_status == app_domain.P_TR:
                            piece_status = app_domain.P_VA
                        if index == refused:
                            piece_status, comment = app_domain.P_RE, "Document illisible"
                        rows["pieces"].append((
                            piece_id, application_id, piece["code"], piece["label"],
                            piece.get("order") or 0, bool(piece.get("conditional")),
                            bool(piece.get("shared")), piece_status, comment, document_id,
                            filename, created))
                    if status == app_domain.CO and rng.random() < DECIDED_SHARE_OF_COMPLETE:
                        rows["decisions"].append((
                            application_id, rng.choice((app_domain.FA, app_domain.DE)),
                            staff_name, transmitted_at + timedelta(days=1)))
                rows["centres"].extend((number, c) for c in sorted(centres_seen))
                rows["commissions"].extend((number, c) for c in sorted(commissions_seen))

            counts["candidates"] = accounts.copy("issued_dossier_numbers",
                                                 ("number", "issued_at"), rows["numbers"])
            accounts.copy("candidates", (
                "id", "dossier_number", "email", "email_key", "last_name", "first_name", "lang",
                "password_hash", "created_at", "activated_at", "personal_locked",
                "campaign_code", "origin"), rows["candidates"])
            accounts.copy("dossiers", ("candidate_id", "personal", "address", "bac",
                                       "updated_at"), rows["dossiers"])
            counts["candidate_centres"] = accounts.copy(
                "candidate_centres", ("candidate_id", "centre_code"), rows["centres"])
            counts["candidate_commissions"] = accounts.copy(
                "candidate_commissions", ("candidate_id", "commission_code"), rows["commissions"])
            counts["transmitted_applications"] = accounts.copy(
                "transmitted_applications", ("application_id", "candidate_id"),
                rows["transmitted"])
            accounts.set_sequence("candidates")
            accounts.commit()
            log(f"  accounts: {counts['candidates']} candidates ({time.perf_counter() - began:.1f} s)")

            counts["recipients"] = notifications.copy(
                "recipients", ("candidate_id", "email", "dossier_number", "civility",
                               "first_name", "last_name", "lang", "updated_at"),
                rows["recipients"])
            notifications.commit()

            counts["formation_applications"] = catalog.copy(
                "formation_applications", ("application_id", "formation_code", "campaign_code"),
                rows["formation_applications"])
            catalog.commit()

            counts["applications"] = apps.copy("applications", (
                "id", "candidate_id", "formation_code", "centre_code", "campaign_code",
                "formation", "candidate", "status", "created_at", "transmitted_at"),
                rows["applications"])
            counts["pieces"] = apps.copy("application_pieces", (
                "id", "application_id", "code", "label", '"order"', "conditional", "shared",
                "status", "comment", "document_id", "filename", "updated_at"), rows["pieces"])
            counts["status_changes"] = apps.copy("status_changes", (
                "application_id", "from_status", "to_status", "by", "by_kind", "at"),
                rows["history"])
            counts["decisions"] = apps.copy("decisions", (
                "application_id", "code", "entered_by", "entered_at"), rows["decisions"])
            for table in ("applications", "application_pieces", "status_changes", "decisions"):
                apps.set_sequence(table)
            apps.commit()
            log(f"  applications: {counts['applications']} applications, {counts['pieces']} "
                f"pieces ({time.perf_counter() - began:.1f} s)")

            counts["documents"] = documents.copy("documents", (
                "id", "kind", "status", "candidate_id", "application_id", "piece_code",
                "filename", "content_type", "size", "declared_size", "max_size", "object_key",
                "created_at", "stored_at"), rows["documents"])
            documents.commit()
            for copier in (accounts, apps, documents, notifications, catalog):
                with copier.connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # plans for the new sizes, as autovacuum would later
                copier.commit()
        finally:
            for copier in (accounts, apps, documents, notifications, catalog):
                copier.close()
        load_staff(engines["accounts"], password_hash, centres, now)
        if store_object:
            store_piece_object()
        counts["seconds"] = round(time.perf_counter() - began, 1)
        log(f"  documents: {counts['documents']}; done in {counts['seconds']} s")
        return counts
    finally:
        for engine in engines.values():
            engine.dispose()


def load_staff(engine, password_hash, centres, now):
    """bench.scol (every centre) and one manager per centre, made or reset."""
    users = [(STAFF_SCOL, "Scolarité (charge)", "scol", [])]
    users += [(staff_login(n), f"Gestionnaire UFR {n:02d}", "manager", [centre_code(n)])
              for n in range(centres)]
    with Session(engine) as session:
        for login, name, role, centre_codes in users:
            user = session.scalar(select(StaffUser).where(StaffUser.login == login))
            if user is None:
                user = StaffUser(login=login, created_at=now)
                session.add(user)
            user.password_hash, user.display_name, user.role = password_hash, name, role
            user.centres, user.active = centre_codes, True
            user.email = f"{login}@{EMAIL_DOMAIN}"
        session.commit()


def store_piece_object():
    """The one PDF every generated document points at."""
    from services.documents.dependencies import ObjectStore, storage_settings

    store = ObjectStore(storage_settings())
    store.ensure_bucket(check=True)
    store.client.put_object(store.bucket, PIECE_OBJECT_KEY, io.BytesIO(PDF), len(PDF),
                            content_type="application/pdf")


def add_campaign_arguments(parser):
    """The campaign's size and seed, the same flags for the generator and the load test."""
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--candidates", type=int, default=20000)
    parser.add_argument("--applications", type=int, default=75000)
    parser.add_argument("--formations", type=int, default=300)
    parser.add_argument("--centres", type=int, default=10)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_campaign_arguments(parser)
    parser.add_argument("--no-s3", action="store_true",
                        help="do not store the piece PDF (no S3 endpoint running)")
    args = parser.parse_args(argv)
    say(f"bench.generate: seed {args.seed}, {args.candidates} candidates, {args.applications} "
        f"applications, {args.formations} formations in {args.centres} centres")
    counts = generate(args.seed, args.candidates, args.applications, args.formations,
                      args.centres, store_object=not args.no_s3)
    say("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
