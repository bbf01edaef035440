"""Staff: staff users, their role and scope, commission members; staff
helping candidates (search, an account on their behalf, a new activation
link, deletion)."""
import logging

from services.common import actors
from services.common.db import flush_unique
from services.common.errors import EXPECTED, Conflict, NotFound, ValidationFailed
from services.common.idempotency import idempotent
from services.common.rpc import answer_or_none, rpc

from .. import schemas
from .. import exceptions as codes
from ..authentication import flows, login_sessions, passwords, throttle
from ..dossier import access
from ..dossier import queries as dossier_queries
from ..models import StaffUser
from ..shared import AccountsShared
from . import candidates, preferences, queries, users

log = logging.getLogger(__name__)


class StaffEntrypoints(AccountsShared):

    # -- staff help -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def search_candidates(self, actor, text):
        actors.require_staff(actor)
        return candidates.search(self.db.session, actor, text, self._campaign_code())

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def create_account_for(self, actor, data, idempotency_key=None):
        candidates.require_account_role(actor)
        candidate = flows.create_account(self.db, data, self.clock(), self._campaign_code(),
                                         origin="staff", created_by=actor.get("display_name"))
        candidates.record_creator_centres(self.db.session, actor, candidate)
        self.db.commit()
        return {"candidate_id": candidate.id, "dossier_number": candidate.dossier_number}

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def resend_activation(self, actor, candidate_id, idempotency_key=None):
        candidates.require_account_role(actor)
        target, _ = access.dossier_owner(actor, candidate_id, write=True, session=self.db.session,
                                         staff_only=True)
        candidate = self._candidate(target, lock=True)
        if candidate.activated_at is not None:
            raise Conflict(codes.ALREADY_ACTIVATED, "this account is already activated")
        flows.new_activation_link(self.db, candidate, self.clock())
        self.db.commit()
        return {"sent": True}

    @rpc(expected_exceptions=EXPECTED)
    def delete_account(self, actor, candidate_id):
        candidates.require_account_role(actor)
        target, _ = access.dossier_owner(actor, candidate_id, write=True, session=self.db.session,
                                         staff_only=True)
        # Deletion wipes every application: all of them must be in the actor's scope.
        candidates.require_every_centre(actor, dossier_queries.centres_of(self.db.session, target))
        flows.delete_candidate(self.db, self._candidate(target, lock=True), "staff")
        self.db.commit()
        return {"deleted": True}

    # -- the staff user's own preferences ------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def save_preferences(self, actor, key, value):
        """Sets one of the actor's own preferences (value None: back to the
        default); only their own row, whatever their role (readonly too: a
        choice of columns changes no data). -> all their preferences."""
        actors.require_staff(actor)
        user = queries.staff_user(self.db.session, actor.get("id"), lock=True)
        if user is None or not user.active:
            raise NotFound(codes.NOT_FOUND, "no such staff user")
        user.preferences = preferences.updated(user.preferences, key, value)
        self.db.commit()
        return dict(user.preferences)

    # -- staff users and roles ---------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_staff(self, actor):
        actors.require_admin(actor)
        return [users.view(user) for user in queries.staff_users(self.db.session)]

    @rpc(expected_exceptions=EXPECTED)
    def get_staff(self, actor, login_or_id):
        """One staff user (as list_staff shows them), by login or id: the
        edit page reads only the user it edits."""
        actors.require_admin(actor)
        user = None
        if isinstance(login_or_id, int) and not isinstance(login_or_id, bool) or \
                isinstance(login_or_id, str) and login_or_id.isdigit():
            user = queries.staff_user(self.db.session, login_or_id)
        elif isinstance(login_or_id, str) and login_or_id.strip():
            user = queries.staff_by_login(self.db.session, login_or_id)
        if user is None:
            raise NotFound(codes.NOT_FOUND, "no such staff user")
        return users.view(user)

    @rpc(expected_exceptions=EXPECTED)
    @idempotent
    def create_staff(self, actor, data, idempotency_key=None):
        actors.require_admin(actor)
        clean, errors = users.validate(data, True, self._known_centres(),
                                             self._known_commissions(actor))
        if "login" not in errors and queries.staff_by_login(self.db.session, clean["login"]):
            errors["login"] = codes.LOGIN_TAKEN
        if "presides" not in errors:
            errors.update(users.presidency_taken(
                users.staff_for_update(self.db.session), clean))
        schemas.raise_if_invalid(errors)
        password = clean.pop("password")
        user = StaffUser(password_hash=passwords.hash_password(password), created_at=self.clock(),
                         **clean)
        self.db.session.add(user)
        # the same login created concurrently
        flush_unique(self.db, ValidationFailed(codes.INVALID, "login taken",
                                               fields={"login": codes.LOGIN_TAKEN}))
        self.db.commit()
        return users.view(user)

    @rpc(expected_exceptions=EXPECTED)
    def update_staff(self, actor, staff_id, data):
        """Role and scope changes apply to the user's sessions within seconds
        (check_session); disabling the user or setting their password ends them."""
        actors.require_admin(actor)
        user = queries.staff_user(self.db.session, staff_id, lock=True)
        if user is None:
            raise NotFound(codes.NOT_FOUND, "no such staff user")
        clean, errors = users.validate(data, False, self._known_centres(),
                                             self._known_commissions(actor), login=user.login)
        if "presides" not in errors:
            errors.update(users.presidency_taken(
                users.staff_for_update(self.db.session), clean, user.id))
        schemas.raise_if_invalid(errors)
        users.check_not_locking_out(actor, user, clean)
        password = clean.pop("password", None)
        for key, value in clean.items():
            setattr(user, key, value)
        if password:
            user.password_hash = passwords.hash_password(password)
            # staff have no reset flow: the administrator's new password lets them in
            throttle.clear_account(self.db.session, "staff", user.id)
        user.updated_at = self.clock()
        if password or not user.active:  # a copied session cookie stops working at once
            login_sessions.end_all(self.db.session, user.updated_at,
                                   "staff_password" if user.active else "staff_disabled",
                                   staff_id=user.id)
        self.db.commit()
        return users.view(user)

    def _known_centres(self):
        """The catalogue's centre codes, or None when it does not answer in time."""
        centres = answer_or_none(self.catalog.list_centres)
        if not isinstance(centres, list):
            return None
        return {c.get("code") for c in centres if isinstance(c, dict)}

    # -- commission members: staff_users.commissions / presides -----------------

    @rpc(expected_exceptions=EXPECTED)
    def list_commission_members(self, actor, commission_code):
        """The committee members of a commission in the actor's centres:
        [{login, display_name, email, president, active}]."""
        actors.require_staff(actor)
        code = users.commission_in_scope(actor, commission_code,
                                               self._commissions_seen_by(actor))
        return users.members_of(queries.staff_users(self.db.session), code)

    @rpc(expected_exceptions=EXPECTED)
    def set_commission_members(self, actor, commission_code, members):
        """Sets who sits on a commission (members [{login, president}], committee
        users, exactly one president): admin, scol, or a manager of its centre.
        The new scope applies to their sessions within seconds (check_session)."""
        users.require_member_editor(actor)
        code = users.commission_in_scope(actor, commission_code,
                                               self._commissions_seen_by(actor))
        wanted, errors = users.member_list(members)
        schemas.raise_if_invalid(errors)
        staff = users.staff_for_update(self.db.session)
        schemas.raise_if_invalid(users.check_members(staff, wanted))
        changed = users.set_members(staff, code, wanted, self.clock())
        self.db.emit("commission_members_changed", {
            "commission": code, "members": [{"login": login, "president": president}
                                            for login, president in sorted(wanted.items())],
            "changed": [user.login for user in changed]})
        self.db.commit()
        return users.members_of(staff, code)

    def _commissions_seen_by(self, actor):
        """The catalogue's commissions (asked as this service, which sees them
        all) that lie in the staff actor's centres."""
        return users.in_centres_of(actor, self.catalog.list_commissions())

    def _known_commissions(self, actor):
        """The catalogue's commission codes (as the actor sees them: an admin
        sees all), or None when the catalogue does not answer in time."""
        commissions = answer_or_none(self._commissions_seen_by, actor)
        if not isinstance(commissions, list):
            return None
        return {c.get("code") for c in commissions if isinstance(c, dict)}
