"""The catalog service (services/README.md, catalog): the offer candidates
browse, and the formation data other services snapshot (dates, contacts,
required pieces). Read-only entrypoints, open to anyone: the catalogue is public.
"""
from nameko.rpc import rpc

from services.common.db import Database
from services.common.errors import EXPECTED, NotFound
from services.common.service_base import ServiceBase

from . import domain, queries, schemas
from . import exceptions as codes
from .models import Base


class CatalogService(ServiceBase):
    name = "catalog"
    db = Database(Base.metadata)

    @rpc(expected_exceptions=EXPECTED)
    def get_offer(self, filter_text=None):
        """The enabled formations of the active campaign as a tree centre ->
        level -> formation, narrowed by the candidate's filter."""
        campaign = queries.active_campaign(self.db.session)
        if campaign is None:
            return []
        formations = queries.offered_formations(self.db.session, campaign.id)
        return domain.offer_tree([schemas.offer_entry(f) for f in formations], filter_text)

    @rpc(expected_exceptions=EXPECTED)
    def get_formation(self, code):
        """Any formation by code, enabled or not: callers decide what a disabled
        one allows (applications refuses new applications to it)."""
        formation = queries.formation_by_code(self.db.session, code) \
            if isinstance(code, str) else None
        if formation is None:
            raise NotFound(codes.FORMATION_NOT_FOUND, f"no formation {code!r}")
        definitions = queries.piece_definitions_for(self.db.session, formation)
        pieces = domain.required_pieces([schemas.piece_definition(d) for d in definitions],
                                        formation.treatment_type)
        return schemas.formation(formation, pieces)

    @rpc(expected_exceptions=EXPECTED)
    def get_active_campaign(self):
        campaign = queries.active_campaign(self.db.session)
        if campaign is None:
            raise NotFound(codes.NO_ACTIVE_CAMPAIGN, "no campaign is active")
        return schemas.campaign(campaign)

    @rpc(expected_exceptions=EXPECTED)
    def list_centres(self):
        return [schemas.centre_summary(c) for c in queries.centres(self.db.session)]
