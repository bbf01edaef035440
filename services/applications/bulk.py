"""Bulk actions: one change (operations.py) applied to many applications, the
ones ticked in the staff list or every one its filter matches.

Each application is loaded, checked (role, scope, rules) and changed on its
own, and committed on its own with its events: a refusal of one rolls back
that one only. The answer says, per application, done, unchanged (already in
that state: nothing written, no event) or refused with the reason's code
(not_found, out_of_scope, forbidden, the Conflict's code, or service_unavailable
when a service it needs for that one did not answer).

A request works for TIME_BUDGET_SECONDS at most (its caller waits on the
answer: the gateway 30 s): the applications not reached by then are answered
`remaining`, for the user to continue with (the result page offers it); at
least one application is handled per request, so continuing always ends.

A new action is one entry of ACTIONS:
    "validate_treatment": Action(operations.validate_treatment, actors.REVIEWERS),
(the operation, the role group it needs, how its parameters are checked
once for the whole request, what it gets from the service's context).

With an idempotency key (once()), the key is claimed and committed first, the
answer stored when every application is done: a repeat gets that answer, a
duplicate sent meanwhile is refused `bulk_in_progress`; if the worker dies
half-way the claim is taken over later, and the applications already done are
found "unchanged".
"""
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from services.common import actors, idempotency
from services.common.clock import utcnow
from services.common.config import env
from services.common.db import json_safe
from services.common.errors import Conflict, Forbidden, NotFound, Unavailable, ValidationFailed

from . import access, domain, notes, operations, queries, schemas
from . import exceptions as codes

log = logging.getLogger(__name__)

MAX_APPLICATIONS = 5000
# Seconds a request may work before answering the rest `remaining`: under the
# gateway's RPC_TIMEOUT (30 s), with room for the answer and the page.
TIME_BUDGET_SECONDS = float(env("BULK_TIME_BUDGET_SECONDS", "20"))
# A claimed key still without its answer after this long: its worker died.
ABANDONED_SECONDS = 120
TOO_MANY = "bulk_too_many"  # ValidationFailed: more applications than MAX_APPLICATIONS
IN_PROGRESS = "bulk_in_progress"  # Conflict: the same request (key) is being applied
UNKNOWN_ACTION = "bulk_unknown_action"


# -- the parameters of each action, checked once for the whole request -------------------

def _no_params(params, context):
    return {}


def _file_status(params, context):
    return {"status": schemas.file_status(params.get("status"))}


def _piece_status(params, context):
    code = params.get("piece_code")
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed(codes.INVALID, "a piece code", {"piece_code": "required"})
    status, comment = schemas.piece_review(params.get("status"), params.get("comment"))
    return {"piece_code": code.strip(), "status": status, "comment": comment}


def _decision(params, context):
    code = params.get("code")
    data = params.get("data") or {}
    # refused here rather than once per application
    fields = domain.decision_data(code, data, today=domain.paris_today(context.now))
    motives = None
    if code == domain.DE:
        motives = context.motives()
        operations.resolve_motive(fields, motives)
    return {"code": code, "data": data, "motives": motives}


def _overrides(params, context):
    today = domain.paris_today(context.now)
    kwargs = {}
    for name in ("return_deadline", "confirm_deadline"):
        value = params.get(name)
        if value is not None:  # absent: left as it is; "": the override removed
            domain.override_day(value, today, name)
            kwargs[name] = value
    if not kwargs:
        raise ValidationFailed(codes.INVALID, "a date to set or remove",
                               {"return_deadline": "required"})
    return kwargs


def _tags_to_add(params, context):
    tags = notes.tag_codes(params.get("tags"))
    return {"tags": notes.require_active(tags, context.tag_items())}


def _tags(params, context):
    return {"tags": notes.tag_codes(params.get("tags"))}


@dataclass(frozen=True)
class Action:
    operation: Callable                  # (unit, actor, application, **params) -> False: unchanged
    roles: tuple = None                  # the services.common.actors group it needs, if any
    params: Callable = _no_params        # (params, context) -> the operation's keywords
    context: tuple = ("now",)            # what it gets from the service: now, refresh_dates
    fixed: dict = field(default_factory=dict)   # keywords always passed
    unchanged_codes: tuple = ()          # a Conflict of these codes means "already so"
    list_lock: bool = False              # may move the waiting list: its lock before the row's


