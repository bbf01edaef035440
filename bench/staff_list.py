"""The staff list of a centre before and after its pagination, measured in one
run on the generated campaign (bench/generate.py):

    DATABASE_PREFIX=ecandidat_mybench python -m bench.staff_list [--repeat 15]

The bench centre (C00) is brought to CENTRE_SIZE (5,000) active applications
first if it has fewer (copies of its own, by new candidates, with every
column of the list varied: statuses, treatment types, decisions, answers,
dates). Then, besides the before/after table below:
- the portal's views (a filter, a sort on any column, a page of 50): p50 and
  p95 of the RPC's work (PostgreSQL, rows, JSON) per view;
- the exports of the whole centre (CSV and XLSX through the gateway's
  routes, list_applications answering from the database in chunks of 200):
  time and peak Python memory (tracemalloc), against the rows exported.

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
import tracemalloc

from flask import render_template_string, request
from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from gateway import create_app, security
from services.applications import queries, schemas
from services.applications.models import Application
from services.common.config import env
from services.common.db import make_engine
from services.common.migrations import upgrade

CENTRE = "C00"
CENTRE_SIZE = 5000
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
        self.engine = None
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
            def list_applications(self, actor, filters=None, page=1, per_page=50, sort=None):
                if outer.engine is not None:  # the real reads, as the service answers
                    with Session(outer.engine) as session:
                        return json.loads(json.dumps(service_list(
                            session, filters or {}, page, per_page, sort)))
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


def service_list(session, filters, page=1, per_page=50, sort=None):
    """list_applications' work as the service does it (filters checked, the page read)."""
    filters = schemas.list_filters(filters)
    page, per_page, sort = schemas.list_page(page, per_page, sort)
    total, page, rows = queries.staff_list(session, STAFF, filters, page, per_page, sort)
    return {"items": [schemas.staff_list_item(row) for row in rows], "total": total,
            "page": page, "per_page": per_page}


# Copies of the centre's applications by new candidates, every list column
# varied (a deterministic spread, so that two runs measure the same data).
GROW = """
INSERT INTO applications (candidate_id, formation_code, centre_code, campaign_code, formation,
    candidate, status, created_at, transmitted_at, confirmed_at, withdrawn_at)
SELECT :first + n, a.formation_code, a.centre_code, a.campaign_code,
    a.formation || jsonb_build_object('treatment_type', (ARRAY['AC', 'AD', 'AT'])[1 + n % 3]),
    a.candidate || jsonb_build_object('dossier_number', 'G' || lpad((:first + n)::text, 7, '0'),
                                      'email', 'g' || (:first + n) || '@bench.example.org'),
    (ARRAY['AT', 'RE', 'IN', 'CO'])[1 + n % 4],
    a.created_at - (n % 40) * interval '1 day',
    CASE WHEN n % 4 <> 0 THEN a.created_at - (n % 30) * interval '1 day' END,
    CASE WHEN n % 17 = 0 THEN a.created_at END,
    CASE WHEN n % 23 = 0 THEN a.created_at END
FROM generate_series(1, :missing) AS n
JOIN LATERAL (SELECT * FROM applications WHERE centre_code = :centre
              AND cancelled_at IS NULL ORDER BY id OFFSET (n % :existing) LIMIT 1) a ON true
"""
DECIDE = """
INSERT INTO decisions (application_id, code, rank, entered_by, entered_at, validated_by,
                       validated_at)
SELECT id, (ARRAY['FA', 'DE', 'LC', 'LA', 'PR'])[1 + id % 5], CASE WHEN id % 5 = 2 THEN id % 97 END,
       'bench', now(), CASE WHEN id % 3 <> 0 THEN 'bench' END,
       CASE WHEN id % 3 <> 0 THEN now() - (id % 20) * interval '1 day' END
FROM applications WHERE candidate_id >= :first AND status = 'CO'
"""


