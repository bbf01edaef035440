"""Demo data of the catalogue (services/README.md, "Demo data"):
    python -m services.catalog.seed

Campaign 2027, centres SCI and LLSH, three commissions, five formations open
from 30 days before the seeding day to 60 days after, and the pieces they
require (3 to 5 each). Idempotent: what exists already (matched by code) is
left exactly as it is, only what is missing is created.
"""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.clock import paris_today
from services.common.db import make_engine
from services.common.migrations import upgrade

from . import domain
from .models import Campaign, Centre, Commission, Formation, PieceDefinition, ReferenceItem

INSTITUTION = "Université de démonstration"

CAMPAIGN = {"code": "2027", "label": "Campagne de candidatures 2027"}

CENTRES = [
    {"code": "SCI", "label": "UFR Sciences et Techniques",
     "address": f"{INSTITUTION}\nUFR Sciences et Techniques – Scolarité\n"
                "2 rue de la Houssinière\n44300 Nantes",
     "email": "scolarite-sciences@univ-demo.fr", "max_file_size": 2 * 1024 * 1024},
    {"code": "LLSH", "label": "UFR Lettres, Langues et Sciences Humaines",
     "address": f"{INSTITUTION}\nUFR Lettres, Langues et Sciences Humaines – Scolarité\n"
                "Chemin de la Censive du Tertre\n44300 Nantes",
     "email": "scolarite-llsh@univ-demo.fr", "max_file_size": 2 * 1024 * 1024},
]

COMMISSIONS = [
    {"code": "SCI-INFO", "centre": "SCI", "label": "Commission pédagogique Informatique",
     "address": f"{INSTITUTION}\nDépartement Informatique – Bâtiment 11\n"
                "2 rue de la Houssinière\n44300 Nantes",
     "email": "commission-informatique@univ-demo.fr", "phone": "02 40 00 11 01",
     "signatory": "Claire Martin, présidente de la commission Informatique"},
    {"code": "SCI-MATH", "centre": "SCI", "label": "Commission pédagogique Mathématiques",
     "address": f"{INSTITUTION}\nDépartement de Mathématiques – Bâtiment 2\n"
                "2 rue de la Houssinière\n44300 Nantes",
     "email": "commission-mathematiques@univ-demo.fr", "phone": "02 40 00 11 02",
     "signatory": "Philippe Dubois, président de la commission Mathématiques"},
    {"code": "LLSH-LEA", "centre": "LLSH",
     "label": "Commission pédagogique Langues étrangères appliquées",
     "address": f"{INSTITUTION}\nDépartement LEA – Bâtiment Censive, bureau 214\n"
                "Chemin de la Censive du Tertre\n44300 Nantes",
     "email": "commission-lea@univ-demo.fr", "phone": "02 40 00 22 01",
     "signatory": "Isabelle Lefèvre, présidente de la commission LEA"},
]

MASTER, LICENCE, DU = "M- MASTER", "L- LICENCE", "U- DIPLÔME D'UNIVERSITÉ BAC+3"

FORMATIONS = [
    {"code": "MINFO1", "label": "Master Informatique 1re année", "level": MASTER,
     "commission": "SCI-INFO", "capacity": 40,
     "keywords": "informatique développement logiciel réseaux données intelligence artificielle",
     "url": "https://formations.univ-demo.fr/master-informatique"},
    {"code": "LINFO3", "label": "Licence Informatique 3e année", "level": LICENCE,
     "commission": "SCI-INFO", "capacity": 60,
     "keywords": "informatique programmation algorithmique systèmes",
     "url": "https://formations.univ-demo.fr/licence-informatique"},
    {"code": "MMATH1", "label": "Master Mathématiques appliquées 1re année", "level": MASTER,
     "commission": "SCI-MATH", "capacity": 25,
     "keywords": "mathématiques statistiques modélisation calcul scientifique",
     "url": "https://formations.univ-demo.fr/master-mathematiques-appliquees"},
    {"code": "MLEA1", "label": "Master Langues étrangères appliquées 1re année", "level": MASTER,
     "commission": "LLSH-LEA", "capacity": 35,
     "keywords": "langues lettres étrangères LEA anglais espagnol allemand traduction commerce",
     "url": "https://formations.univ-demo.fr/master-lea"},
    {"code": "DULEA", "label": "DU Langues et cultures d'entreprise", "level": DU,
     "commission": "LLSH-LEA", "capacity": 20,
     "keywords": "langues étrangères cultures entreprise international",
     "url": "https://formations.univ-demo.fr/du-langues-cultures-entreprise"},
]

# Owner: None = institution, a centre code, or a formation code. Every formation
# gets CNI, CV (institution), RELEVES (its centre), LM (its own), and CERTLANG
# (conditional) for the three with a language requirement: 4 or 5 pieces each.
CNI = {"code": "CNI", "label": "Pièce d'identité (carte nationale d'identité ou passeport "
                               "en cours de validité, recto verso)", "order": 1, "shared": True}
CV = {"code": "CV", "label": "Curriculum vitae", "order": 2}
LM = {"code": "LM", "label": "Lettre de motivation (une page, adressée au responsable "
                             "de la formation)", "order": 3}
RELEVES = {"code": "RELEVES", "label": "Relevés de notes des deux dernières années d'études "
                                       "(et du premier semestre en cours si disponible)",
           "order": 4}