ACTIONS = {
    "file_status": Action(operations.set_file_status, actors.REVIEWERS, _file_status),
    "piece_status": Action(operations.set_piece_status, actors.REVIEWERS, _piece_status),
    "enter_decision": Action(operations.enter_decision, None, _decision),
    "validate_decision": Action(operations.validate_decision, actors.DECIDERS,
                                context=("now", "refresh_dates"), fixed={"repeat": True},
                                list_lock=True),
    "validate_treatment": Action(operations.validate_treatment, actors.REVIEWERS,
                                 fixed={"repeat": True}, list_lock=True),
    "set_overrides": Action(operations.set_overrides, actors.REVIEWERS, _overrides),
    "add_tags": Action(operations.add_tags, actors.REVIEWERS, _tags_to_add),
    "remove_tags": Action(operations.remove_tags, actors.REVIEWERS, _tags),
}


@dataclass
class Context:
    """What actions may need of the service: the time, the formation's dates
    as the catalog has them (refresh_dates), the catalogue's active tags and
    refusal motives."""
    now: object
    refresh_dates: Callable = None
    tag_items: Callable = list
    motives: Callable = list


# -- the request ---------------------------------------------------------------------------

def action_of(name):
    action = ACTIONS.get(name) if isinstance(name, str) else None
    if action is None:
        raise ValidationFailed(UNKNOWN_ACTION, f"unknown action {name!r}",
                               {"action": "invalid_choice"})
    return action


def requested_ids(application_ids):
    """The ids asked, without duplicates, in their order (what is not an id
    stays, to be answered not_found)."""
    if not isinstance(application_ids, (list, tuple)):
        raise ValidationFailed(codes.INVALID, "a list of application ids",
                               {"application_ids": "invalid"})
    ids = list(dict.fromkeys(_id_or_text(i) for i in application_ids))
    if len(ids) > MAX_APPLICATIONS:
        raise too_many()
    return ids


def _id_or_text(value):
    """An application id as an int; anything else (beyond the column's range
    too) as its text, answered not_found."""
    text = str(value).strip()
    if not isinstance(value, bool) and isinstance(value, (int, str)) and text.isdigit() \
            and int(text) < 2 ** 31:
        return int(text)
    return text[:40]


def too_many():
    return ValidationFailed(TOO_MANY, f"at most {MAX_APPLICATIONS} applications at once",
                            {"application_ids": TOO_MANY, "limit": str(MAX_APPLICATIONS)})


def filtered_ids(session, actor, filters):
    """Every application the staff list shows with these filters (its very
    filter function), up to MAX_APPLICATIONS, by id."""
    filters = schemas.list_filters(filters)
    if filters.get("centre"):
        actors.require_centre(actor, filters["centre"])
    ids = queries.staff_ids(session, actor, filters, MAX_APPLICATIONS + 1)
    if len(ids) > MAX_APPLICATIONS:
        raise too_many()
    return ids


def check_request(actor, action, application_ids, filters):
    actors.require_staff(actor, write=True)
    if action.roles and not actors.has_role(actor, action.roles):
        raise Forbidden("forbidden", f"role {actor.get('role')} cannot do this")
    if (application_ids is None) == (filters is None):
        raise ValidationFailed(codes.INVALID, "either application_ids or filters",
                               {"application_ids": "required"})


# -- applying it ----------------------------------------------------------------------------

def refusal_code(error, action):
    """(outcome, code) of an error raised for one application."""
    if isinstance(error, Conflict) and error.code in action.unchanged_codes:
        return "unchanged", None
    if isinstance(error, NotFound) and error.code == codes.NOT_FOUND:
        return "refused", "not_found"
    return "refused", error.code


