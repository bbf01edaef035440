"""The RPCs that no staff scope decides: public ones (any verified caller:
the gateway for a visitor, a candidate, staff, a service) and internal ones
(other services only), and the administrators' operations every service
has. The scope matrices have a row for every other RPC;
tests/services/test_forged_actors.py sends forged actors to all of them."""
PUBLIC = {
    "accounts": {"ping", "register_candidate", "check_activation_token", "activate_account",
                 "authenticate_candidate", "authenticate_staff", "authenticate_cas",
                 "communes", "reference_data", "request_activation_link",
                 "request_credentials", "check_reset_token", "reset_password",
                 "check_email_token", "confirm_email_change", "check_email_refusal",
                 "refuse_email_change"},
    "catalog": {"ping", "get_offer", "get_formation", "get_active_campaign", "centre_limits",
                "catalogue_columns", "list_reference", "catalogue_rights"},
    "applications": {"ping"},
    "documents": {"ping"},
    "notifications": {"ping"},
}

INTERNAL = {
    "accounts": {"check_ready_to_apply": "applications",
                 "dossiers_for_documents": "applications"},
    "catalog": {},
    "applications": {},
    "documents": {"get_download": "applications", "render_admission_letter": "applications",
                  "discard_upload": "applications", "arrange_piece": "applications",
                  "piece_parts": "applications", "render_dossier": "applications",
                  "render_letter": "applications", "get_letter_template": "applications",
                  "save_letter_template": "applications", "start_archive": "applications"},
    "notifications": {},
}


# Every service's operations RPCs (services/common/service_base.py):
# administrators only, whatever their scope; tested in
# tests/services/common/test_dead_letters.py and tests/services/common/test_jobs.py.
ADMIN_ONLY = {"list_dead_letters", "replay_dead_letters", "list_jobs", "run_job"}


def rpc_names(service_cls):
    """Every RPC entrypoint of a nameko service class."""
    from nameko.rpc import Rpc
    return {name for name in dir(service_cls)
            if any(isinstance(e, Rpc)
                   for e in getattr(getattr(service_cls, name), "nameko_entrypoints", ()))}


def unscoped(service):
    return PUBLIC[service] | set(INTERNAL[service]) | ADMIN_ONLY
