"""What an application says of itself from its relations (models.Application):
the decision the candidate is told, the one waiting for validation, the
deadline that applies, its pieces. Plain objects, no database."""
from datetime import UTC, date, datetime, timedelta

from services.applications.models import Application, ApplicationPiece, Decision

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def decision(id_, code, entered_minutes, validated_minutes=None):
    return Decision(id=id_, code=code, entered_by="gestionnaire",
                    entered_at=T0 + timedelta(minutes=entered_minutes),
                    validated_at=(T0 + timedelta(minutes=validated_minutes)
                                  if validated_minutes is not None else None))


def application(decisions=(), pieces=(), formation=None, override=None):
    return Application(decisions=list(decisions), pieces=list(pieces),
                       formation=formation or {}, return_deadline_override=override)


def test_a_new_application_has_no_decision():
    fresh = application()
    assert fresh.last_validated is None and fresh.pending_decision is None
    assert fresh.decision_code is None


def test_the_candidate_is_told_the_last_validated_decision_not_the_one_entered_since():
    lc, de = decision(1, "LC", 0, validated_minutes=5), decision(2, "DE", 10)
    a = application([lc, de])
    assert a.last_validated is lc and a.decision_code == "LC"
    assert a.pending_decision is de


def test_the_last_validated_is_the_latest_validation_whatever_the_order_of_entry():
    late_entry_early_validation = decision(1, "LA", 0, validated_minutes=30)
    early_validation = decision(2, "FA", 10, validated_minutes=20)
    a = application([late_entry_early_validation, early_validation])
    assert a.last_validated is late_entry_early_validation
    assert a.pending_decision is None  # the last entered one is validated


def test_a_decision_entered_before_the_validated_one_is_not_pending():
    older, validated = decision(1, "DE", 0), decision(2, "FA", 5, validated_minutes=6)
    assert application([older, validated]).pending_decision is None


def test_the_return_deadline_is_the_override_else_the_formation_date():
    formation = {"dates": {"date_return": "2027-05-15"}}
    assert application(formation=formation).return_deadline == date(2027, 5, 15)
    assert application(formation=formation,
                       override=date(2027, 6, 1)).return_deadline == date(2027, 6, 1)
    assert application(override=date(2027, 6, 1)).return_deadline == date(2027, 6, 1)
    assert application().return_deadline is None
    assert application(formation={"dates": None}).return_deadline is None


def test_the_dates_are_those_of_the_formation_snapshot():
    assert application(formation={"dates": {"date_confirm": "2027-07-01"}}).dates == {
        "date_confirm": "2027-07-01"}
    assert application().dates == {} and Application(formation=None).dates == {}


def test_pieces_by_code_and_their_statuses():
    cni = ApplicationPiece(code="CNI", label="Carte", status="TR")
    cv = ApplicationPiece(code="CV", label="CV", status="AT")
    a = application(pieces=[cni, cv])
    assert a.piece("CV") is cv and a.piece("LM") is None
    assert a.piece_statuses == {"CNI": "TR", "CV": "AT"}


def test_a_piece_template_comes_from_the_formation_taken_at_creation():
    formation = {"pieces": [{"code": "DOSSIER", "template_document_id": "doc-1",
                             "template_filename": "dossier.pdf"},
                            {"code": "CV"}]}
    a = application(formation=formation)
    assert a.piece_template("DOSSIER")["template_filename"] == "dossier.pdf"
    assert a.piece_template("CV") == {} and a.piece_template("LM") == {}
