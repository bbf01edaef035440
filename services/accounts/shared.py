"""What the three sub-domains of accounts (dossier, authentication, staff)
share: the candidate by id and the active campaign, asked of the catalog
without ever waiting on it for long. The entrypoint classes of the
sub-domains build on it; services/accounts/service.py composes them."""
from services.common.errors import NotFound
from services.common.rpc import answer_or_none

from . import exceptions as codes
from . import queries


class AccountsShared:
    """Helpers of the entrypoints; `db`, `clock` and `catalog` are the
    dependencies AccountsService declares."""

    def _active_campaign(self):
        """The active campaign {code, label, start, end, login_until}; None
        without one, or when the catalog does not answer in time: nothing is
        refused because the catalog is away."""
        try:
            campaign = answer_or_none(self.catalog.get_active_campaign)
        except NotFound:
            return None
        return campaign if isinstance(campaign, dict) else None

    def _campaign_code(self):
        """The active campaign's code (INE is unique within it), or None."""
        return (self._active_campaign() or {}).get("code")

    def _candidate(self, candidate_id, lock=False):
        candidate = queries.candidate(self.db.session, candidate_id, lock=lock)
        if candidate is None:
            raise NotFound(codes.NOT_FOUND, "no such candidate")
        return candidate
