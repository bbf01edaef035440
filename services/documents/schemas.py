"""What the documents service returns."""


def stored(document):
    return {"document_id": document.id, "filename": document.filename,
            "content_type": document.content_type, "size": document.size}


def owner_event(document, **extra):
    return {"document_id": document.id, "candidate_id": document.candidate_id,
            "application_id": document.application_id, "piece_code": document.piece_code, **extra}
