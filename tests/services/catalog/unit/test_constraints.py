"""The rules the database itself enforces, so that no row written by hand or by
a future screen breaks them; a refused row leaves nothing behind."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.catalog.models import Centre, Formation


@pytest.fixture
def base(rows):
    class B:
        pass
    b = B()
    b.campaign = rows.campaign()
    b.sci = rows.centre("SCI")
    b.info = rows.commission("SCI-INFO", b.sci)
    return b


def refused(snapshot, add):
    before = snapshot()
    with pytest.raises(IntegrityError):
        add()
    assert snapshot() == before


def test_only_one_campaign_is_active(rows, base, snapshot):
    refused(snapshot, lambda: rows.campaign(code="2028", active=True))
    rows.campaign(code="2028", active=False)  # an inactive one is fine


def test_a_formation_with_dates_out_of_order_is_refused(rows, base, snapshot):
    c = base
    open_day = rows.formation("OK", "Ok", c.info, c.campaign).date_open
    refused(snapshot, lambda: rows.formation("BAD1", "Bad", c.info, c.campaign,
                                             date_close=open_day - timedelta(days=1)))
    refused(snapshot, lambda: rows.formation("BAD2", "Bad", c.info, c.campaign,
                                             date_confirm=open_day))


def test_a_formation_has_exactly_one_confirmation_rule(rows, base, snapshot):
    c = base
    refused(snapshot, lambda: rows.formation("BOTH", "Both", c.info, c.campaign,
                                             confirm_days=10))
    refused(snapshot, lambda: rows.formation("NONE", "None", c.info, c.campaign,
                                             date_confirm=None))
    refused(snapshot, lambda: rows.formation("ZERO", "Zero", c.info, c.campaign,
                                             date_confirm=None, confirm_days=0))


def test_treatment_type_and_code_are_checked(rows, base, snapshot):
    c = base
    refused(snapshot, lambda: rows.formation("XX", "X", c.info, c.campaign, treatment_type="ZZ"))
    rows.formation("DUP", "First", c.info, c.campaign)
    refused(snapshot, lambda: rows.formation("DUP", "Second", c.info, c.campaign))


def test_centre_upload_limit_defaults_to_2_mb_and_stays_under_10_mb(rows, snapshot):
    rows.centre("LLSH")
    with Session(rows.engine) as session:
        assert session.scalars(select(Centre.max_file_size)
                               .where(Centre.code == "LLSH")).one() == 2 * 1024 * 1024
    rows.centre("BIG", max_file_size=10 * 1024 * 1024)
    refused(snapshot, lambda: rows.centre("HUGE", max_file_size=10 * 1024 * 1024 + 1))


def test_a_piece_code_is_defined_once_per_owner(rows, base, snapshot):
    c = base
    minfo = rows.formation("MINFO1", "Master", c.info, c.campaign)
    rows.piece("CNI", 1)
    rows.piece("LM", 3, owner=minfo)
    rows.piece("LM", 3, owner=c.sci)  # another owner: fine
    refused(snapshot, lambda: rows.piece("CNI", 1))
    refused(snapshot, lambda: rows.piece("LM", 4, owner=minfo))
    refused(snapshot, lambda: rows.piece("LM", 4, owner=c.sci))
    refused(snapshot, lambda: rows.piece("X", 1, treatment_type="ZZ"))


def test_a_formation_code_is_unique_within_its_campaign_only(rows, base, snapshot):
    c = base
    rows.formation("MINFO1", "Master 2027", c.info, c.campaign)
    following = rows.campaign(code="2028", active=False)
    rows.formation("MINFO1", "Master 2028", c.info, following)  # next year: the same code
    refused(snapshot, lambda: rows.formation("MINFO1", "Again", c.info, following))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example"])
def test_a_formation_url_is_a_web_address_even_by_hand(rows, base, snapshot, url):
    c = base
    formation = rows.formation("MINFO1", "Master", c.info, c.campaign)

    def change():
        with Session(rows.engine) as session:
            session.get(Formation, formation.id).url = url
            session.commit()
    refused(snapshot, change)
