"""A large demo campaign for the staff portal (`make run DEMO_SIZE=large`):
the load test's generated campaign (bench/generate.py: 20,000 candidates,
75,000 applications in 300 formations of 10 centres by default), loaded once
into the running stack's databases, after the small demo's seed.

    DATABASE_PREFIX=ecandidat_large python -m bench.large_demo [--seed 42 --candidates ...]

Its campaign replaces the small demo's catalogue (staff users stay: admin,
scol... with the demo password); bench.scol (every centre) and bench.cNN
(centre CNN) log in with bench.generate.PASSWORD. A second run finds the
campaign loaded and changes nothing (--force loads it again).
"""
import argparse
import sys

from sqlalchemy import text

from services.common.db import make_engine

from .generate import CAMPAIGN_CODE, PASSWORD, STAFF_SCOL, add_campaign_arguments, generate, say


def loaded():
    """Whether the catalog already holds the generated campaign."""
    engine = make_engine("catalog")
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(text("SELECT count(*) FROM campaigns WHERE code = :c"),
                                    {"c": CAMPAIGN_CODE}))
    finally:
        engine.dispose()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.large_demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_campaign_arguments(parser)
    parser.add_argument("--force", action="store_true", help="load it again")
    args = parser.parse_args(argv)
    if loaded() and not args.force:
        say(f"large demo campaign {CAMPAIGN_CODE} already loaded")
    else:
        say(f"loading the large demo campaign: {args.candidates} candidates, "
            f"{args.applications} applications, {args.formations} formations in "
            f"{args.centres} centres (a few minutes)")
        generate(args.seed, args.candidates, args.applications, args.formations, args.centres)
    say(f"  staff: {STAFF_SCOL} (every centre), bench.c00 ... (one centre), "
        f"password {PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
