"""The candidate's applications when they download their data or delete their
account."""
import uuid

from services.common.errors import Conflict, Forbidden, NotFound


def test_events_tell_accounts_which_transmitted_applications_stand(harness, actors):
    """accounts keeps its own list of a candidate's transmitted applications
    (it refuses a candidate's own account deletion while one stands) from these
    events, instead of calling applications back."""
    draft = harness.apply(actors.ada, "MINFO1")["id"]
    harness.call("cancel", actors.ada, draft)
    sent = harness.transmitted(actors.ada, "MMATH1")["id"]
    transmitted, = harness.events("application_transmitted")
    assert (transmitted["application_id"], transmitted["candidate_id"]) == (sent, 12)
    cancelled, = harness.events("application_cancelled")
    assert (cancelled["application_id"], cancelled["candidate_id"]) == (draft, 12)


def test_export_gives_every_own_application_with_its_history(harness, actors):
    first = harness.transmitted(actors.ada, "MINFO1")["id"]
    second = harness.apply(actors.ada, "MMATH1")["id"]
    harness.apply(actors.bob, "MINFO1")
    exported = harness.call("export_my_data", actors.ada)
    assert sorted(a["id"] for a in exported) == sorted([first, second])
    transmitted = next(a for a in exported if a["id"] == first)
    assert [h["to_status"] for h in transmitted["history"]][-1] == "RE"
    assert "decisions" not in transmitted or transmitted["decisions"] is None  # candidate's view
    harness.refused(Forbidden, "forbidden", "export_my_data", actors.manager_sci)


def test_a_deleted_account_loses_every_application_once(harness, actors):
    harness.transmitted(actors.ada, "MINFO1")
    harness.apply(actors.ada, "MMATH1")
    kept = harness.apply(actors.bob, "MINFO1")["id"]
    event = {"event_id": str(uuid.uuid4()), "candidate_id": 12, "reason": "candidate"}
    harness.call("on_account_deleted", event)
    harness.call("on_account_deleted", event)  # redelivered
    assert harness.sql("SELECT id FROM applications") == [(kept,)]
    assert harness.sql("SELECT count(*) FROM application_pieces p JOIN applications a "
                       "ON a.id = p.application_id WHERE a.candidate_id = 12") == [(0,)]
    assert harness.sql("SELECT count(*) FROM status_changes s WHERE NOT EXISTS "
                       "(SELECT 1 FROM applications a WHERE a.id = s.application_id)") == [(0,)]


def test_can_apply_says_why_not_without_writing(harness, actors):
    assert harness.call("can_apply", actors.ada, "MINFO1") == {"allowed": True, "reason": None,
                                                               "fields": {}}
    harness.apply(actors.ada, "MINFO1")
    before = harness.state()
    assert harness.call("can_apply", actors.ada, "MINFO1") == {"allowed": False,
                                                               "reason": "already_applied",
                                                               "fields": {}}
    assert harness.state() == before
    harness.catalog_data.formations["MMATH1"]["dates"]["date_close"] = "2000-01-01"
    assert harness.call("can_apply", actors.ada, "MMATH1")["reason"] == "applications_closed"


def test_a_piece_template_is_downloadable_from_the_application(harness, actors):
    formation = harness.catalog_data.formations["MINFO1"]
    formation["pieces"][0].update(template_document_id="doc-template",
                                  template_filename="dossier.pdf")
    app_id = harness.apply(actors.ada, "MINFO1")["id"]
    view = harness.call("get_application", actors.ada, app_id)
    first = formation["pieces"][0]["code"]
    assert next(p for p in view["pieces"] if p["code"] == first)["template_filename"] == "dossier.pdf"
    harness.documents.get_download.side_effect = lambda document_id: {"url": f"http://s3/{document_id}"}
    assert harness.call("get_piece_template", actors.ada, app_id, first) == {"url": "http://s3/doc-template"}
    other = next(p["code"] for p in view["pieces"] if p["code"] != first)
    harness.refused(NotFound, "no_template", "get_piece_template", actors.ada, app_id, other)
    harness.refused(NotFound, "not_found", "get_piece_template", actors.bob, app_id, first)


def test_creation_events_let_catalog_count_a_formations_applications(harness, actors):
    """catalog refuses to delete a formation with applications, counted from
    these events (it never calls applications, which calls catalog)."""
    first = harness.apply(actors.ada, "MINFO1")["id"]
    second = harness.apply(actors.bob, "MINFO1")["id"]
    created = harness.events("application_created")
    assert [(e["application_id"], e["campaign"], e["formation"]["code"]) for e in created] == [
        (first, "2027", "MINFO1"), (second, "2027", "MINFO1")]


def test_an_archived_campaigns_applications_are_read_only(harness, actors):
    app_id = harness.apply(actors.ada, "MINFO1")["id"]
    sent = harness.transmitted(actors.bob, "MINFO1")["id"]
    event = {"event_id": str(uuid.uuid4()), "code": "2027", "next_active": "2028"}
    harness.call("on_campaign_archived", event)
    harness.call("on_campaign_archived", event)  # redelivered
    harness.refused(Conflict, "campaign_archived", "cancel", actors.ada, app_id)
    harness.refused(Conflict, "campaign_archived", "set_file_status", actors.manager_sci, sent, "CO")
    assert harness.call("get_application", actors.ada, app_id)["id"] == app_id  # still readable
    harness.call("on_campaign_archived", {"event_id": str(uuid.uuid4()), "code": "2026"})


def test_the_candidate_can_do_nothing_on_an_archived_campaigns_application(harness, actors):
    """Every candidate action says campaign_archived, changes nothing, and the
    page no longer offers it."""
    h = harness
    draft = h.apply(actors.ada, "MINFO1")["id"]
    h.upload(actors.ada, draft, "CV")
    admitted = h.complete_file(actors.ada, actors.manager_sci, "MMATH1")["id"]
    h.call("enter_decision", actors.manager_sci, admitted, "FA", {})
    h.call("validate_decision", actors.manager_sci, admitted)
    h.call("on_campaign_archived", {"event_id": str(uuid.uuid4()), "code": "2027"})
    for method, args in [("start_piece_upload", (draft, "CNI", "cni.pdf", 10)),
                         ("finish_piece_upload", (draft, "CNI", "doc-1")),
                         ("delete_piece_file", (draft, "CV")),
                         ("set_not_concerned", (draft, "CERTLANG", True)),
                         ("transmit", (draft,)), ("cancel", (draft,)),
                         ("confirm", (admitted,)), ("withdraw", (admitted,))]:
        h.refused(Conflict, "campaign_archived", method, actors.ada, *args)
    view = h.call("get_application", actors.ada, draft)
    assert view["archived"] is True
    assert not (view["can_transmit"] or view["can_cancel"]
                or any(p["can_change"] for p in view["pieces"]))
    answer = h.call("get_application", actors.ada, admitted)
    assert answer["archived"] is True and not (answer["can_confirm"] or answer["can_withdraw"])
    assert [a["archived"] for a in h.call("list_my_applications", actors.ada)] == [True, True]
