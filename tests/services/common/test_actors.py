"""The staff roles' groups (services.common.actors): what each role may do,
said once for every service."""
import pytest

from services.common import actors
from services.common.errors import Forbidden


def staff(role, **scope):
    return {"kind": "staff", "id": 3, "role": role, **scope}


# role -> the groups it belongs to
MATRIX = {
    "admin": {"WRITERS", "ADMINISTRATORS", "CENTRAL_OFFICE", "CATALOGUE_EDITORS",
              "ACCOUNT_MANAGERS", "REVIEWERS", "DECIDERS"},
    "scol": {"WRITERS", "CENTRAL_OFFICE", "CATALOGUE_EDITORS", "ACCOUNT_MANAGERS", "REVIEWERS",
             "DECIDERS"},
    "manager": {"WRITERS", "CATALOGUE_EDITORS", "ACCOUNT_MANAGERS", "REVIEWERS", "DECIDERS"},
    "committee": {"WRITERS", "DECIDERS"},
    "readonly": set(),
}
GROUPS = ("WRITERS", "ADMINISTRATORS", "CENTRAL_OFFICE", "CATALOGUE_EDITORS",
          "ACCOUNT_MANAGERS", "REVIEWERS", "DECIDERS")


@pytest.mark.parametrize("role", actors.STAFF_ROLES)
def test_each_role_belongs_to_the_groups_of_what_it_may_do(role):
    assert {name for name in GROUPS if actors.has_role(staff(role), getattr(actors, name))} \
        == MATRIX[role]


@pytest.mark.parametrize("actor", [{"kind": "candidate", "id": 12, "role": "admin"},
                                   {"kind": "service", "name": "catalog"}, actors.ANONYMOUS,
                                   actors.SYSTEM, None, staff("superuser")])
def test_no_one_but_staff_has_a_role(actor):
    assert not any(actors.has_role(actor, getattr(actors, name)) for name in GROUPS)
    with pytest.raises(Forbidden) as refused:
        actors.require_role(actor, actors.CATALOGUE_EDITORS)
    assert refused.value.code == "forbidden"


def test_require_role_lets_the_group_through_and_says_why_it_refuses():
    manager = staff("manager", centres=["SCI"])
    assert actors.require_role(manager, actors.CATALOGUE_EDITORS) is manager
    with pytest.raises(Forbidden) as refused:
        actors.require_role(staff("committee"), actors.CATALOGUE_EDITORS, "not your catalogue")
    assert (refused.value.code, refused.value.message) == ("forbidden", "not your catalogue")
    with pytest.raises(Forbidden) as refused:  # readonly users change nothing, whatever the group
        actors.require_role(staff("readonly"), actors.STAFF_ROLES)
    assert refused.value.code == "read_only"


def test_only_administrators_administer():
    assert actors.require_admin(staff("admin"))
    for role in ("scol", "manager", "committee"):
        with pytest.raises(Forbidden):
            actors.require_admin(staff(role))


def test_the_central_office_sees_every_centre_the_others_theirs():
    assert actors.staff_centres(staff("scol", centres=["SCI"])) is None
    assert actors.staff_centres(staff("manager", centres=["SCI"])) == {"SCI"}
    assert actors.staff_centres(staff("readonly")) == set()


def test_committee_members_are_scoped_by_commission():
    assert actors.is_committee_member(staff("committee", commissions=["C1"]))
    assert not actors.is_committee_member(staff("manager"))
    assert not actors.is_committee_member({"kind": "candidate", "id": 1, "role": "committee"})
