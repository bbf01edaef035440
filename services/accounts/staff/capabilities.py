"""What a staff user's role lets them do, said by accounts (which checks it
again on every call): the staff actor built at login and by check_session,
and each staff user's view, carry these `can_*` flags, so the gateway shows
buttons and links from them instead of keeping its own copy of the roles."""
from services.common import actors


def capabilities(role):
    return {
        # create accounts for candidates, send a new activation link, delete, correct dossiers
        "can_manage_candidate_accounts": role in actors.ACCOUNT_MANAGERS,
        # staff users, their roles and scopes
        "can_manage_staff": role in actors.ADMINISTRATORS,
        # the events the services' handlers gave up on (ServiceBase checks the same)
        "can_replay_dead_letters": role in actors.ADMINISTRATORS,
        # the services' scheduled jobs: their last runs, and a run by hand
        "can_run_jobs": role in actors.ADMINISTRATORS,
        # who sits on a commission (within the user's centres)
        "can_manage_commission_members": role in actors.CATALOGUE_EDITORS,
        # every centre, not only those of staff_users.centres
        "can_see_all_centres": role in actors.CENTRAL_OFFICE,
    }
