"""Anyone who can reach the broker can publish an RPC request or an event.
Here an attacker does: the five services run as real containers on the real
broker and databases, and every RPC of every service is called with forged
actors (unsigned, signed with another key, altered, expired, issued for
another method or other arguments, the in-process system actor). Each is
refused `Forbidden`
(`untrusted_actor`) before anything runs. Forged events are dropped.

FORGED_CALLS has one row per RPC: the guard below fails when a service gains
an RPC without a row here, or an entrypoint that is not the verifying one."""
import os
import time
import uuid

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from nameko.events import EventHandler
from nameko.rpc import Rpc
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.accounts.service import AccountsService
from services.applications.service import ApplicationsService
from services.catalog.service import CatalogService
from deploy.local.processes import ensure_vhost
from services.common import trust
from services.common.actors import ANONYMOUS, service
from services.common.errors import Forbidden, NotFound
from services.common.events import TrustedEventHandler
from services.common.rpc import ActingProxy, TrustedRpc
from services.documents.service import DocumentsService
from services.notifications.service import NotificationsService
from tests.support.actors import SYSTEM, candidate, staff
from tests.support.rpc import signed_event_dispatcher
from tests.support.rpc_surface import rpc_names
from tests.support.snapshots import everything

SERVICES = {"accounts": AccountsService, "catalog": CatalogService,
            "applications": ApplicationsService, "documents": DocumentsService,
            "notifications": NotificationsService}

ADMIN = staff("admin")
CANDIDATE = candidate(7)
DOC = str(uuid.uuid4())
PERSONAL = {"civility": "M", "birth_name": "Pirate", "first_name": "Eve"}
OWNER = {"candidate_id": 7, "application_id": 12, "piece_code": "CNI"}

# What the attacker would have liked each call to do (arguments after the actor).
FORGED_CALLS = {
    "accounts": {
        "ping": (),
        "list_dead_letters": (),
        "replay_dead_letters": ([DOC],),
        "register_candidate": ({"last_name": "X", "first_name": "Y", "email": "x@example.org",
                                "email_confirm": "x@example.org", "lang": "fr"},),
        "check_activation_token": ("token",),
        "activate_account": ("token", "Pirate-2027-pass!", "Pirate-2027-pass!"),
        "authenticate_candidate": ("lea@example.org", "guess", "203.0.113.9"),
        "authenticate_staff": ("admin", "guess", "203.0.113.9"),
        "check_session": ("sid",),
        "end_session": ("sid",),
        "get_dossier": (7,),
        "save_dossier_section": ("personal", PERSONAL, 7),
        "add_dossier_entry": ("stages", {"year": "2026"}, 7),
        "update_dossier_entry": ("stages", 1, {"year": "2026"}, 7),
        "delete_dossier_entry": ("stages", 1, 7),
        "list_dossier_changes": (7,),
        "communes": ("75001",),
        "reference_data": (),
        "check_ready_to_apply": (7,),
        "authenticate_cas": ("ST-1", "http://testserver/cas"),
        "request_activation_link": ("lea@example.org",),
        "request_credentials": ("lea@example.org",),
        "check_reset_token": ("token",),
        "reset_password": ("token", "Pirate-2027-pass!", "Pirate-2027-pass!"),
        "request_email_change": ("eve@example.org", "eve@example.org"),
        "check_email_token": ("token",),
        "confirm_email_change": ("token",),
        "check_email_refusal": ("token",),
        "refuse_email_change": ("token", "Pirate-2027-pass!", "Pirate-2027-pass!"),
        "export_my_data": (),
        "delete_my_account": (),
        "purge_unactivated": (),
        "search_candidates": ("Martin",),
        "create_account_for": ({"last_name": "X", "first_name": "Y",
                                "email": "y@example.org"},),
        "resend_activation": (7,),
        "delete_account": (7,),
        "list_staff": (),
        "get_staff": (1,),
        "create_staff": ({"login": "eve", "display_name": "Eve", "role": "admin",
                          "password": "Pirate-2027-pass!"},),
        "update_staff": (1, {"role": "admin"}),
        "list_commission_members": ("SCI-INFO",),
        "set_commission_members": ("SCI-INFO", [{"login": "eve", "president": True}]),
    },
    "catalog": {
        "ping": (),
        "list_dead_letters": (),
        "replay_dead_letters": ([DOC],),
        "get_offer": ("informatique",),
        "get_formation": ("MINFO1",),
        "get_active_campaign": (),
        "list_centres": (),
        "centre_limits": (),
        "list_campaigns": (),
        "get_campaign": ("2027",),
        "get_commission": ("SCI-INFO",),
        "catalogue_rights": (),
        "save_campaign": ({"code": "2099", "label": "Pirate"},),
        "activate_campaign": ("2099",),
        "archive_campaign": ("2027",),
        "get_centre": ("SCI",),
        "save_centre": ({"label": "Pirate"}, "SCI"),
        "list_commissions": (),
        "list_formations": (),
        "save_formation": ({"label": "Pirate"}, "MINFO1"),
        "bulk_update_formations": (["MINFO1"], {"enabled": False}),
        "catalogue_columns": (),
        "export_catalogue": ("formations",),
        "import_catalogue": ("formations", []),
        "save_commission": ({"label": "Pirate"}, "SCI-INFO"),
        "list_reference": ("motive",),
        "save_reference_item": ("motive", {"code": "X", "label": "Pirate"}),
        "list_pieces": (),
        "get_piece": (1,),
        "start_upload": ("template", "modele.pdf", 100),
        "save_piece": ({"label": "Pirate"}, 1),
        "delete_piece": (1,),
        "assign_piece": ({"code": "X"}, ["MINFO1"]),
        "delete_formation": ("MINFO1",),
    },
    "applications": {
        "ping": (),
        "list_dead_letters": (),
        "replay_dead_letters": ([DOC],),
        "create_application": ("MINFO1",),
        "can_apply": ("MINFO1",),
        "apply_status": (["MINFO1"],),
        "list_my_applications": (),
        "get_application": (1,),
        "export_my_data": (),
        "start_piece_upload": (1, "CNI", "cni.pdf", 1000),
        "finish_piece_upload": (1, "CNI", DOC),
        "delete_piece_file": (1, "CNI"),
        "set_not_concerned": (1, "CNI", True),
        "get_piece_download": (1, "CNI"),
        "get_piece_template": (1, "CNI"),
        "transmit": (1,),
        "cancel": (1,),
        "list_applications": ({},),
        "set_piece_status": (1, "CNI", "VA"),
        "set_file_status": (1, "CO"),
        "enter_decision": (1, "FA"),
        "validate_decision": (1,),
        "confirm": (1,),
        "withdraw": (1,),
        "get_admission_letter": (1,),
    },
    "documents": {
        "ping": (),
        "list_dead_letters": (),
        "replay_dead_letters": ([DOC],),
        "create_upload": (OWNER, "cni.pdf", 1000, 2 * 1024 * 1024),
        "confirm_upload": (DOC,),
        "discard_upload": (DOC, OWNER),
        "get_download": (DOC,),
        "delete_document": (DOC,),
        "render_admission_letter": ({"application_id": 12, "candidate_id": 7},),
        "list_my_documents": (),
    },
    "notifications": {
        "ping": (),
        "list_dead_letters": (),
        "replay_dead_letters": ([DOC],),
        "list_mails": (7,),
        "list_failed_mails": (),
        "resend_mails": ([1],),
        "list_templates": (),
        "get_template": ("STATUS_CO", "fr"),
        "preview_template": ("STATUS_CO", "fr"),
        "save_template": ("STATUS_CO", "fr", "Sujet", "Corps"),
        "revert_template": ("STATUS_CO", "fr", 1),
        "reset_template": ("STATUS_CO", "fr"),
    },
}


