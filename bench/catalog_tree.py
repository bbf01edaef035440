"""The candidate's catalogue tree at a university's scale: 2,000
formations in 20 centres in the bench's own catalog database, then
- the tree built by the plain function (domain.offer_tree) from the rows,
- catalog.get_offer() over nameko RPC, whole and with a "Filtre",
each measured in this one run."""
import random
import time
from datetime import date, timedelta

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.catalog import domain, queries
from services.catalog.models import Campaign, Centre, Commission, Formation
from services.common.actors import ANONYMOUS
from services.common.db import make_engine
from services.common.rpc import ActingProxy

from .stats import summary

CENTRES, FORMATIONS = 20, 2000
LEVELS = ("L- LICENCE", "LP- LICENCE PROFESSIONNELLE", "M- MASTER", "U- DIPLÔME D'UNIVERSITÉ BAC+3",
          "D- DOCTORAT")
SUBJECTS = ("Informatique", "Mathématiques appliquées", "Physique", "Chimie", "Biologie",
            "Langues étrangères appliquées", "Histoire", "Géographie", "Droit privé",
            "Économie", "Gestion", "Lettres modernes", "Philosophie", "Sociologie",
            "Sciences de l'éducation", "Génie civil", "Électronique", "Psychologie")


def fill(today=None):
    """Replaces the bench catalogue with 20 centres and 2,000 open formations."""
    today = today or date.today()
    engine = make_engine("catalog")
    rng = random.Random(2027)
    try:
        with Session(engine) as session:
            session.execute(text("TRUNCATE piece_definitions, formations, commissions, centres, "
                                 "campaigns RESTART IDENTITY CASCADE"))
            campaign = Campaign(code="BENCH", label="Campagne bench", start=today - timedelta(days=60),
                                end=today + timedelta(days=300), login_until=today + timedelta(days=330),
                                active=True)
            session.add(campaign)
            commissions = []
            for n in range(CENTRES):
                centre = Centre(code=f"C{n:02d}", label=f"UFR numéro {n:02d}",
                                email=f"ufr{n:02d}@univ-bench.fr")
                commission = Commission(code=f"C{n:02d}-COM", label=f"Commission {n:02d}",
                                        centre=centre)
                session.add_all([centre, commission])
                commissions.append(commission)
            session.flush()
            for n in range(FORMATIONS):
                commission = commissions[n % CENTRES]
                subject = rng.choice(SUBJECTS)
                session.add(Formation(
                    code=f"F{n:04d}", label=f"{subject} parcours {n:04d}", level=rng.choice(LEVELS),
                    keywords=f"{subject.lower()} bench", treatment_type="AC", enabled=True,
                    centre_id=commission.centre_id, commission_id=commission.id,
                    campaign_id=campaign.id, date_open=today - timedelta(days=10),
                    date_close=today + timedelta(days=30), date_return=today + timedelta(days=40),
                    date_jury=today + timedelta(days=50), date_publish=today + timedelta(days=60),
                    confirm_days=10))
            session.commit()
    finally:
        engine.dispose()


def plain_tree(calls, filter_text=None):
    """The tree built in-process from rows already read: the rule's own cost."""
    engine = make_engine("catalog")
    try:
        with Session(engine) as session:
            campaign = queries.active_campaign(session)
            entries = queries.offer_entries(session, campaign.id)
    finally:
        engine.dispose()
    latencies = []
    began_all = time.perf_counter()
    for _ in range(calls):
        began = time.perf_counter()
        domain.offer_tree(entries, filter_text)
        latencies.append(time.perf_counter() - began)
    return summary(latencies, time.perf_counter() - began_all)


def rpc_tree(config, calls, filter_text=None, warmup=5):
    latencies = []
    with ClusterRpcProxy(config, timeout=30) as rpc:
        catalog = ActingProxy(rpc.catalog, "catalog")
        for _ in range(warmup):
            tree = catalog.get_offer(ANONYMOUS, filter_text)
        began_all = time.perf_counter()
        for _ in range(calls):
            began = time.perf_counter()
            tree = catalog.get_offer(ANONYMOUS, filter_text)
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - began_all
    shown = sum(len(level["formations"]) for centre in tree for level in centre["levels"])
    return {**summary(latencies, elapsed), "formations": shown}


def page_render(calls, filter_text=None):
    """The gateway's own share of the offer page: the Jinja2 template of the tree
    rendered in-process, every formation offering "Candidater" (its form and CSRF
    token: the heaviest page), from the tree get_offer() answers."""
    from flask import render_template

    from gateway import create_app
    from gateway.views.candidate import short_reason

    engine = make_engine("catalog")
    try:
        with Session(engine) as session:
            campaign = queries.active_campaign(session)
            tree = domain.offer_tree(queries.offer_entries(session, campaign.id), filter_text)
    finally:
        engine.dispose()
    status = {f["code"]: {"allowed": True, "reason": None}
              for centre in tree for level in centre["levels"] for f in level["formations"]}
    app = create_app({"SECRET_KEY": "bench"})
    latencies, size = [], 0
    with app.test_request_context("/offre"):
        began_all = time.perf_counter()
        for _ in range(calls):
            began = time.perf_counter()
            page = render_template("candidate/offer.html", tree=tree, filter_text=filter_text or "",
                                   status=status, short_reason=short_reason,
                                   dossier_incomplete=False)
            latencies.append(time.perf_counter() - began)
            size = len(page.encode())
        elapsed = time.perf_counter() - began_all
    return {**summary(latencies, elapsed), "kilobytes": size / 1024, "formations": len(status)}
