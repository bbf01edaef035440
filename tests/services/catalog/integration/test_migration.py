"""Migration 0005 on a database that already holds a catalogue: formation codes
become unique per campaign, a formation URL that is not a web address is
dropped (it was rendered as a link to candidates), commission members leave
the catalog (accounts keeps them)."""
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from services.common.config import database_url
from services.common.migrations import alembic_config, ensure_database

DATES = "'2027-03-01', '2027-04-30', '2027-05-10', '2027-06-01', '2027-06-15', '2027-06-30'"


@pytest.fixture
def old_catalog():
    """A fresh catalog database migrated to 0004 only."""
    url = make_url(database_url("catalog"))
    url = url.set(database=f"{url.database}_migration")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    ensure_database(url.render_as_string(hide_password=False))
    config = alembic_config("catalog", url.render_as_string(hide_password=False))
    command.upgrade(config, "0004")
    engine = create_engine(url)
    yield engine, config
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def formation(conn, fid, code, campaign, url):
    conn.execute(text(
        "INSERT INTO formations (id, code, label, level, url, enabled, treatment_type, "
        "centre_id, commission_id, campaign_id, date_open, date_close, date_return, date_jury, "
        f"date_publish, date_confirm) VALUES (:id, :code, 'F', 'M- MASTER', :url, true, 'AC', "
        f"1, 1, :campaign, {DATES})"), {"id": fid, "code": code, "campaign": campaign, "url": url})


def test_upgrading_a_filled_catalogue(old_catalog):
    engine, config = old_catalog
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO campaigns (id, code, label, start, \"end\", login_until, active) VALUES "
            "(1, '2027', 'C 2027', '2026-10-01', '2027-09-30', '2027-10-31', true), "
            "(2, '2028', 'C 2028', '2027-10-01', '2028-09-30', '2028-10-31', false)"))
        conn.execute(text("INSERT INTO centres (id, code, label) VALUES (1, 'SCI', 'Sciences')"))
        conn.execute(text("INSERT INTO commissions (id, code, label, centre_id, members) VALUES "
                          "(1, 'SCI-INFO', 'Info', 1, '[{\"login\": \"jury.a\"}]')"))
        formation(conn, 1, "MINFO1", 1, "https://univ-demo.fr/minfo1")
        formation(conn, 2, "LINFO3", 1, "javascript:alert(document.cookie)")
    command.upgrade(config, "head")
    with engine.begin() as conn:
        formation(conn, 3, "MINFO1", 2, None)  # the same code, next campaign: fine now
        urls = dict(conn.execute(text("SELECT id, url FROM formations ORDER BY id")).all())
        columns = {r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'commissions'"))}
    assert urls == {1: "https://univ-demo.fr/minfo1", 2: None, 3: None}
    assert "members" not in columns
    with pytest.raises(IntegrityError), engine.begin() as conn:
        formation(conn, 4, "MINFO1", 2, None)  # twice in one campaign: still refused
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE formations SET url = 'data:text/html,x' WHERE id = 1"))
    with engine.begin() as conn:  # back to 0004 once codes are unique again
        conn.execute(text("DELETE FROM formations WHERE id = 3"))
    command.downgrade(config, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT members FROM commissions")).scalar() == []
