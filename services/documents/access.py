"""Who may do what with a file. Candidates and their staff reach files only
through the applications service, which knows their scope; the one other
caller is the catalog service handling the catalogue's own files (piece
templates, commission signatures), which belong to no candidate; a catalogue
editor on the staff may still handle those directly."""
from services.common import actors
from services.common.errors import Forbidden


def _require_catalogue_editor(actor):
    actors.require_role(actor, actors.CATALOGUE_EDITORS,
                        "your role cannot change the catalogue's files")


def require_uploader(actor, owner):
    """The applications service (any piece), or the catalog service or a
    catalogue editor for a file of no candidate and no application."""
    if actors.is_service(actor, "applications"):
        return
    if not actors.is_service(actor, "catalog"):
        _require_catalogue_editor(actor)
    if (owner or {}).get("candidate_id") or (owner or {}).get("application_id"):
        raise Forbidden("forbidden", "candidates' files go through their application")


def require_keeper(actor, document):
    """Confirming or deleting a file: the applications service, or the catalog
    service or a catalogue editor for a file that belongs to no candidate."""
    if actors.is_service(actor, "applications"):
        return
    if not actors.is_service(actor, "catalog"):
        _require_catalogue_editor(actor)
    if document.candidate_id is not None or document.application_id is not None:
        raise Forbidden("forbidden", "candidates' files go through their application")
