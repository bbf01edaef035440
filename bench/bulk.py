"""Bulk validation of decisions, end to end over RPC: one bulk_apply
("validate_decision") on N applications against N validate_decision calls,
one per application, on the real applications service (its own process, the
bench's broker vhost and databases):

    python -m bench.bulk [--count 500]

(`python -m bench` runs it too, with 500 applications, 100 with --quick.)
Each application waits with an entered FA decision; validating it commits the
decision with its decision_validated event (outbox) and asks the catalog for
the formation's dates once per formation of the request. A request answers
after BULK_TIME_BUDGET_SECONDS (20) with the rest `remaining`; the bench sends
the rest again, as the result page's "Continuer" does, and counts the requests.
"""
import argparse
import logging
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text
from sqlalchemy.orm import Session

from deploy.local.processes import ROOT
from deploy.local.run import wait_for_services
from services.applications.bulk import TIME_BUDGET_SECONDS
from services.common.db import make_engine
from services.common.rpc import ActingProxy

from .stack import DATABASE_PREFIX, LOGS, stop_all, tail

ADMIN = {"kind": "staff", "id": 1, "login": "bench.admin", "display_name": "Bench admin",
         "role": "admin", "centres": [], "commissions": [], "presides": []}
FORMATIONS = 10  # the applications are spread over these (the catalog is asked once each)


def seed(count):
    """2 x count applications, complete (CO), each with an FA decision waiting for
    validation: (the bulk's ids, the single calls' ids)."""
    from services.applications.models import Application, Decision
    from services.common.migrations import upgrade
    logging.getLogger("alembic").setLevel(logging.WARNING)
    upgrade("applications")
    engine = make_engine("applications")
    now = datetime.now(timezone.utc)
    today = date.today()
    dates = {"date_open": (today - timedelta(days=60)).isoformat(),
             "date_close": (today + timedelta(days=30)).isoformat(),
             "date_confirm": (today + timedelta(days=90)).isoformat(), "confirm_days": None}
    try:
        with Session(engine) as session:
            session.execute(text("TRUNCATE applications, outbox_events, idempotency_keys "
                                 "RESTART IDENTITY CASCADE"))
            rows = []
            for n in range(2 * count):
                code = f"BULK{n % FORMATIONS:02d}"
                rows.append(Application(
                    candidate_id=n + 1, formation_code=code, centre_code="C00",
                    campaign_code="BENCH", status="CO", created_at=now, transmitted_at=now,
                    formation={"code": code, "label": f"Formation {code}", "dates": dates,
                               "centre": {"code": "C00", "label": "UFR 00"},
                               "commission": {"code": "C00-COM", "label": "Commission 00"},
                               "campaign": {"code": "BENCH"}},
                    candidate={"dossier_number": f"27BK{n:04d}", "last_name": f"Nom{n}",
                               "first_name": "Bench", "email": f"bench{n}@example.org"},
                    decisions=[Decision(code="FA", entered_by="bench", entered_at=now)]))
            session.add_all(rows)
            session.commit()
            ids = [a.id for a in rows]
    finally:
        engine.dispose()
    return ids[:count], ids[count:]


@contextmanager
def running_applications(amqp_uri):
    """The applications service in a process of its own, on the bench's databases."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_PREFIX": DATABASE_PREFIX,
           "AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore::Warning"}
    for name in [n for n in env if n.endswith("_DATABASE_URL")]:
        del env[name]  # DATABASE_PREFIX decides: never the real databases
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / "bench-applications.log"
    process = subprocess.Popen([sys.executable, "-m", "services.common.serve", "applications"],
                               cwd=ROOT, env=env, stdout=open(log, "wb"),
                               stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_services(env, ["applications"], timeout=90)
        except subprocess.CalledProcessError:
            raise RuntimeError(f"applications never answered ping:\n{tail(log)}") from None
        yield
    finally:
        stop_all([process])


def measure(amqp_uri, count):
    """{bulk_s, single_s, count, answer counts}: one bulk call, then count single calls."""
    os.environ["DATABASE_PREFIX"] = DATABASE_PREFIX
    bulk_ids, single_ids = seed(count)
    with running_applications(amqp_uri):
        with ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"}, timeout=600) as rpc:
            applications = ActingProxy(rpc.applications, "applications")
            applications.list_applications(ADMIN, {}, per_page=1)  # warm: connection, pool
            began, requests, done, refused, ids = time.perf_counter(), 0, 0, 0, bulk_ids
            while ids:  # as the result page's "Continuer" does past the time budget
                answer = applications.bulk_apply(ADMIN, "validate_decision", {}, ids)
                requests, ids = requests + 1, answer["remaining"]
                done, refused = done + len(answer["done"]), refused + len(answer["refused"])
            bulk_s = time.perf_counter() - began
            began = time.perf_counter()
            for application_id in single_ids:
                applications.validate_decision(ADMIN, application_id)
            single_s = time.perf_counter() - began
    return {"count": count, "bulk_s": bulk_s, "single_s": single_s, "requests": requests,
            "done": done, "refused": refused}


def report(result):
    n = result["count"]
    print(f"\n(d) Bulk validation of {n} decisions over RPC (applications service, "
          f"{FORMATIONS} formations)")
    print(f"  bulk_apply(validate_decision) x{n}: {result['bulk_s']:7.2f} s"
          f"  ({1000 * result['bulk_s'] / n:6.2f} ms per application;"
          f" done {result['done']}, refused {result['refused']};"
          f" {result['requests']} request(s) of at most {TIME_BUDGET_SECONDS:.0f} s)")
    print(f"  validate_decision, {n} calls      : {result['single_s']:7.2f} s"
          f"  ({1000 * result['single_s'] / n:6.2f} ms per application)")
    ratio = result["single_s"] / result["bulk_s"] if result["bulk_s"] else float("nan")
    print(f"  one call per application / bulk   = {ratio:6.2f}")
    return 1 if result["done"] != n else 0


def main(argv=None):
    from .stack import running_gateway
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500, help="applications (500)")
    args = parser.parse_args(argv)
    os.environ["APP_ENV"] = "development"
    with running_gateway(workers=1, threads=2) as stack:  # the catalog, for the dates
        result = measure(stack["amqp_uri"], args.count)
    return report(result)


if __name__ == "__main__":
    sys.exit(main())
