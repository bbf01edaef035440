"""What the catalog tests share besides fixtures: the day their catalogue's
dates are built around, and the staff who act on it (one of each role, the
managers in their centre)."""
from datetime import date

from tests.support.actors import staff

TODAY = date(2027, 3, 10)

ADMIN, SCOL = staff("admin"), staff("scol")
MANAGER_SCI, MANAGER_LLSH = staff("manager", ["SCI"]), staff("manager", ["LLSH"])
COMMITTEE, READONLY = staff("committee", ["SCI"]), staff("readonly", ["SCI", "LLSH"])
