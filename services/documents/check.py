"""Whether the S3 bucket and the documents table agree.

    python -m services.documents.check [--quiet]

Reports every difference, one line each, and exits 1 when there is any:
- an object that no record keeps (no row, or a row refused or deleted);
- a stored file whose object is missing, or whose size differs from the record.
A file waiting for the virus scanner counts as a stored one. An unfinished
upload without its object yet is no difference (its bytes may be on their way).
The orphan clean-up (`remove_orphaned_files`) removes the first kind once older
than its grace period; the second needs a person.
"""
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.db import make_engine

from . import domain
from .dependencies import ObjectStore, storage_settings
from .models import Document

# the records whose object must stay (the orphan clean-up keeps the same)
KEPT = (domain.PENDING, domain.SCANNING, domain.STORED)


def compare(session, store):
    """{"objects_without_record": [...], "records_without_object": [...],
    "size_differs": [...], "objects": n, "records": n}."""
    rows = {row.object_key: row for row in session.execute(
        select(Document.id, Document.object_key, Document.status, Document.size))}
    objects = {key: size for key, size, _modified in store.objects()}
    kept = {key for key, row in rows.items() if row.status in KEPT}
    stored = {key: row for key, row in rows.items()
              if row.status in (domain.SCANNING, domain.STORED)}
    return {
        "objects_without_record": sorted(set(objects) - kept),
        "records_without_object": sorted(row.id for key, row in stored.items()
                                         if key not in objects),
        "size_differs": sorted(row.id for key, row in stored.items()
                               if key in objects and row.size is not None
                               and objects[key] != row.size),
        "objects": len(objects), "records": len(kept),
    }


DIFFERENCES = {
    "objects_without_record": "object without a record (or refused/deleted)",
    "records_without_object": "stored document without its object",
    "size_differs": "stored document whose object has another size",
}


def main(argv=None, out=sys.stdout):
    argv = sys.argv[1:] if argv is None else argv
    engine = make_engine("documents")
    try:
        with Session(engine) as session:
            found = compare(session, ObjectStore(storage_settings()))
    finally:
        engine.dispose()
    differences = 0
    for kind, label in DIFFERENCES.items():
        for item in found[kind]:
            differences += 1
            if "--quiet" not in argv:
                print(f"{label}: {item}", file=out)
    print(f"{found['objects']} objects, {found['records']} documents kept: "
          + (f"{differences} difference(s)" if differences else "they agree"), file=out)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
