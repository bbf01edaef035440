"""RPCs per page of the deadline day's pages, without and with the read caches.

    python -m bench.rpc_per_page [--visits 5]

Starts the whole platform (as the load test does: bench.deadline_day's
`running_stack`, databases and vhost `ecandidat_rpcpages`), loads a small
campaign (bench.generate), then opens each page `--visits` times as one
candidate and one staff member, through a gateway app in this process: first
on a platform started with READ_CACHE=0 (gateway and services keep nothing),
then on one started with the caches. Every RPC request on the broker is
counted (a queue of its own bound to nameko's RPC exchange sees the gateway's
calls and the services' calls to one another alike); a page's figure is the
mean of its visits after the first (the first fills the caches), then the first.
"""
import argparse
import html
import os
import re
import time
from collections import Counter

import pika

from .deadline_day import load_data, running_stack, say

PREFIX = "ecandidat_rpcpages"
PASSWORD = "Bench-2027-pass!"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class RpcTap:
    """Every RPC request published on the vhost ("<service>.<method>"), counted."""

    def __init__(self, uri):
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        self.channel = self.connection.channel()
        self.queue = self.channel.queue_declare("", exclusive=True, auto_delete=True,
                                                arguments={"x-queue-type": "classic"}
                                                ).method.queue
        self.channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
        self.channel.queue_bind(self.queue, "nameko-rpc", routing_key="*.*")

    def take(self):
        """The requests published since the last take, by method."""
        seen = Counter()
        while True:
            method, _, _ = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return seen
            seen[method.routing_key] += 1

    def close(self):
        self.connection.close()


def gateway(env, read_cache):
    os.environ.update({k: v for k, v in env.items() if isinstance(v, str)})
    from gateway import create_app
    app = create_app({"TESTING": False})
    return app


def logged_in(app, page_path, path, form):
    client = app.test_client()
    page = client.get(page_path).get_data(as_text=True)
    token = CSRF.search(page).group(1)
    answer = client.post(path, data={**form, "csrf_token": token})
    assert answer.status_code in (302, 303), (path, answer.status_code)
    return client


def pages(client, staff):
    listing = client.get("/candidatures").get_data(as_text=True)
    application = re.search(r'href="/candidatures/(\d+)"', listing).group(1)
    offer = html.unescape(client.get("/offre").get_data(as_text=True))
    formation = re.search(r'href="/offre/([A-Z0-9_-]+)"', offer).group(1)
    return [
        ("candidate: Candidatures", client, "/candidatures"),
        ("candidate: an application", client, f"/candidatures/{application}"),
        ("candidate: the dossier", client, "/dossier"),
        ("candidate: a dossier section", client, "/dossier/personal"),
        ("candidate: the offer, filtered", client, "/offre?filtre=informatique"),
        ("candidate: a formation", client, f"/offre/{formation}"),
        ("staff: the list", staff, "/gestion/?status=RE"),
    ]


def measure(app, visits, tap):
    client = logged_in(app, "/", "/connexion", {"login": "c000001@bench.example.org",
                                           "password": PASSWORD})
    staff = logged_in(app, "/gestion/connexion", "/gestion/connexion", {"login": "bench.c00", "password": PASSWORD})
    figures = {}
    for label, who, path in pages(client, staff):
        tap.take()
        counts = []
        for _ in range(visits):
            answer = who.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            if "filtre" in path:  # a filter that finds formations: their statuses are asked
                assert 'href="/offre/' in answer.get_data(as_text=True), path
            counts.append(tap.take())
        later = counts[1:] or counts
        figures[label] = {"first": sum(counts[0].values()),
                          "then": sum(sum(c.values()) for c in later) / len(later),
                          "methods": sum(later, Counter())}
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.rpc_per_page", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("APP_ENV", "development")
    prefix = os.environ.get("RPC_PAGES_PREFIX", PREFIX)
    var = __import__("pathlib").Path("var") / "rpc_per_page"
    var.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, cached in (("without", False), ("with", True)):
        # the services read READ_CACHE too (applications' copy of catalog answers)
        os.environ["READ_CACHE"] = "1" if cached else "0"
        with running_stack(prefix, var, gateway_workers=1) as stack:
            load_data(stack, 42, 20, 60, 8, 2, log=lambda m: None)
            env = stack.environment()
            # sessions checked with accounts on every page (SESSION_CHECK_SECONDS apart)
            env["SESSION_CHECK_SECONDS"] = "0"
            tap = RpcTap(env["AMQP_URI"])
            try:
                app = gateway(env, cached)
                if cached:  # its listener binds its queue on the first cached call
                    app.extensions["remote"].listening()
                    deadline = time.monotonic() + 30
                    while not app.extensions["remote"].cache.online and \
                            time.monotonic() < deadline:
                        time.sleep(0.05)
                results[name] = measure(app, args.visits, tap)
                if cached:
                    app.extensions["remote"].close()
                app.extensions["rpc_pool"].close()
            finally:
                tap.close()
    say(f"RPCs per page (mean of visits 2..{args.visits}; first visit in brackets), "
        "session checked on each page")
    say(f"  {'page':32} {'without':>12} {'with caches':>12}")
    total = {"without": 0.0, "with": 0.0}
    for label in results["without"]:
        row = [results[n][label] for n in ("without", "with")]
        say(f"  {label:32} {row[0]['then']:8.1f} ({row[0]['first']}) "
            f"{row[1]['then']:8.1f} ({row[1]['first']})")
        total["without"] += row[0]["then"]
        total["with"] += row[1]["then"]
    say(f"  {'all seven pages':32} {total['without']:8.1f}     {total['with']:8.1f}")
    say("\nRequests by method, with caches (visits 2..):")
    for label, figure in results["with"].items():
        say(f"  {label}: " + ", ".join(f"{m} {n}" for m, n in sorted(figure['methods'].items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
