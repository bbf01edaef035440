"""What the documents service returns and publishes."""


def stored(document):
    return {"document_id": document.id, "filename": document.filename,
            "content_type": document.content_type, "size": document.size}


def part(document):
    return {"document_id": document.id, "filename": document.filename,
            "size": document.size, "source_type": document.source_type or document.content_type}


def bundle(document, parts):
    """A piece's merged PDF and the files it is made of."""
    return {**stored(document), "status": document.status, "parts": [part(p) for p in parts]}


def waiting(document):
    """A file checked and converted, not scanned yet: nothing to attach for now."""
    return {**stored(document), "status": document.status, "parts": []}


def scanned_event(document, clean):
    return {**owner(document), "clean": clean}


def download(document, url):
    return {"url": url, **stored(document)}


def owner(document):
    return {"document_id": document.id, "candidate_id": document.candidate_id,
            "application_id": document.application_id, "piece_code": document.piece_code}


def stored_event(document):
    return {**owner(document), "content_type": document.content_type, "size": document.size}


def deleted_event(document):
    return owner(document)


def listed(document):
    return {"document_id": document.id, "filename": document.filename,
            "content_type": document.content_type, "size": document.size,
            "kind": document.kind, "application_id": document.application_id,
            "piece_code": document.piece_code,
            "created_at": document.created_at.isoformat() if document.created_at else None}
