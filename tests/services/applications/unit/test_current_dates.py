"""Staff may move a formation's dates after candidates applied: what decides is
the formation's date as the catalog has it now (or the application's own
override), never the copy taken when the application was made."""
import uuid
from datetime import timedelta

from services.common.errors import Conflict


def move(h, code="MINFO1", **days):
    """Staff change the formation's dates in the catalog (days from today)."""
    dates = h.catalog_data.formations[code]["dates"]
    for field, offset in days.items():
        dates[field] = (h.today + timedelta(days=offset)).isoformat()
    return dates


def formation_updated(h, code="MINFO1", occurred_at=None, event_id=None):
    """The catalog's event, as it publishes it after a change."""
    formation = h.catalog_data.formations[code]
    return {"event_id": event_id or str(uuid.uuid4()), "event_type": "formation_updated",
            "occurred_at": occurred_at or "2027-03-10T09:00:00+00:00", "code": code,
            "campaign": formation["campaign"]["code"], "dates": dict(formation["dates"])}


def ready(h, actor):
    """An application with every piece done, not transmitted."""
    application_id = h.apply(actor)["id"]
    h.complete(actor, application_id)
    return application_id


def test_a_return_deadline_moved_earlier_then_later_applies_at_once(harness, actors):
    h = harness
    application_id = ready(h, actors.ada)
    move(h, date_close=-2, date_return=-1)          # staff: the deadline was yesterday
    h.refused(Conflict, "return_deadline_passed", "transmit", actors.ada, application_id)

    move(h, date_close=5, date_return=10)           # staff: ten more days
    sent = h.call("transmit", actors.ada, application_id)
    assert sent["status"] == "RE"
    # The application now shows the date it was checked against.
    assert sent["return_deadline"] == (h.today + timedelta(days=10)).isoformat()


def test_the_applications_own_override_wins_over_the_formation(harness, actors):
    h = harness
    late, early = ready(h, actors.ada), ready(h, actors.bob)
    move(h, date_close=-2, date_return=-1)
    h.sql("UPDATE applications SET return_deadline_override = :day WHERE id = :id",
          day=h.today + timedelta(days=3), id=late)
    assert h.call("transmit", actors.ada, late)["status"] == "RE"

    move(h, date_close=5, date_return=10)
    h.sql("UPDATE applications SET return_deadline_override = :day WHERE id = :id",
          day=h.today - timedelta(days=1), id=early)
    h.refused(Conflict, "return_deadline_passed", "transmit", actors.bob, early)


def test_the_copy_serves_when_the_formation_is_gone_from_the_catalog(harness, actors):
    h = harness
    application_id = ready(h, actors.ada)
    del h.catalog_data.formations["MINFO1"]
    assert h.call("transmit", actors.ada, application_id)["status"] == "RE"


def test_pages_follow_the_catalogs_changes(harness, actors):
    h = harness
    application_id = ready(h, actors.ada)
    move(h, date_close=-2, date_return=-1)
    h.call("on_formation_updated", formation_updated(h, occurred_at="2027-03-10T09:00:01+00:00"))
    view = h.call("get_application", actors.ada, application_id)
    assert view["return_deadline"] == (h.today - timedelta(days=1)).isoformat()
    assert view["can_transmit"] is False
    mine, = h.call("list_my_applications", actors.ada)
    assert mine["return_deadline"] == view["return_deadline"]

    # An older change delivered late does not undo the newer one.
    stale = formation_updated(h, occurred_at="2027-03-10T09:00:00+00:00")
    stale["dates"]["date_return"] = (h.today + timedelta(days=40)).isoformat()
    h.call("on_formation_updated", stale)
    assert h.call("get_application", actors.ada, application_id)["can_transmit"] is False

    move(h, date_close=5, date_return=10)
    h.call("on_formation_updated", formation_updated(h, occurred_at="2027-03-10T09:00:02+00:00"))
    assert h.call("get_application", actors.ada, application_id)["can_transmit"] is True


def test_a_change_of_another_campaigns_formation_leaves_the_application_alone(harness, actors):
    h = harness
    application_id = ready(h, actors.ada)
    event = formation_updated(h)
    event.update(campaign="2026", dates=dict(event["dates"], date_return="2020-01-01"))
    h.call("on_formation_updated", event)
    assert h.call("get_application", actors.ada, application_id)["can_transmit"] is True


def test_the_confirmation_deadline_comes_from_the_formations_current_dates(harness, actors):
    h = harness
    view = h.complete_file(actors.ada, actors.manager_sci)
    move(h, date_confirm=45)
    h.call("enter_decision", actors.manager_sci, view["id"], "FA", {})
    validated = h.call("validate_decision", actors.manager_sci, view["id"])
    assert validated["confirm_deadline"] == (h.today + timedelta(days=45)).isoformat()


def test_the_commissions_alerts_travel_in_the_events_as_the_catalog_has_them_now(harness, actors):
    """A commission may ask for alerts after candidates applied: the transmission
    event carries its address and alert settings as they are when it is sent."""
    h = harness
    application_id = ready(h, actors.ada)
    created = h.events("application_created")[-1]
    assert created["commission"]["alerts"] == {}  # asked for nothing when Ada applied

    commission = h.catalog_data.formations["MINFO1"]["commission"]
    commission.update(email="jury-info@univ-demo.fr",
                      alerts={"transmitted": True, "digest": True})
    h.call("transmit", actors.ada, application_id)
    sent = h.events("application_transmitted")[-1]["commission"]
    assert sent["code"] == "SCI-INFO" and sent["email"] == "jury-info@univ-demo.fr"
    assert sent["alerts"] == {"transmitted": True, "digest": True}


def commission_updated(code, occurred_at, **alerts):
    """The catalog's event after staff saved a commission."""
    return {"event_id": str(uuid.uuid4()), "event_type": "commission_updated",
            "occurred_at": occurred_at, "code": code, "email": f"{code.lower()}@univ-demo.fr",
            "alerts": alerts}


def test_a_commission_asking_for_alerts_is_heard_by_the_applications_already_made(harness,
                                                                                 actors):
    h = harness
    ada = h.apply(actors.ada)["id"]
    bob = h.apply(actors.bob, "MMATH1")["id"]
    h.call("on_commission_updated",
           commission_updated("SCI-INFO", "2027-03-10T09:00:01+00:00", cancelled=True))
    # an older save delivered late does not undo the newer one
    h.call("on_commission_updated",
           commission_updated("SCI-INFO", "2027-03-10T09:00:00+00:00", cancelled=False))
    h.call("cancel", actors.ada, ada)
    h.call("cancel", actors.bob, bob)
    cancelled = {e["application_id"]: e["commission"] for e in h.events("application_cancelled")}
    assert cancelled[ada] == {"code": "SCI-INFO", "label": "Commission Informatique",
                              "email": "sci-info@univ-demo.fr", "alerts": {"cancelled": True}}
    assert cancelled[bob]["alerts"] == {}  # another commission's change
    assert cancelled[bob]["email"] == "commission-math@univ-demo.fr"
