"""The accounts service (services/README.md, accounts): candidate accounts and
their activation, logins of candidates and staff, the candidate's dossier,
staff users. Entrypoints check the actor, check the rules, change, emit and
commit once; nothing is written when an error is raised. Tokens and passwords
are never logged.

nameko runs one class per service: this one declares the dependencies and
is composed of one class of entrypoints per sub-domain, each in its package
with its rules and queries (dossier/, authentication/, staff/). Mixins rather
than delegating methods: each entrypoint is written once, next to the rules
it applies, and nameko finds inherited entrypoints as it finds ServiceBase's.
"""
from services.common.clock import Clock
from services.common.rpc import ServiceRpc
from services.common.service_base import ServiceBase

from . import jobs
from .authentication.entrypoints import AuthenticationEntrypoints
from .dossier.announce import AnnouncingDatabase
from .dossier.entrypoints import DossierEntrypoints
from .models import Base
from .staff.entrypoints import StaffEntrypoints


class AccountsService(AuthenticationEntrypoints, DossierEntrypoints, StaffEntrypoints,
                      ServiceBase):
    name = "accounts"
    db = AnnouncingDatabase(Base.metadata)  # says at start its reference data may have changed
    clock = Clock()
    scheduled_jobs = jobs.JOBS  # the purge of accounts never activated (services/accounts/jobs.py)
    catalog = ServiceRpc("catalog")
