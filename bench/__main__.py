"""make bench: gateway pages with and without an RPC, and nameko RPC against a
raw pika request/reply on the same broker, each pair measured in this one run.

    .venv/bin/python -m bench [--quick]
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # notice, via nameko

import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from .amqp_roundtrip import roundtrips  # noqa: E402
from .catalog_tree import FORMATIONS, fill, page_render, plain_tree, rpc_tree  # noqa: E402
from .http_load import load, load_in_turns  # noqa: E402
from . import mails as mail_bench  # noqa: E402
from .stack import DATABASE_PREFIX, running_gateway  # noqa: E402


def row(name, result, unit="req/s"):
    return (f"  {name:30} {result['per_second']:8.0f} {unit:6}  p50 {result['p50_ms']:7.2f} ms"
            f"  p99 {result['p99_ms']:7.2f} ms  n={result['count']}")


def ratio(a, b):
    return a / b if b else float("nan")


def interrupted(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops like Ctrl-C: the finally blocks stop what we started


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short run (about 30 s)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (8)")
    args = parser.parse_args(argv)
    seconds, calls = (2.0, 300) if args.quick else (8.0, 2000)
    # a workstation's run (no production secrets); every process shares one actor key
    os.environ["APP_ENV"] = "development"
    os.environ.setdefault("ACTOR_SIGNING_KEY", secrets.token_hex(32))
    signal.signal(signal.SIGTERM, interrupted)

    print(f"bench: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
          f"{' (quick)' if args.quick else ''}; starting catalog + gateway...", flush=True)
    try:
        with running_gateway() as stack:
            print(f"  vhost {stack['vhost']!r}, database {DATABASE_PREFIX}_catalog, "
                  f"gateway on 127.0.0.1:{stack['port']}", flush=True)
            port = stack["port"]
            # warm both paths (gunicorn threads, RPC pool clients and their reply queues)
            load(port, "/healthz/rpc", threads=args.clients, seconds=1.0, warmup=0.0)
            load(port, "/healthz", threads=args.clients, seconds=0.5, warmup=0.0)
            pages = load_in_turns(port, ["/healthz", "/healthz/rpc"], threads=args.clients,
                                  seconds=seconds, cpu=stack["cpu"])
            plain, with_rpc = pages["/healthz"], pages["/healthz/rpc"]
            config = {"AMQP_URI": stack["amqp_uri"], "serializer": "json"}
            trips = roundtrips(config, calls)
            ours, nameko, raw = (trips[name] for name in (
                "RPC (gateway RpcPool)", "RPC (nameko's own proxy)", "raw pika request/reply"))
            os.environ["DATABASE_PREFIX"] = DATABASE_PREFIX  # the bench's own catalogue
            fill()
            tree_calls = 10 if args.quick else 50
            tree_plain = plain_tree(tree_calls)
            tree_rpc = rpc_tree(config, tree_calls)
            filtered_plain = plain_tree(tree_calls, "informatique")
            filtered_rpc = rpc_tree(config, tree_calls, "informatique")
            render_whole = page_render(tree_calls)
            render_filtered = page_render(tree_calls, "informatique")
        mail_results = mail_bench.measure(args.quick)
    except KeyboardInterrupt:
        print("\ninterrupted: everything the bench started is stopped", file=sys.stderr)
        return 130

    print(f"\n(a) Gateway, gunicorn gthread {stack['workers']} workers x {stack['threads']} threads,"
          f" {args.clients} keep-alive clients, {seconds:.0f} s per page in 4 alternating turns")
    print(row("GET /healthz      (no RPC)", plain))
    print(row("GET /healthz/rpc  (one RPC)", with_rpc))
    print(f"  page with one RPC / page without: {ratio(with_rpc['per_second'], plain['per_second']):.2f}"
          "   (requests/s; target >= 0.5)")
    print(f"  p50         one-RPC / no-RPC   = {ratio(with_rpc['p50_ms'], plain['p50_ms']):6.2f}")
    print(f"  p99         one-RPC / no-RPC   = {ratio(with_rpc['p99_ms'], plain['p99_ms']):6.2f}")
    print("  CPU per request, ms (no-RPC / one-RPC): " + ", ".join(
        f"{name} {plain['cpu_ms'].get(name, 0):.2f} / {with_rpc['cpu_ms'].get(name, 0):.2f}"
        for name in with_rpc["cpu_ms"]))
    errors = plain["errors"] + with_rpc["errors"]
    print(f"  errors: {errors}" + (f" (first: {plain['first_error'] or with_rpc['first_error']})"
                                   if errors else ""))

    print(f"\n(b) AMQP request/reply (catalog.ping), {calls} sequential calls each after 100 warm-up,"
          " same broker, in 10 alternating turns")
    print(row("RPC (gateway's RpcPool)", ours, "call/s"))
    print(row("RPC (nameko's own proxy)", nameko, "call/s"))
    print(row("raw pika request/reply", raw, "call/s"))
    print(f"  RPC / raw AMQP: {ratio(raw['per_second'], ours['per_second']):.1f}"
          "   (time per call; target <= 2)")
    print(f"  p50         RPC / pika         = {ratio(ours['p50_ms'], raw['p50_ms']):6.2f}")
    print(f"  p99         RPC / pika         = {ratio(ours['p99_ms'], raw['p99_ms']):6.2f}")
    print(f"  nameko's own proxy / raw AMQP  = {ratio(raw['per_second'], nameko['per_second']):6.2f}")
    print(f"\n(c) The candidate's catalogue tree: {FORMATIONS} formations in 20 centres, "
          f"{tree_calls} calls each after warm-up")
    print(row("offer_tree(), plain function", tree_plain, "call/s"))
    print(row("get_offer() over RPC", tree_rpc, "call/s"))
    print(row("offer_tree('informatique')", filtered_plain, "call/s"))
    print(row("get_offer('informatique') RPC", filtered_rpc, "call/s"))
    print(row("offer page render (whole)", render_whole, "page/s"))
    print(row("offer page render (filtered)", render_filtered, "page/s"))
    print(f"  formations shown: whole {tree_rpc['formations']}, filtered {filtered_rpc['formations']};"
          f" page {render_whole['kilobytes']:.0f} KB whole, {render_filtered['kilobytes']:.0f} KB filtered")
    whole_page = tree_rpc["p50_ms"] + render_whole["p50_ms"]
    filtered_page = filtered_rpc["p50_ms"] + render_filtered["p50_ms"]
    print(f"  p50 of the page's two parts, RPC + render: whole {whole_page:.1f} ms,"
          f" filtered {filtered_page:.1f} ms")
    print(f"  p50         render / RPC (whole) = {ratio(render_whole['p50_ms'], tree_rpc['p50_ms']):6.2f}")
    print(f"  p50         RPC / plain (whole) = {ratio(tree_rpc['p50_ms'], tree_plain['p50_ms']):6.2f}")
    print(f"  p50         whole / filtered RPC = {ratio(tree_rpc['p50_ms'], filtered_rpc['p50_ms']):6.2f}")
    print()
    print(mail_bench.report(mail_results))
    mail_duplicates = sum(mail_results[k]["duplicates"] for k in mail_results)
    print("\nCompare ratios within one run; absolute figures move with the machine's load.")
    return 1 if errors or mail_duplicates else 0


if __name__ == "__main__":
    sys.exit(main())