def _signed(actor, audience, key=None, age=0, args=None):
    """A token as trust.sign_actor makes it, with any key, dated `age` seconds
    ago, for the call's arguments (its row in FORGED_CALLS) unless others are given."""
    service_name, method = audience.split(".")
    if args is None:
        args = FORGED_CALLS.get(service_name, {}).get(method, ())
    class Dated(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - age
    serializer = URLSafeTimedSerializer(key or trust.signing_key(), salt=trust.ACTOR_SALT,
                                        signer=Dated,
                                        signer_kwargs={"digest_method": trust.hashlib.sha256})
    return serializer.dumps({"actor": actor, "aud": audience,
                             "args": trust.arguments_digest(args, {})})


def _altered(audience):
    """A genuine candidate token whose claims are rewritten to an admin's."""
    genuine = _signed(CANDIDATE, audience)
    forged = _signed(ADMIN, audience, key="a key the attacker chose, as long as any other")
    claims = forged.rsplit(".", 2)[0]                  # payload . timestamp . signature
    stamp_and_signature = genuine.rsplit(".", 2)[1:]
    altered = ".".join([claims, *stamp_and_signature])
    assert altered != genuine
    return altered


FORGERIES = {
    "unsigned admin": lambda audience: ADMIN,
    "unsigned candidate": lambda audience: CANDIDATE,
    "no actor": lambda audience: None,
    "signed with another key": lambda audience: _signed(ADMIN, audience, key="x" * 64),
    "altered claims": _altered,
    "expired": lambda audience: _signed(ADMIN, audience, age=trust.actor_ttl() + 60),
    "issued for another method": lambda audience: _signed(ADMIN, "accounts.ping"
                                                          if audience != "accounts.ping"
                                                          else "catalog.ping"),
    "system over the wire": lambda audience: _signed(SYSTEM, audience),
    "issued for other arguments": lambda audience: _signed(ADMIN, audience,
                                                           args=("something else",)),
}


def rpc_entrypoints(service_cls):
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            yield name, entrypoint


# -- the guards ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_rpc_has_a_forged_actor_row(name):
    rpcs = rpc_names(SERVICES[name])
    assert rpcs - set(FORGED_CALLS[name]) == set(), \
        f"add a row to FORGED_CALLS[{name!r}] for each new RPC"
    assert set(FORGED_CALLS[name]) - rpcs == set(), "rows for RPCs that no longer exist"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_entrypoint_verifies_who_sent_the_message(name):
    for method, entrypoint in rpc_entrypoints(SERVICES[name]):
        if isinstance(entrypoint, Rpc):
            assert isinstance(entrypoint, TrustedRpc), f"{name}.{method}: use services.common.rpc"
        if isinstance(entrypoint, EventHandler):
            assert isinstance(entrypoint, TrustedEventHandler), \
                f"{name}.{method}: use services.common.events.event_handler"


# -- the attack ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def broker():
    """A vhost of this module's own: no event left in a queue by another test
    reaches these containers (their databases must show only what the calls did)."""
    uri = os.environ["AMQP_URI"]
    base = "amqp://guest:guest@127.0.0.1:5672/"
    if uri.startswith(base) and ensure_vhost("ecandidat_test_forged"):
        uri = base + "ecandidat_test_forged"
    return {"AMQP_URI": uri, "serializer": "json", "max_workers": 10}


@pytest.fixture(scope="module")
def platform(broker, s3_endpoint, smtp_sink, databases):
    """The five services as containers on the test broker and databases;
    `before`: every row of every table once they are up."""
    from nameko.containers import ServiceContainer

    engines = {name: databases.empty(name) for name in SERVICES}
    containers = [ServiceContainer(cls, broker) for cls in SERVICES.values()]
    for container in containers:
        container.start()
    with ClusterRpcProxy(broker, timeout=15) as proxy:
        proxy.before = {name: everything(engine) for name, engine in engines.items()}
        proxy.engines = engines
        yield proxy
    for container in containers:
        container.stop()
    for name in SERVICES:
        databases.empty(name)


CASES = [(name, method, forgery) for name in sorted(FORGED_CALLS)
         for method in sorted(FORGED_CALLS[name]) for forgery in FORGERIES]


@pytest.mark.parametrize("name, method, forgery", CASES)
def test_a_forged_actor_is_refused_before_anything_runs(platform, name, method, forgery):
    actor = FORGERIES[forgery](f"{name}.{method}")
    with pytest.raises(Forbidden) as refused:
        getattr(getattr(platform, name), method)(actor, *FORGED_CALLS[name][method])
    assert refused.value.code == "untrusted_actor"


def test_nothing_the_forgeries_asked_for_happened(platform):
    """The calls above named real effects (an admin created, a campaign
    archived, a candidate registered...): no table of any service changed."""
    for name, engine in platform.engines.items():
        assert everything(engine) == platform.before[name], f"{name} was written"


def test_a_genuine_actor_gets_through(platform):
    assert ActingProxy(platform.catalog, "catalog").ping(ANONYMOUS)["status"] == "ok"
    with pytest.raises(NotFound):  # past the gate, the method itself answers
        ActingProxy(platform.documents, "documents").get_download(service("applications"), DOC)


@pytest.mark.parametrize("who", [ADMIN, CANDIDATE, ANONYMOUS, service("accounts")])
def test_files_are_handed_out_to_the_applications_service_only(platform, who):
    """documents.get_download used to need no identity at all."""
    with pytest.raises(Forbidden) as refused:
        ActingProxy(platform.documents, "documents").get_download(who, DOC)
    assert refused.value.code == "forbidden"


def test_a_forged_event_is_dropped_and_a_signed_one_applied(platform, broker):
    from nameko.standalone.events import event_dispatcher

    documents = ActingProxy(platform.documents, "documents")
    for candidate_id in (7, 8):
        documents.create_upload(service("applications"),
                                {**OWNER, "candidate_id": candidate_id}, "cni.pdf", 1000, None)
    # The attacker asks every subscriber to delete candidate 7's data: unsigned,
    # then as a genuine event of candidate 7 republished under another type.
    event_dispatcher(broker)("accounts", "account_deleted", {
        "event_id": str(uuid.uuid4()), "event_type": "account_deleted", "candidate_id": 7})
    genuine = trust.sign_event("accounts", "candidate_updated", {
        "event_id": str(uuid.uuid4()), "event_type": "candidate_updated", "candidate_id": 7})
    event_dispatcher(broker)("accounts", "account_deleted", genuine)
    # A genuine deletion, published after it, is applied.
    signed_event_dispatcher(broker)("accounts", "account_deleted", {
        "event_id": str(uuid.uuid4()), "event_type": "account_deleted", "candidate_id": 8})

    def owners():
        with platform.engines["documents"].connect() as conn:
            return sorted(r[0] for r in conn.execute(text("SELECT candidate_id FROM documents")))
    deadline = time.time() + 15
    while owners() != [7] and time.time() < deadline:
        time.sleep(0.1)
    assert owners() == [7]  # the later, genuine event ran: the forged one was dropped