CERTLANG = {"code": "CERTLANG", "label": "Certification en langue (TOEIC, TOEFL, IELTS, DELE, "
                                         "Goethe-Zertifikat… ; non concerné si vous n'en avez pas)",
            "order": 5, "conditional": True}
LANGUAGE_FORMATIONS = ("MINFO1", "MLEA1", "DULEA")


def demo_dates(today):
    """The formations' (and centres' default) dates around the seeding day."""
    return domain.check_dates({
        "date_open": today - timedelta(days=30), "date_close": today + timedelta(days=60),
        "date_return": today + timedelta(days=75), "date_jury": today + timedelta(days=90),
        "date_publish": today + timedelta(days=100), "date_confirm": today + timedelta(days=120),
        "confirm_days": None})


def piece_plan():
    """[(scope, owner code, definition)] of the demo pieces."""
    plan = [(domain.INSTITUTION, None, CNI), (domain.INSTITUTION, None, CV)]
    plan += [(domain.CENTRE, c["code"], RELEVES) for c in CENTRES]
    plan += [(domain.FORMATION, f["code"], LM) for f in FORMATIONS]
    plan += [(domain.FORMATION, code, CERTLANG) for code in LANGUAGE_FORMATIONS]
    return plan


# The refusal motives a DE decision is given with.
MOTIVES = [("CAPACITE", "Capacité d'accueil atteinte"),
           ("PREREQUIS", "Prérequis non satisfaits"),
           ("PROJET", "Projet professionnel insuffisamment défini")]


class Seeder:
    def __init__(self, session, today):
        self.session, self.today = session, today
        self.created = []

    def _get_or_add(self, model, key, build, name):
        found = self.session.scalars(select(model).filter_by(**key)).first()
        if found is None:
            found = build()
            self.session.add(found)
            self.session.flush()
            self.created.append(f"{model.__tablename__}: {name}")
        return found

    def campaign(self):
        # Only made active when no other campaign is: exactly one is active.
        active_exists = self.session.scalars(
            select(Campaign).where(Campaign.active.is_(True))).first() is not None
        return self._get_or_add(Campaign, {"code": CAMPAIGN["code"]}, lambda: Campaign(
            **CAMPAIGN, start=self.today - timedelta(days=45),
            end=self.today + timedelta(days=150), login_until=self.today + timedelta(days=180),
            active=not active_exists), CAMPAIGN["code"])

    def centre(self, data, dates):
        defaults = {f"default_{field}": value for field, value in dates.items()}
        return self._get_or_add(Centre, {"code": data["code"]}, lambda: Centre(
            code=data["code"], label=data["label"], address=data["address"],
            email=data["email"], max_applications=None,
            max_file_size=domain.check_max_file_size(data["max_file_size"]), online=True,
            **defaults), data["code"])

    def commission(self, data, centres):
        return self._get_or_add(Commission, {"code": data["code"]}, lambda: Commission(
            centre=centres[data["centre"]],
            **{k: v for k, v in data.items() if k != "centre"}), data["code"])

    def formation(self, data, dates, commissions, campaign):
        commission = commissions[data["commission"]]
        # A code is unique per campaign: the seed's campaign's formation.
        key = {"code": data["code"], "campaign_id": campaign.id}
        return self._get_or_add(Formation, key, lambda: Formation(
            code=data["code"], label=data["label"], level=data["level"],
            keywords=data["keywords"], url=data["url"], capacity=data["capacity"],
            enabled=True, treatment_type="AC", centre=commission.centre,
            commission=commission, campaign=campaign, **dates), data["code"])

    def piece(self, scope, owner, data):
        """owner: None (institution), a Centre or a Formation."""
        owner_key = ({} if scope == domain.INSTITUTION else {f"{scope}_id": owner.id})
        return self._get_or_add(
            PieceDefinition, {"scope": scope, "code": data["code"], **owner_key},
            lambda: PieceDefinition(scope=scope, conditional=data.get("conditional", False),
                                    shared=data.get("shared", False), code=data["code"],
                                    label=data["label"], order=data["order"], **owner_key),
            f"{data['code']} ({owner.code if owner else scope})")

    def run(self):
        dates = demo_dates(self.today)
        campaign = self.campaign()
        centres = {c["code"]: self.centre(c, dates) for c in CENTRES}
        commissions = {c["code"]: self.commission(c, centres) for c in COMMISSIONS}
        formations = {f["code"]: self.formation(f, dates, commissions, campaign)
                      for f in FORMATIONS}
        owners = {domain.INSTITUTION: {None: None}, domain.CENTRE: centres,
                  domain.FORMATION: formations}
        for scope, owner, data in piece_plan():
            self.piece(scope, owners[scope][owner], data)
        for order, (code, label) in enumerate(MOTIVES, start=1):
            self._get_or_add(ReferenceItem, {"kind": "motive", "code": code},
                             lambda: ReferenceItem(kind="motive", code=code, label=label,
                                                   order=order), f"motive {code}")
        return self.created


def seed(session, today):
    """Create what is missing of the demo catalogue; returns what was created.
    The caller commits."""
    return Seeder(session, today).run()


def main():
    upgrade("catalog")
    engine = make_engine("catalog")
    try:
        with Session(engine) as session:
            created = seed(session, seeding_day())
            session.commit()
    finally:
        engine.dispose()
    print(f"catalog: {len(created)} created" + "".join(f"\n  {c}" for c in created))


def seeding_day():
    """Today in Paris (day-level dates are French days); honours CLOCK_OFFSET_SECONDS."""
    return paris_today()


if __name__ == "__main__":
    main()
