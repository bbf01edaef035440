"""The whole life of an application through the service's RPCs, as the
candidate and the staff live it: AT -> pieces -> transmit -> RE -> piece refused
-> IN -> replaced -> transmit -> RE -> CO -> FA entered -> validated -> confirm
-> admission letter."""


def test_whole_journey(harness, actors):
    h, ada, manager = harness, actors.ada, actors.manager_sci

    # Apply: status AT, the formation's pieces, snapshots of candidate and formation.
    view = h.apply(ada, "MINFO1")
    app_id = view["id"]
    assert view["status"] == "AT" and view["cancelled"] is False
    assert [p["code"] for p in view["pieces"]] == ["CNI", "CV", "LM", "CERTLANG"]
    assert {p["status"] for p in view["pieces"]} == {"AT"}
    assert view["missing"] == ["CNI", "CV", "LM", "CERTLANG"] and view["can_transmit"] is False
    assert view["candidate"]["dossier_number"] == "27AB0012"
    assert view["formation"]["centre"]["code"] == "SCI"
    assert view["return_deadline"] == "2027-05-24"
    h.accounts.check_ready_to_apply.assert_called_once_with(12)
    h.catalog.get_formation.assert_called_once_with("MINFO1")
    created, = h.events("application_created")
    assert created["application_id"] == app_id and created["candidate_id"] == 12
    assert created["formation"] == {"code": "MINFO1", "label": "Master Informatique 1re année"}
    assert created["centre"] == {"code": "SCI", "label": "UFR Sciences et Techniques",
                                 "email": "scolarite-sciences@univ-demo.fr"}
    assert created["commission"]["code"] == "SCI-INFO"
    assert created["return_deadline"] == "2027-05-24"

    # Pieces: uploads go through documents with the centre's size limit.
    ticket = h.call("start_piece_upload", ada, app_id, "CV", "cv.pdf", 5000)
    assert ticket == {"document_id": "doc-1", "put_url": "http://s3.test/put/doc-1"}
    h.documents.create_upload.assert_called_with(
        {"candidate_id": 12, "application_id": app_id, "piece_code": "CV"}, "cv.pdf", 5000,
        2 * 1024 * 1024)
    view = h.call("finish_piece_upload", ada, app_id, "CV", "doc-1")
    h.documents.confirm_upload.assert_called_with("doc-1", None, None)
    cv = next(p for p in view["pieces"] if p["code"] == "CV")
    assert cv["status"] == "TR" and cv["filename"] == "cv.pdf" and cv["has_file"] is True
    view = h.complete(ada, app_id)
    assert view["missing"] == [] and view["can_transmit"] is True

    # Transmit: RE, dated, history and both events.
    view = h.call("transmit", ada, app_id)
    assert view["status"] == "RE" and view["transmitted_at"] == h.clock.now.isoformat()
    assert view["can_cancel"] is False and view["can_transmit"] is False
    changed, = h.events("status_changed")
    assert (changed["from_status"], changed["to_status"], changed["refused_pieces"]) == \
        ("AT", "RE", [])
    assert len(h.events("application_transmitted")) == 1

    # Staff refuse a piece, the file becomes IN; the mail gets the refused pieces.
    h.clock.advance(days=2)
    h.call("set_piece_status", manager, app_id, "CNI", "VA")
    h.call("set_piece_status", manager, app_id, "LM", "RE", "Illisible")
    view = h.call("set_file_status", manager, app_id, "IN")
    assert view["status"] == "IN"
    incomplete = h.events("status_changed")[-1]
    assert (incomplete["from_status"], incomplete["to_status"]) == ("RE", "IN")
    assert incomplete["refused_pieces"] == [
        {"code": "LM", "label": "Lettre de motivation", "comment": "Illisible"}]

    # The candidate sees the comment and replaces only the refused piece.
    view = h.call("get_application", ada, app_id)
    lm = next(p for p in view["pieces"] if p["code"] == "LM")
    assert (lm["status"], lm["comment"], lm["can_change"]) == ("RE", "Illisible", True)
    assert view["missing"] == ["LM"] and view["can_transmit"] is False
    old_lm = h.sql("SELECT document_id FROM application_pieces WHERE code = 'LM'")[0][0]
    view = h.upload(ada, app_id, "LM", "lettre-v2.pdf")
    lm = next(p for p in view["pieces"] if p["code"] == "LM")
    assert (lm["status"], lm["comment"], lm["filename"]) == ("TR", None, "lettre-v2.pdf")
    h.documents.delete_document.assert_called_once_with(old_lm)

    # Transmit again: IN -> RE.
    view = h.call("transmit", ada, app_id)
    assert view["status"] == "RE"
    assert h.events("status_changed")[-1]["from_status"] == "IN"

    # Complete, then a favourable decision entered (invisible to the candidate) and validated.
    h.call("set_piece_status", manager, app_id, "LM", "VA")
    view = h.call("set_file_status", manager, app_id, "CO")
    assert view["status"] == "CO"
    view = h.call("enter_decision", actors.committee_sci, app_id, "FA", {"comment": "Bon dossier"})
    assert view["pending_decision"]["code"] == "FA" and view["decision"] is None
    mine = h.call("get_application", ada, app_id)
    assert mine["decision"] is None and "pending_decision" not in mine and "decisions" not in mine
    assert h.events("decision_validated") == []

    h.clock.advance(days=30)
    view = h.call("validate_decision", manager, app_id)
    assert view["decision"]["code"] == "FA" and view["pending_decision"] is None
    assert view["decisions"][0]["entered_by"] == "Committee SCI"
    assert view["decisions"][0]["validated_by"] == "Manager SCI"
    validated, = h.events("decision_validated")
    assert validated["code"] == "FA" and validated["comment"] == "Bon dossier"
    assert validated["confirm_deadline"] == "2027-07-08"

    # The candidate confirms and downloads the admission letter.
    mine = h.call("get_application", ada, app_id)
    assert mine["decision"]["code"] == "FA" and mine["can_confirm"] is True
    assert mine["confirm_deadline"] == "2027-07-08"
    view = h.call("confirm", ada, app_id)
    assert view["confirmed_at"] == h.clock.now.isoformat() and view["can_confirm"] is False
    assert view["can_withdraw"] is True
    assert len(h.events("application_confirmed")) == 1

    link = h.call("get_admission_letter", ada, app_id)
    assert link["url"] == f"http://s3.test/get/letter-{app_id}"
    letter, = h.documents_data.letters
    assert letter["application_id"] == app_id
    assert letter["candidate"] == {"civility": "MME", "first_name": "Ada",
                                   "last_name": "Lovelace12", "dossier_number": "27AB0012"}
    assert letter["formation"]["code"] == "MINFO1"
    assert letter["commission"]["signatory"] == "Pr. Grace Hopper"
    assert letter["centre"]["email"] == "scolarite-sciences@univ-demo.fr"
    assert letter["confirmed_at"] == view["confirmed_at"]

    # The history tells who did what, staff names hidden from the candidate.
    staff_view = h.call("get_application", manager, app_id)
    assert [(e["from_status"], e["to_status"], e["by"]) for e in staff_view["history"]] == [
        (None, "AT", "candidat"), ("AT", "RE", "candidat"), ("RE", "IN", "Manager SCI"),
        ("IN", "RE", "candidat"), ("RE", "CO", "Manager SCI")]
    assert [e["by"] for e in mine["history"]] == [
        "candidat", "candidat", "gestionnaire", "candidat", "gestionnaire"]
