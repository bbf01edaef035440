"""Helpers of the accounts tests: the service under worker_factory, with the
real (migrated, emptied) database and a clock the test sets. Each call gets a
fresh unit of work, closed afterwards, as a nameko worker would. Helpers walk a
candidate through the steps users take (register, activate, fill the dossier)."""
import uuid
from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import text

from services.accounts.models import Base
from services.accounts.service import AccountsService
from services.common.actors import ANONYMOUS
from services.common.clock import FixedClock
from tests.support.actors import candidate, staff

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=timezone.utc)  # 10:00 in Paris
PASSWORD = "Candidat-2027!"
TABLES = ("candidates", "dossiers", "issued_dossier_numbers", "staff_users", "outbox_events",
          "processed_events", "candidate_centres", "candidate_commissions", "dossier_changes", "login_failures",
          "student_records", "login_sessions")

PERSONAL = {"civility": "MME", "birth_name": "Martin", "usage_name": "", "first_name": "Léa",
            "other_first_names": "", "birth_date": "2001-05-14", "nationality": "FR",
            "birth_country": "FR", "birth_department": "69", "birth_commune": "Lyon",
            "birth_town": "", "phone": "", "mobile": "06 12 34 56 78", "ine": "",
            "preferred_language": "fr"}
ADDRESS = {"line1": "12 rue des Lilas", "line2": "", "line3": "", "country": "FR",
           "postal_code": "69003", "commune": "Lyon", "city": "", "cedex": ""}
BAC = {"has_bac": "yes", "year": "2019", "country": "FR", "department": "69",
       "school": "Lycée du Parc", "series": "S", "mention": "B", "specialities": ""}
SECTION_DATA = {"personal": PERSONAL, "address": ADDRESS, "bac": BAC}

EXTERNAL = {"year": "2022", "country": "FR", "institution": "Université Lyon 1",
            "diploma_type": "Licence", "label": "Licence de physique", "obtained": "O"}

ADMIN = staff("admin", id=999)
STAFF_PASSWORD = "Gestion-2027-pass!"
# What an administrator types to create a manager (the `admin_harness` knows SCI and LLSH).
NEW_MANAGER = {"login": "gestion.droit", "display_name": "Gestion Droit",
               "email": "droit@univ-demo.fr", "role": "manager", "centres": ["SCI"],
               "password": STAFF_PASSWORD}


class Harness:
    def __init__(self, engine, unit_of_work):
        self.engine, self.unit_of_work = engine, unit_of_work
        self.clock = FixedClock(NOW)
        # Answers of the other services (outside accounts' boundary), by
        # "service.method" (a value, an exception to raise or a function to
        # run); anything else answers a MagicMock.
        self.remote = {"catalog.get_active_campaign": {"code": "2027", "label": "Campagne 2027"}}

    def call(self, method, *args, **kwargs):
        unit = self.unit_of_work(self.engine, Base.metadata)
        worker = worker_factory(AccountsService, db=unit, clock=self.clock)
        for name, answer in self.remote.items():
            service, remote_method = name.split(".")
            mocked = getattr(getattr(worker, service), remote_method)
            if isinstance(answer, Exception) or callable(answer):
                mocked.side_effect = answer
            else:
                mocked.return_value = answer
        try:
            return getattr(worker, method)(*args, **kwargs)
        finally:
            unit.close()  # rolls back anything left, as nameko's worker teardown does

    def purge(self):
        """The scheduled purge of accounts never activated, run now by an
        administrator (services/accounts/jobs.py) -> its counts."""
        record = self.call("run_job", staff("admin"), "purge_unactivated")
        assert record["status"] == "done", record
        return record["counts"]

    # -- reading the database behind the service's back ----------------------------

    def sql(self, statement, **params):
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None

    def state(self):
        return {t: self.sql(f'SELECT * FROM "{t}" ORDER BY 1') for t in TABLES}

    def events(self, event_type=None):
        rows = self.sql("SELECT payload FROM outbox_events ORDER BY created_at")
        return [r[0] for r in rows if event_type is None or r[0]["event_type"] == event_type]

    def refused(self, error_class, code, method, *args, fields=None, **kwargs):
        """Calls an RPC that must fail with `code` (and `fields` when given) and
        leave every table unchanged."""
        # a refused login is counted (throttle.py): that is its only trace
        kept = lambda state: {t: rows for t, rows in state.items()  # noqa: E731
                              if not (code == "bad_credentials" and t == "login_failures")}
        before = kept(self.state())
        with pytest.raises(error_class) as info:
            self.call(method, *args, **kwargs)
        assert info.value.code == code, info.value
        if fields is not None:
            assert info.value.fields == fields, info.value
        assert kept(self.state()) == before
        return info.value

    # -- what users do -------------------------------------------------------------

    def register(self, email=None, **data):
        """A new account; -> the RPC's answer plus the token of the activation mail."""
        email = email or f"lea.{uuid.uuid4().hex[:8]}@example.org"
        form = {"last_name": "Martin", "first_name": "Léa", "email": email,
                "email_confirm": email, "lang": "fr", **data}
        assert self.call("register_candidate", ANONYMOUS, form) == {"sent": True}
        event = self.events("candidate_registered")[-1]
        assert event["email"] == email
        return {"candidate_id": event["candidate_id"], "dossier_number": event["dossier_number"],
                "email": email, "token": event["activation_token"],
                "actor": candidate(event["candidate_id"])}

    def activated(self, email=None, password=PASSWORD):
        account = self.register(email)
        self.call("activate_account", ANONYMOUS, account["token"], password, password)
        return account

    def transmitted(self, candidate_id, application_id, commission="SCI-INFO"):
        """applications told accounts the candidate transmitted an application."""
        self.call("record_transmitted_commission", {
            "event_id": f"transmitted-{application_id}", "application_id": application_id,
            "candidate_id": candidate_id, "commission": {"code": commission}})

    def cancelled(self, candidate_id, application_id):
        self.call("forget_cancelled_application", {
            "event_id": f"cancelled-{application_id}", "application_id": application_id,
            "candidate_id": candidate_id})

    def fill(self, actor, *sections, candidate_id=None):
        view = None
        for section in sections or ("personal", "address", "bac"):
            view = self.call("save_dossier_section", actor, section, SECTION_DATA[section],
                             candidate_id=candidate_id)
        return view

