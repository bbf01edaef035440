"""accounts tells subscribers its reference data (the dossier's lists and form
schema, `reference_data`) may have changed: those lists live in its code, so
only a new release changes them, and each instance says so when it starts
(event `reference_data_changed` {version}: a digest of what it answers).
Subscribers that keep a copy (the gateway's read cache) drop it."""
import hashlib
import json
import logging

from services.common.db import Database, UnitOfWork

log = logging.getLogger(__name__)

REFERENCE_DATA_CHANGED = "reference_data_changed"


def reference_version():
    from .entrypoints import reference_answer  # the answer of reference_data itself
    text = json.dumps(reference_answer(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class AnnouncingDatabase(Database):
    """accounts' Database: as any service's, and once started, one
    `reference_data_changed` through the outbox."""

    def start(self):
        super().start()
        self.container.spawn_managed_thread(self.announce_reference_data)

    def announce_reference_data(self):
        unit = UnitOfWork(self.sessions(), self.metadata, on_commit=self.relay.wake)
        try:
            unit.emit(REFERENCE_DATA_CHANGED, {"version": reference_version()})
            unit.commit()
        except Exception:  # its database is not there yet: caches keep their TTL
            log.warning("could not announce the reference data's version", exc_info=True)
        finally:
            unit.close()
