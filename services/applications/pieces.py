"""Files on pieces, with the `shared` rule: one upload of a shared
piece (an ID card) serves all the candidate's active applications whose piece
may still change; a transmitted application keeps what it was sent with.

Each function returns the document ids it let go of; the caller deletes those
no piece references any more (queries.unreferenced) once its commit succeeded.
"""
from . import domain, queries
from .models import ApplicationPiece


def new_pieces(session, candidate_id, definitions, now):
    """The application's pieces from the formation's definitions; a shared piece
    already uploaded on another active application comes with its file."""
    pieces = []
    for definition in definitions:
        piece = ApplicationPiece(
            code=definition["code"], label=definition["label"],
            order=definition.get("order") or 0,
            conditional=bool(definition.get("conditional")),
            shared=bool(definition.get("shared")), status=domain.P_AT, updated_at=now)
        if piece.shared:
            source = next((p for p in queries.shared_pieces(session, candidate_id, piece.code)
                           if p.document_id and p.status in (domain.P_TR, domain.P_VA)), None)
            if source is not None:
                piece.status, piece.document_id, piece.filename = (
                    domain.P_TR, source.document_id, source.filename)
        pieces.append(piece)
    return pieces


def _set_file(piece, document_id, filename, now):
    piece.status = domain.P_TR
    piece.document_id, piece.filename = document_id, filename
    piece.comment = None          # a refusal comment was about the old file
    piece.pending_document_id = None
    piece.updated_at = now


def attach(session, application, piece, stored, now):
    """piece TR with the stored document (documents.confirm_upload result)."""
    released = {piece.document_id}
    document_id, filename = str(stored["document_id"]), stored.get("filename")
    _set_file(piece, document_id, filename, now)
    if piece.shared:
        for other in queries.shared_pieces(session, application.candidate_id, piece.code,
                                           except_application_id=application.id):
            if other.status != domain.P_NC and domain.can_change_piece(
                    other.application.status, other.status):
                released.add(other.document_id)
                _set_file(other, document_id, filename, now)
    return released - {None, document_id}


def detach(session, application, piece, now, status=domain.P_AT, propagate=True):
    """Remove the piece's file (status AT, or NC); for a shared piece also from
    the other applications that hold the same file and may still change."""
    document_id = piece.document_id
    piece.status, piece.document_id, piece.filename = status, None, None
    piece.pending_document_id, piece.updated_at = None, now
    if propagate and piece.shared and document_id:
        for other in queries.shared_pieces(session, application.candidate_id, piece.code,
                                           except_application_id=application.id):
            if other.document_id == document_id and domain.can_change_piece(
                    other.application.status, other.status):
                other.status, other.document_id, other.filename = domain.P_AT, None, None
                other.updated_at = now
    return {document_id} - {None}


def release_all(application):
    """A cancelled application lets go of every file (shared ones stay elsewhere)."""
    released = set()
    for piece in application.pieces:
        released.add(piece.document_id)
        piece.document_id, piece.filename, piece.pending_document_id = None, None, None
    return released - {None}
