"""The staff list of a centre before and after its pagination, measured in one
run on the generated campaign (bench/generate.py):

    DATABASE_PREFIX=ecandidat_mybench python -m bench.staff_list [--repeat 15]

Before: the former list_applications (every matching application loaded
whole, each summary decoded from its snapshots) and the former page (every
row). After: list_applications as it is (one page of light rows read in SQL)
and the page as it is (50 rows, pager). For each:
- the RPC: what the applications worker does for one request (the reads and
  the answer's JSON) and what the gateway decodes of it; no broker, so the
  figures are the work of both ends;
- the page: the gateway's time to serve GET /gestion/ (Flask test client, the
  answer of the RPC decoded from its JSON as it arrives), the RPC itself not
  counted.
The applications database must be at its current migration (python -m
bench.explain migrates it).
"""
import argparse
import json
import os
import secrets
import statistics
import sys
import time

from flask import render_template_string, request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gateway import create_app, security
from services.applications import queries, schemas
from services.applications.models import Application
from services.common.config import env
from services.common.db import make_engine

CENTRE = "C00"
STAFF = {"kind": "staff", "id": 1, "login": "bench.c00", "display_name": "Bench C00",
         "role": "manager", "centres": [CENTRE], "commissions": [], "presides": []}

# The list page as it was: every application in one table.
FORMER_PAGE = """{% extends "staff/base.html" %}
{% block content %}
<h1>{{ _("Candidatures") }}</h1>
<form method="get">
  <label>{{ _("Centre de candidature") }}
    <select name="centre"><option value="">{{ _("Tous mes centres") }}</option>
    {% for c in centres %}<option value="{{ c.code }}"{% if filters.centre == c.code %} selected{% endif %}>{{ c.label }}</option>{% endfor %}</select></label>
  <button type="submit">{{ _("Filtre") }}</button>
</form>
<p>{{ _("%(n)s candidature(s)", n=applications|length) }}</p>
<table id="applications">
  {% for a in applications %}
  <tr>
    <td>{{ a.candidate.dossier_number }}</td>
    <td>{{ a.candidate.last_name }} {{ a.candidate.first_name }}<br><a href="mailto:{{ a.candidate.email }}">{{ a.candidate.email }}</a></td>
    <td>{{ a.formation.label }} <span class="help">({{ a.formation.code }})</span></td>
    <td>{% if a.cancelled %}<span class="badge">—</span>{% else %}<span class="badge {{ a.status }}">{{ label("status." ~ a.status) }}</span>{% endif %}</td>
    <td>{{ a.transmitted_at|datetime }}</td>
    <td>{% if a.decision %}{{ label("decision." ~ a.decision.code) }}{% endif %}</td>
    <td><a href="{{ url_for('staff.application', application_id=a.id) }}">{{ _("Ouvrir") }}</a></td>
  </tr>
  {% endfor %}
</table>
{% endblock %}"""


def former_list(session, filters):
    """list_applications as it was: every matching application, whole."""
    query = select(Application).options(selectinload(Application.decisions)).where(
        Application.centre_code == filters["centre"], Application.cancelled_at.is_(None))
    if filters.get("status"):
        query = query.where(Application.status == filters["status"])
    return [schemas.summary(a, staff=True)
            for a in session.scalars(query.order_by(Application.id))]


def paged_list(session, filters):
    """list_applications as it is: the first page, by the latest transmission."""
    total, page, rows = queries.staff_list(session, STAFF, filters, 1, 50, None)
    return {"items": [schemas.staff_list_item(row) for row in rows], "total": total,
            "page": page, "per_page": 50}


def rpc_times(engine, read, filters, repeat):
    """ms per request (the worker's reads and JSON, the caller's decoding), bytes sent."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        with Session(engine) as session:
            body = json.dumps(read(session, filters))
        json.loads(body)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), len(body)


class Remote:
    """What the gateway's pages ask of the services: a staff session, the
    centres, and list_applications answering the JSON given (decoded per call)."""

    def __init__(self):
        self.answer = "{}"
        outer = self

        class Accounts:
            def check_session(self, actor, session_id):
                return {"actor": STAFF}

        class Catalog:
            def list_centres(self, actor):
                return [{"code": CENTRE, "label": "Centre C00"}]

            def catalogue_rights(self, actor):
                return {}

        class Applications:
            def list_applications(self, actor, filters=None, **paging):
                return json.loads(outer.answer)

        self.accounts, self.catalog, self.applications = Accounts(), Catalog(), Applications()


def gateway():
    os.environ.setdefault("ACTOR_SIGNING_KEY", secrets.token_hex(32))  # nothing is signed here
    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "APP_ENV": "development"})
    remote = app.extensions["remote"] = Remote()

    @security.staff_required
    def former_page():
        filters = {k: request.args[k] for k in ("centre", "status") if request.args.get(k)}
        return render_template_string(
            FORMER_PAGE, applications=remote.applications.list_applications(STAFF, filters),
            filters=filters, centres=remote.catalog.list_centres(STAFF))

    app.add_url_rule("/bench/former-list", "bench_former_list", former_page)
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "bench"
    return client, remote


def page_time(client, remote, path, answer, repeat):
    remote.answer = answer
    assert client.get(path).status_code == 200  # warm: templates compiled
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        reply = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        assert reply.status_code == 200
    return statistics.median(times), len(reply.data)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.staff_list", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="requests per figure (median)")
    args = parser.parse_args(argv)
    if env("DATABASE_PREFIX", "ecandidat") == "ecandidat":
        raise SystemExit("set DATABASE_PREFIX to the databases of a generated campaign")
    engine = make_engine("applications")
    client, remote = gateway()
    print(f"staff list of centre {CENTRE}, median of {args.repeat} requests "
          f"(before / after = how many times faster)")
    print(f"  {'list':28} {'rows':>5} | {'RPC before':>10} {'after':>7} {'ratio':>6} "
          f"{'KB before':>9} {'after':>6} | {'page before':>11} {'after':>7} {'ratio':>6} "
          f"{'KB before':>9} {'after':>6}")
    for name, filters in (("centre and status RE", {"centre": CENTRE, "status": "RE"}),
                          ("centre (staff landing page)", {"centre": CENTRE})):
        for read in (former_list, paged_list):  # warm both (statements, caches)
            rpc_times(engine, read, filters, 2)
        rpc_before, sent_before = rpc_times(engine, former_list, filters, args.repeat)
        rpc_after, sent_after = rpc_times(engine, paged_list, filters, args.repeat)
        with Session(engine) as session:
            before_answer = json.dumps(former_list(session, filters))
            after_answer = json.dumps(paged_list(session, filters))
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        page_before, html_before = page_time(client, remote, f"/bench/former-list?{query}",
                                             before_answer, args.repeat)
        page_after, html_after = page_time(client, remote, f"/gestion/?{query}", after_answer,
                                           args.repeat)
        rows = json.loads(after_answer)["total"]
        print(f"  {name:28} {rows:5d} | {rpc_before:8.1f}ms {rpc_after:5.1f}ms "
              f"{rpc_before / rpc_after:5.1f}x {sent_before / 1024:9.0f} {sent_after / 1024:6.0f}"
              f" | {page_before:9.1f}ms {page_after:5.1f}ms {page_before / page_after:5.1f}x "
              f"{html_before / 1024:9.0f} {html_after / 1024:6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
