"""Demo staff users (services/README.md, demo data):

    python -m services.accounts.seed

Idempotent: a user that already exists is left as it is (its password above
all: someone may have changed it). Prints the logins only.
"""
from sqlalchemy.orm import Session

from services.common.clock import utcnow
from services.common.db import make_engine
from services.common.migrations import upgrade

from .authentication import passwords
from .staff import queries as staff_queries
from .models import StaffUser

DEMO_PASSWORD = "Demo-2027-pass!"
DEMO_STAFF = (
    {"login": "admin", "display_name": "Administrateur", "role": "admin", "centres": [],
     "email": "admin@univ-demo.fr"},
    {"login": "scol", "display_name": "Scolarité centrale", "role": "scol", "centres": [],
     "email": "scolarite@univ-demo.fr"},
    {"login": "gestion.sci", "display_name": "Gestionnaire UFR Sciences et Techniques",
     "role": "manager", "centres": ["SCI"], "email": "scolarite-sciences@univ-demo.fr"},
    {"login": "gestion.llsh", "display_name": "Gestionnaire UFR LLSH", "role": "manager",
     "centres": ["LLSH"], "email": "scolarite-llsh@univ-demo.fr"},
)


def seed(session, now):
    """Creates the missing demo staff users; -> [(login, created?)]."""
    done = []
    for user in DEMO_STAFF:
        exists = staff_queries.staff_by_login(session, user["login"]) is not None
        if not exists:
            session.add(StaffUser(password_hash=passwords.hash_password(DEMO_PASSWORD),
                                  created_at=now, **user))
        done.append((user["login"], not exists))
    session.commit()
    return done


def main():
    upgrade("accounts")
    engine = make_engine("accounts")
    try:
        with Session(engine) as session:
            for login, created in seed(session, utcnow()):
                print(f"staff user {login}: {'created' if created else 'already there'}")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
