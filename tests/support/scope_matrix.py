"""What a scope matrix expects of one (role, RPC) cell: allowed (and what it
sees), or refused with an error class."""
from services.common.errors import Forbidden, NotFound
from tests.support.actors import staff


class Outcome:
    def __init__(self, error=None, seen=None):
        self.error, self.seen = error, seen

    def __repr__(self):
        return self.error.__name__ if self.error else f"allowed {self.seen or ''}"


OK, FORBIDDEN, NOT_FOUND = Outcome(), Outcome(Forbidden), Outcome(NotFound)


def staff_actor(staff_id, login, role, centres=(), commissions=(), presides=()):
    """A staff actor as accounts hands it to the services, with its commissions."""
    return staff(role, centres, id=staff_id, login=login, commissions=list(commissions),
                 presides=list(presides))


def outcome_table(roles, allowed, refused=FORBIDDEN, **special):
    """{role: Outcome}: `allowed` roles OK, the others `refused`, unless named."""
    return {role: special.get(role, OK if role in allowed else refused) for role in roles}
