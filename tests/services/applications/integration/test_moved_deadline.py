"""Staff move a formation's return deadline in the real catalog service after a
candidate applied: the real applications service follows at once (transmit asks
the catalog) and its pages follow the catalog's formation_updated event."""
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nameko.testing.services import replace_dependencies
from sqlalchemy.orm import Session

from services.applications.service import ApplicationsService
from services.catalog.seed import seed
from services.catalog.service import CatalogService
from services.common.errors import Conflict
from tests.support.actors import candidate, staff
from tests.support.rpc import acting_rpc_proxy

SCOL = staff("scol", id=2, display_name="Scolarité")


def shown_deadline(applications, actor, application_id, expected, timeout=15):
    """The application's return deadline once the catalog's event is applied."""
    deadline = time.monotonic() + timeout
    while True:
        shown = applications.get_application(actor, application_id)["return_deadline"]
        if shown == expected or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


@pytest.fixture
def stack(container_factory, rabbit_config, service_db, doubles):
    service_db("applications")
    catalog_db = service_db("catalog")
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    with Session(catalog_db) as session:
        seed(session, today)
        session.commit()
    candidate_id = random.randint(100_000, 999_999)
    files = doubles.Documents()

    catalog = container_factory(CatalogService, rabbit_config)
    applications = container_factory(ApplicationsService, rabbit_config)
    accounts, documents = replace_dependencies(applications, "accounts", "documents")
    accounts.check_ready_to_apply.return_value = doubles.candidate_contact(candidate_id)
    documents.create_upload.side_effect = files.create_upload
    documents.confirm_upload.side_effect = files.confirm_upload
    catalog.start()
    applications.start()

    class Stack:
        actor = candidate(candidate_id)

        @staticmethod
        def day(offset):
            return (today + timedelta(days=offset)).isoformat()

        @staticmethod
        def rpc(service):
            return acting_rpc_proxy(service, rabbit_config)

    yield Stack()
    applications.stop()
    catalog.stop()


def test_transmit_follows_the_deadline_staff_move(stack):
    with stack.rpc("applications") as applications, stack.rpc("catalog") as catalog:
        view = applications.create_application(stack.actor, "MINFO1")
        application_id = view["id"]
        for piece in view["pieces"]:  # every piece done, not transmitted yet
            if piece["conditional"]:
                applications.set_not_concerned(stack.actor, application_id, piece["code"], True)
            else:
                ticket = applications.start_piece_upload(stack.actor, application_id,
                                                         piece["code"], "piece.pdf", 1000)
                applications.finish_piece_upload(stack.actor, application_id, piece["code"],
                                                 ticket["document_id"])
        assert applications.get_application(stack.actor, application_id)["can_transmit"]

        # Staff: the deadline was yesterday.
        catalog.bulk_update_formations(SCOL, ["MINFO1"], {"date_close": stack.day(-2),
                                                          "date_return": stack.day(-1)})
        with pytest.raises(Conflict) as refused:
            applications.transmit(stack.actor, application_id)
        assert refused.value.code == "return_deadline_passed"
        assert shown_deadline(applications, stack.actor, application_id,
                              stack.day(-1)) == stack.day(-1)
        assert not applications.get_application(stack.actor, application_id)["can_transmit"]

        # Staff: ten more days.
        catalog.bulk_update_formations(SCOL, ["MINFO1"], {"date_close": stack.day(5),
                                                          "date_return": stack.day(10)})
        assert shown_deadline(applications, stack.actor, application_id,
                              stack.day(10)) == stack.day(10)
        assert applications.get_application(stack.actor, application_id)["can_transmit"]
        sent = applications.transmit(stack.actor, application_id)
        assert sent["status"] == "RE" and sent["return_deadline"] == stack.day(10)
