"""Sizing by measurement: the page with one RPC against the page without, for
gateway RPC_POOL_SIZE, RPC_CONCURRENCY and the catalog's MAX_WORKERS, one
setting changed at a time from the defaults; each row is one run of the
platform (catalog + gateway), its two pages in alternating turns.

    .venv/bin/python -m bench.sweep [--seconds 4] [--clients 8]
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # notice, via nameko

import argparse
import os
import secrets
import sys

from .http_load import load, load_in_turns
from .stack import running_gateway

DEFAULTS = {"RPC_POOL_SIZE": "8", "RPC_CONCURRENCY": "4", "MAX_WORKERS": "10"}
VARIANTS = [{}, {"RPC_POOL_SIZE": "4"}, {"RPC_POOL_SIZE": "16"},
            {"RPC_CONCURRENCY": "2"}, {"RPC_CONCURRENCY": "6"}, {"RPC_CONCURRENCY": "8"},
            {"MAX_WORKERS": "5"}, {"MAX_WORKERS": "20"}, {}]


def measure(settings, seconds, clients):
    os.environ.update({**DEFAULTS, **settings})
    with running_gateway() as stack:
        port = stack["port"]
        load(port, "/healthz/rpc", threads=clients, seconds=1.0, warmup=0.0)
        pages = load_in_turns(port, ["/healthz", "/healthz/rpc"], threads=clients,
                              seconds=seconds, cpu=stack["cpu"])
    return pages["/healthz"], pages["/healthz/rpc"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="per page and run (4)")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    os.environ["APP_ENV"] = "development"
    os.environ.setdefault("ACTOR_SIGNING_KEY", secrets.token_hex(32))
    print(f"{'RPC_POOL_SIZE':>13} {'RPC_CONCURRENCY':>15} {'MAX_WORKERS':>11} "
          f"{'no RPC req/s':>12} {'one RPC req/s':>13} {'ratio':>6} {'p99 ms':>7} {'errors':>6}"
          f" {'CPU ms/page: gateway':>20} {'catalog':>7}",
          flush=True)
    for variant in VARIANTS:
        settings = {**DEFAULTS, **variant}
        plain, with_rpc = measure(variant, args.seconds, args.clients)
        ratio = with_rpc["per_second"] / plain["per_second"] if plain["per_second"] else 0
        print(f"{settings['RPC_POOL_SIZE']:>13} {settings['RPC_CONCURRENCY']:>15} "
              f"{settings['MAX_WORKERS']:>11} {plain['per_second']:12.0f} "
              f"{with_rpc['per_second']:13.0f} {ratio:6.2f} {with_rpc['p99_ms']:7.1f} "
              f"{plain['errors'] + with_rpc['errors']:6d} "
              f"{with_rpc['cpu_ms'].get('gateway', 0):20.2f} "
              f"{with_rpc['cpu_ms'].get('catalog', 0):7.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
