"""The catalog's test database, and a builder that puts catalogue rows into it
the way an administrator would (through the models, so the database's own
checks apply)."""
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.catalog.seed import demo_dates
from services.catalog.models import (Campaign, Centre, Commission, Formation,
                                     PieceDefinition)
from tests.services.catalog.world import TODAY


def dates_around(today, **override):
    return {**demo_dates(today), **override}


class Rows:
    """Adds catalogue rows, each committed at once; returns the row."""

    def __init__(self, engine):
        self.engine = engine

    def _add(self, row):
        with Session(self.engine, expire_on_commit=False) as session:
            session.add(row)
            session.commit()
        return row

    def campaign(self, code="2027", label="Campagne de candidatures 2027", active=True):
        return self._add(Campaign(code=code, label=label, start=date(2026, 10, 1),
                                  end=date(2027, 9, 30), login_until=date(2027, 10, 31),
                                  active=active))

    def centre(self, code="SCI", label="UFR Sciences et Techniques", **fields):
        values = {"address": f"Scolarité {code}\n1 rue des Facultés\n44300 Nantes",
                  "email": f"scolarite-{code.lower()}@univ-demo.fr"}
        values.update(fields)
        return self._add(Centre(code=code, label=label, **values))

    def commission(self, code, centre, label=None, **fields):
        values = {"address": f"Commission {code}\n1 rue des Facultés\n44300 Nantes",
                  "email": f"{code.lower()}@univ-demo.fr", "phone": "02 40 00 00 00",
                  "signatory": "Claire Martin"}
        values.update(fields)
        return self._add(Commission(code=code, label=label or f"Commission {code}",
                                    centre_id=centre.id, **values))

    def formation(self, code, label, commission, campaign, level="M- MASTER", keywords=None,
                  enabled=True, treatment_type="AC", today=TODAY, **dates):
        return self._add(Formation(
            code=code, label=label, level=level, keywords=keywords,
            url=f"https://formations.univ-demo.fr/{code.lower()}", capacity=30,
            enabled=enabled, treatment_type=treatment_type, centre_id=commission.centre_id,
            commission_id=commission.id, campaign_id=campaign.id,
            **dates_around(today, **dates)))

    def piece(self, code, order, owner=None, label=None, conditional=False, shared=False,
              treatment_type=None):
        """owner: None (institution), a Centre or a Formation."""
        scope = ("institution" if owner is None
                 else "centre" if isinstance(owner, Centre) else "formation")
        owner_key = {} if owner is None else {f"{scope}_id": owner.id}
        return self._add(PieceDefinition(code=code, label=label or f"Pièce {code}", order=order,
                                         conditional=conditional, shared=shared, scope=scope,
                                         treatment_type=treatment_type, **owner_key))


def table_rows(engine):
    """Every catalogue row, table by table, to compare before and after."""
    tables = ("campaigns", "centres", "commissions", "formations", "piece_definitions",
              "outbox_events")
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}" ORDER BY id'))]
                for t in tables}


@pytest.fixture
def catalog_db(service_db):
    """The catalog's migrated test database, emptied."""
    return service_db("catalog")


@pytest.fixture
def rows(catalog_db):
    return Rows(catalog_db)


@pytest.fixture
def snapshot(catalog_db):
    return lambda: table_rows(catalog_db)
