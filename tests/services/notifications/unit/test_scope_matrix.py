"""Who may call each notifications RPC: every role against every RPC a staff
scope decides, with the real database; a refusal changes nothing."""
import pytest

from services.common.errors import Forbidden
from services.notifications.service import NotificationsService
from tests.support.actors import candidate, staff
from tests.support.rpc_surface import rpc_names, unscoped

ACTORS = {
    "admin": staff("admin", id=1),
    "scol": staff("scol", id=2),
    "manager_sci": staff("manager", ["SCI"], id=3),
    "committee": staff("committee", ["SCI"], id=4, commissions=["SCI-INFO"], presides=[]),
    "readonly": staff("readonly", id=5),
    "candidate": candidate(7),
}
ADMIN_ONLY = {"admin"}
EVERYONE = set(ACTORS)

# (method, arguments after the actor, who may)
MATRIX = [
    ("list_mails", (7,), EVERYONE),
    ("list_failed_mails", (), ADMIN_ONLY),
    ("resend_mails", ([1],), ADMIN_ONLY),
    ("list_templates", (), ADMIN_ONLY),
    ("get_template", ("STATUS_CO", "fr"), ADMIN_ONLY),
    ("preview_template", ("STATUS_CO", "fr"), ADMIN_ONLY),
    ("save_template", ("STATUS_CO", "fr", "Sujet", "Bonjour {{ name }}"), ADMIN_ONLY),
    ("revert_template", ("STATUS_CO", "fr", 1), ADMIN_ONLY),
    ("reset_template", ("STATUS_CO", "fr"), ADMIN_ONLY),
]


@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize("method, args, allowed", MATRIX, ids=[row[0] for row in MATRIX])
def test_each_role_calls_only_what_it_may(service, who, method, args, allowed):
    before = service.rows("SELECT count(*) FROM mail_template_versions")
    if who in allowed:
        try:
            service.call(method, ACTORS[who], *args)
        except Forbidden as refused:
            pytest.fail(f"{who} refused {method}: {refused}")
        except Exception:  # NotFound, ValidationFailed...: the scope let it through
            pass
    else:
        with pytest.raises(Forbidden):
            service.call(method, ACTORS[who], *args)
        assert service.rows("SELECT count(*) FROM mail_template_versions") == before


def test_the_matrix_covers_every_notifications_rpc_a_staff_scope_decides():
    covered = {row[0] for row in MATRIX}
    assert rpc_names(NotificationsService) - unscoped("notifications") - covered == set()
