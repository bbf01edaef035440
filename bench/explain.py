"""The query plans of the reads the deadline day repeats most, on the generated
campaign (bench/generate.py):

    DATABASE_PREFIX=ecandidat_mybench python -m bench.explain [--generate] \\
        [--candidates 5000 --applications 19000 ...] > bench/plans/after.txt

Each case runs the service's own read path once (the statements it sends are
recorded: their number is part of the answer), then prints EXPLAIN (ANALYZE,
BUFFERS) of every statement it sent. --generate loads the campaign first (it
replaces the campaign data of DATABASE_PREFIX's databases); without it the
databases are only migrated to head and analysed.
"""
import argparse
import re
import sys
from contextlib import contextmanager

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from bench.generate import add_campaign_arguments, generate
from services.applications import access, domain, queries, schemas
from services.applications.models import Application, Decision
from services.catalog import queries as catalog_queries
from services.common.clock import utcnow
from services.common.config import env
from services.common.db import make_engine
from services.common.migrations import upgrade

STAFF_CENTRE = "C00"  # bench.c00 manages it


@contextmanager
def recorded(engine):
    """The statements sent to the engine meanwhile, with their parameters."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine, statements):
    plans = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
            plans.append((statement, [r[0] for r in rows]))
        conn.rollback()
    return plans


def staff_list(session):
    """The first page of a centre manager's list: centre and status filters,
    sorted as the load test's staff sort it (the list's default)."""
    manager = {"kind": "staff", "role": "manager", "centres": [STAFF_CENTRE]}
    return queries.staff_list(session, manager, {"centre": STAFF_CENTRE, "status": "RE"},
                              page=1, per_page=50, sort=None)


def staff_list_by_name(session):
    """The same list sorted by candidate name, on its second page."""
    manager = {"kind": "staff", "role": "manager", "centres": [STAFF_CENTRE]}
    return queries.staff_list(session, manager, {"centre": STAFF_CENTRE, "status": "RE"},
                              page=2, per_page=50, sort="candidate")


def busiest_candidate(session):
    return session.scalar(select(Application.candidate_id).group_by(Application.candidate_id)
                          .order_by(func.count().desc(), Application.candidate_id).limit(1))


def candidate_list(session, candidate_id):
    """list_my_applications: every application of one candidate, as summaries."""
    return [schemas.summary(a, staff=False)
            for a in queries.candidate_applications(session, candidate_id)]


def candidate_export(session, candidate_id):
    """export_my_data: every application of one candidate as whole views."""
    today = domain.paris_today(utcnow())
    return [schemas.application_view(a, False, today)
            for a in queries.candidate_applications(session, candidate_id, full=True)]


def decided_application(session):
    return session.scalar(select(Decision.application_id).order_by(Decision.id).limit(1))


def one_application(session, application_id):
    """get_application by the centre's staff: the application and its relations."""
    staff = {"kind": "staff", "role": "scol", "centres": [], "can_see_all_centres": True}
    application, seen_by_staff = access.readable_application(
        session, staff, application_id, options=access.WHOLE)
    return schemas.application_view(application, seen_by_staff, domain.paris_today(utcnow()))


def offer(session):
    """catalog.get_offer: the enabled formations of the active campaign."""
    campaign = catalog_queries.active_campaign(session)
    return catalog_queries.offer_entries(session, campaign.id)


def shortened(line, limit=600):
    """A statement or plan line with its long lists of ids cut."""
    line = re.sub(r"(%\(\w+?)_\d+\)s::INTEGER(, %\(\1_\d+\)s::INTEGER)+", r"\1_…", line)
    return line if len(line) <= limit else line[:limit] + f"… ({len(line)} characters)"


def print_case(title, engine, run):
    with Session(engine) as session, recorded(engine) as sent:
        run(session)
        session.rollback()
    print(f"== {title}: {len(sent)} statement(s)\n")
    for statement, plan in explain(engine, sent):
        print(shortened(" ".join(statement.split())))
        print()
        print("\n".join(shortened(line) for line in plan))
        print()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.explain", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_campaign_arguments(parser)
    parser.add_argument("--generate", action="store_true",
                        help="load the campaign first (replaces the prefix's campaign data)")
    args = parser.parse_args(argv)
    if env("DATABASE_PREFIX", "ecandidat") == "ecandidat":
        raise SystemExit("set DATABASE_PREFIX to the databases of a generated campaign")
    if args.generate:
        generate(args.seed, args.candidates, args.applications, args.formations, args.centres,
                 store_object=False, log=lambda message: print(message, file=sys.stderr))
    for name in ("applications", "catalog"):
        upgrade(name)
    applications, catalog = make_engine("applications"), make_engine("catalog")
    for engine in (applications, catalog):
        # as autovacuum leaves a live database: statistics, and the visibility
        # map that lets a count be answered from an index alone
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with Session(applications) as session:
        candidate_id, application_id = busiest_candidate(session), decided_application(session)
        count = session.scalar(select(func.count()).select_from(Application))
    print(f"# {count} applications; candidate {candidate_id}, application {application_id}\n")
    print_case(f"staff list: centre {STAFF_CENTRE}, status RE, first page", applications,
               staff_list)
    print_case(f"staff list: centre {STAFF_CENTRE}, status RE, by candidate, page 2",
               applications, staff_list_by_name)
    print_case(f"the candidate's applications (candidate {candidate_id})", applications,
               lambda session: candidate_list(session, candidate_id))
    print_case(f"the candidate's applications as views, export_my_data (candidate {candidate_id})",
               applications, lambda session: candidate_export(session, candidate_id))
    print_case(f"one application with its relations ({application_id})", applications,
               lambda session: one_application(session, application_id))
    print_case("the offer (catalog)", catalog, offer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
