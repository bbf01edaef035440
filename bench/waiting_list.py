"""A withdrawal in a formation whose waiting list is long, measured in one run:

    DATABASE_PREFIX=ecandidat_mybench python -m bench.waiting_list [--sizes 10,100,1000]

For each size n: a formation with one admitted candidate and n candidates on
its waiting list (validated LC, written straight into the applications
database, migrated first). Times, median of --repeat runs, each rolled back:
- withdraw: the withdrawal alone (the formation without automatic promotion);
- promote: the withdrawal with its promotion (the waiting list read under the
  formation's lock, the first promoted, the n ranks recomputed and stored);
- recompute: the ranks of the list computed again when nothing changed.
Prints milliseconds and the ratio promote / withdraw.
"""
import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete
from sqlalchemy.orm import Session

from services.applications import operations, queries
from services.applications.models import Application, Base, Decision
from services.common.db import UnitOfWork, make_engine
from services.common.migrations import upgrade

NOW = datetime(2027, 6, 20, 8, 0, tzinfo=timezone.utc)
SYSTEM = {"kind": "system"}


def formation(code, auto_promotion):
    return {"code": code, "label": code, "treatment_type": "AC", "auto_promotion": auto_promotion,
            "dates": {"date_confirm": "2027-07-15"}, "centre": {"code": "B00"},
            "commission": {"code": "B00-C"}, "campaign": {"code": "BENCH"}}


def build(session, code, size, auto_promotion):
    """One admitted application and `size` on the waiting list -> the admitted one's id."""
    session.execute(delete(Application).where(Application.formation_code == code))
    snapshot = formation(code, auto_promotion)

    def application(candidate_id, decision, rank=None, minutes=0):
        at = NOW - timedelta(days=5, minutes=minutes)
        row = Application(candidate_id=candidate_id, formation_code=code, centre_code="B00",
                          campaign_code="BENCH", formation=snapshot, candidate={},
                          status="CO", created_at=at, treatment_type="AC")
        row.decisions.append(Decision(code=decision, rank=rank, entered_by="bench",
                                      entered_at=at, validated_by="bench", validated_at=at))
        session.add(row)
        return row
    admitted = application(1, "FA")
    for index in range(size):
        application(1000 + index, "LC", rank=1 + index % 50, minutes=index)
    session.flush()
    unit = UnitOfWork(session, Base.metadata)
    operations.recompute_ranks(unit, code, "BENCH")
    session.commit()
    return admitted.id


def timed(engine, action, repeat):
    """Median ms of `action(unit)`, each run in a transaction rolled back."""
    times = []
    for _ in range(repeat):
        session = Session(engine, expire_on_commit=False)
        unit = UnitOfWork(session, Base.metadata)
        start = time.perf_counter()
        action(unit)
        session.flush()
        times.append((time.perf_counter() - start) * 1000)
        session.rollback()
        session.close()
    return statistics.median(times)


def withdraw(application_id):
    def action(unit):
        key = queries.formation_key(unit.session, application_id)
        queries.lock_formation(unit.session, *key)
        application = queries.application_for_update(unit.session, application_id)
        operations.withdraw(unit, SYSTEM, application, now=NOW)
    return action


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.waiting_list", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args(argv)
    upgrade("applications")
    engine = make_engine("applications")
    print(f"{'list':>6} {'withdraw ms':>12} {'promote ms':>11} {'recompute ms':>13} {'ratio':>6}")
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            with Session(engine) as session:
                plain = build(session, "BENCH-PLAIN", size, auto_promotion=False)
                promoting = build(session, "BENCH-PROMO", size, auto_promotion=True)
            alone = timed(engine, withdraw(plain), args.repeat)
            promoted = timed(engine, withdraw(promoting), args.repeat)
            again = timed(engine, lambda unit: operations.recompute_ranks(
                unit, "BENCH-PROMO", "BENCH"), args.repeat)
            print(f"{size:>6} {alone:>12.2f} {promoted:>11.2f} {again:>13.2f} "
                  f"{promoted / alone:>6.1f}")
    finally:
        with Session(engine) as session:
            session.execute(delete(Application).where(Application.campaign_code == "BENCH"))
            session.commit()
        engine.dispose()


if __name__ == "__main__":
    main()