def grow_centre(engine, size=CENTRE_SIZE):
    """The bench centre brought to `size` active applications; -> its count."""
    with engine.begin() as conn:
        count = conn.scalar(text("SELECT count(*) FROM applications WHERE centre_code = :c "
                                 "AND cancelled_at IS NULL"), {"c": CENTRE})
        if count == 0:
            raise SystemExit(f"no application in centre {CENTRE}: run python -m bench.generate first")
        if count < size:
            first = conn.scalar(text("SELECT coalesce(max(candidate_id), 0) + 1000000 "
                                     "FROM applications"))
            conn.execute(text(GROW), {"first": first, "missing": size - count, "centre": CENTRE,
                                      "existing": count})
            conn.execute(text(DECIDE), {"first": first})
            conn.execute(text("ANALYZE applications; ANALYZE decisions"))
            count = size
    return count


# The portal's views measured: (name, filters, sort, page)
VIEWS = (
    ("landing: centre, latest first", {"centre": CENTRE}, None, 1),
    ("status RE by candidate", {"centre": CENTRE, "status": "RE"}, "candidate", 1),
    ("page 40 by dossier number", {"centre": CENTRE}, "number", 40),
    ("treatment AD by decision", {"centre": CENTRE, "treatment_type": "AD"}, "-decision", 1),
    ("not validated by created", {"centre": CENTRE, "validated": "no"}, "-created", 1),
    ("confirmed by decided", {"centre": CENTRE, "answer": "confirmed"}, "decided", 1),
    ("decided in March by rank", {"centre": CENTRE, "decided_from": "2000-01-01",
                                  "decided_to": "2100-01-01"}, "rank", 1),
    ("name search by formation", {"centre": CENTRE, "name": "mar"}, "formation", 1),
    ("mail search by mail", {"centre": CENTRE, "email": "g1"}, "-email", 1),
    ("every column: by withdrawn", {"centre": CENTRE}, "-withdrawn", 1),
)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def view_times(engine, repeat):
    print(f"\nportal views of centre {CENTRE} (filter + sort + page of 50), "
          f"{repeat} requests each: the service's work (SQL, rows, JSON)")
    print(f"  {'view':34} {'matching':>8} {'p50':>8} {'p95':>8}")
    every = []
    for name, filters, sort, page in VIEWS:
        times = []
        for attempt in range(repeat + 2):
            began = time.perf_counter()
            with Session(engine) as session:
                answer = json.dumps(service_list(session, filters, page, 50, sort))
            if attempt >= 2:  # two to warm up
                times.append((time.perf_counter() - began) * 1000)
        every += times
        total = json.loads(answer)["total"]
        print(f"  {name:34} {total:8d} {percentile(times, .5):6.1f}ms "
              f"{percentile(times, .95):6.1f}ms")
    print(f"  {'all views':34} {'':8} {percentile(every, .5):6.1f}ms "
          f"{percentile(every, .95):6.1f}ms")


def export_figures(engine, client, remote):
    remote.engine = engine
    print(f"\nexports of centre {CENTRE} (gateway route, rows read from the database in "
          f"chunks of 200): time (untraced), peak Python memory (under tracemalloc)")
    for kind in ("csv", "xlsx"):
        path = f"/gestion/candidatures.{kind}?centre={CENTRE}&sort=candidate"
        began = time.perf_counter()
        body = b"".join(client.get(path).response)
        seconds = time.perf_counter() - began
        rows = body.count(b"\n") - 1 if kind == "csv" else None
        tracemalloc.start()
        for _ in client.get(path).response:
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {kind:5} {seconds:6.2f} s  peak {peak / 2 ** 20:6.1f} MB  "
              f"file {len(body) / 2 ** 20:5.2f} MB" + (f"  {rows} rows" if rows else ""))
    remote.engine = None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.staff_list", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="requests per figure (median)")
    args = parser.parse_args(argv)
    if env("DATABASE_PREFIX", "ecandidat") == "ecandidat":
        raise SystemExit("set DATABASE_PREFIX to the databases of a generated campaign")
    upgrade("applications")
    engine = make_engine("applications")
    size = grow_centre(engine)
    print(f"centre {CENTRE}: {size} active applications")
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
    view_times(engine, args.repeat)
    export_figures(engine, client, remote)
    return 0


if __name__ == "__main__":
    sys.exit(main())