def apply_all(unit, actor, action, kwargs, ids, budget=None):
    """Applies the action to each application, each committed (or rolled back)
    on its own, until `budget` seconds have gone (then the rest is `remaining`)."""
    budget = TIME_BUDGET_SECONDS if budget is None else budget
    answer = {"done": [], "unchanged": [], "refused": [], "remaining": [], "total": len(ids)}
    deadline = time.monotonic() + budget
    for index, application_id in enumerate(ids):
        if index and time.monotonic() > deadline:
            answer["remaining"] = ids[index:]
            log.info("bulk action: %d applications left for the next request", len(ids) - index)
            break
        try:
            if action.list_lock and isinstance(application_id, int):
                key = queries.formation_key(unit.session, application_id)
                if key:
                    queries.lock_formation(unit.session, *key)
            application = access.staff_application(unit.session, actor, application_id,
                                                    write=True, roles=action.roles)
            changed = action.operation(unit, actor, application, **kwargs)
        except (NotFound, Forbidden, Conflict, ValidationFailed, Unavailable) as error:
            # Unavailable: a service this one asks (the catalog, for an FA's dates)
            unit.rollback()
            outcome, code = refusal_code(error, action)
            if outcome == "unchanged":
                answer["unchanged"].append(application_id)
            else:
                answer["refused"].append({"id": application_id, "code": code})
            continue
        except Exception:
            unit.rollback()
            raise
        if changed is False:
            unit.rollback()  # releases the row lock; nothing was written
            answer["unchanged"].append(application_id)
        else:
            unit.commit()
            answer["done"].append(application_id)
    return answer


def run(unit, actor, name, params, application_ids, filters, context):
    """The bulk action `name` (see ACTIONS) on the applications given or matched."""
    action = action_of(name)
    check_request(actor, action, application_ids, filters)
    if params is not None and not isinstance(params, dict):
        raise ValidationFailed(codes.INVALID, "params: an object", {"params": "invalid"})
    kwargs = {**action.params(dict(params or {}), context), **action.fixed,
              **{name: getattr(context, name) for name in action.context}}
    ids = (requested_ids(application_ids) if application_ids is not None
           else filtered_ids(unit.session, actor, filters))
    unit.rollback()  # the reads above hold no lock: each application is its own transaction
    return apply_all(unit, actor, action, kwargs, ids)


# -- the idempotency key -----------------------------------------------------------------------

def once(unit, method, actor, key, arguments, command):
    """`command()` once for (method, actor, key): the key is claimed and
    committed first (answer still empty), then the applications are committed
    one by one, then the answer is stored. A repeat gets the stored answer; a
    duplicate arriving while the first works is refused `bulk_in_progress`
    (the first's page shows the result); a claim left empty by a worker that
    died is taken over after ABANDONED_SECONDS. One connection, as every worker."""
    if key is None:
        return command()
    key = idempotency.check_key(key)
    table = unit.metadata.tables[idempotency.TABLE]
    who, print_ = idempotency.actor_identity(actor), idempotency.fingerprint(arguments)
    this = (table.c.method == method, table.c.actor == who, table.c.key == key)
    session, now = unit.session, utcnow()
    idempotency.purge(session, table, now)
    claimed = session.execute(
        insert(table).values(method=method, actor=who, key=key, fingerprint=print_,
                             result=None, created_at=now)
        .on_conflict_do_nothing().returning(table.c.key)).first()
    if claimed is None:  # the first's claim is committed (our INSERT waited for it)
        first = session.execute(select(table.c.fingerprint, table.c.result, table.c.created_at)
                                .where(*this).with_for_update()).first()
        if first is None:
            unit.rollback()
            raise Conflict(idempotency.KEY_REUSED, "this key has expired; send a new one")
        if first.fingerprint != print_:
            unit.rollback()
            raise Conflict(idempotency.KEY_REUSED,
                           "this idempotency key was used with other arguments")
        if first.result is not None:
            unit.rollback()
            return first.result
        if first.created_at > now - timedelta(seconds=ABANDONED_SECONDS):
            unit.rollback()
            raise Conflict(IN_PROGRESS, "this bulk action is being applied")
        session.execute(table.update().where(*this).values(created_at=now))  # taken over
    unit.commit()
    try:
        result = json_safe(command())
    except BaseException:
        unit.rollback()
        session.execute(delete(table).where(*this))  # a request that failed keeps no key
        unit.commit()
        raise
    session.execute(table.update().where(*this).values(result=result))
    unit.commit()
    return result
