"""Entry points every service has."""
from nameko.dependency_providers import Config

from . import dead_letters, jobs
from .actors import require_admin
from .clock import utcnow
from .errors import NotFound
from .idempotency import idempotent
from .logs import LogContext
from .rpc import rpc


class ServiceBase:
    nameko_config = Config()
    # every log line of a worker names the request and the kind of actor it serves
    log_context = LogContext()
    # the service's scheduled jobs (services/common/jobs.py); none by default
    scheduled_jobs = jobs.NO_JOBS

    @rpc
    def ping(self, actor):
        """Liveness: used by health checks and by the local runner (any verified caller)."""
        return {"service": self.name, "status": "ok"}

    @rpc
    def list_dead_letters(self, actor):
        """The events this service's handlers gave up on (administrators only);
        they stay where they are."""
        require_admin(actor)
        return dead_letters.list_letters(self.name, self.nameko_config.get("AMQP_URI"))

    @rpc
    def replay_dead_letters(self, actor, ids=None, idempotency_key=None):
        """Sends dead letters back to their handler (`ids`, or all when None);
        administrators only. Replaying again changes nothing: a replayed letter
        has left the queue, and each event is applied once per handler."""
        require_admin(actor)
        return dead_letters.replay(self.name, None if ids is None else list(ids),
                                   self.nameko_config.get("AMQP_URI"))

    # -- scheduled jobs (services/common/jobs.py) -----------------------------------

    def _now(self):
        clock = getattr(self, "clock", None)
        return clock() if callable(clock) else utcnow()

    @rpc
    def list_jobs(self, actor):
        """This service's jobs: schedule, next run, last runs (administrators only)."""
        require_admin(actor)
        return jobs.describe(self.db, self.scheduled_jobs, self._now(), self.name) \
            if len(self.scheduled_jobs) else []

    @rpc
    @idempotent
    def run_job(self, actor, name, idempotency_key=None):
        """Runs a job now (administrators only) -> the run's record: `done` with
        its counts, `failed` with the error, or `skipped` when another run of it
        was in progress (that one does the work)."""
        require_admin(actor)
        job = self.scheduled_jobs.get(name)
        if job is None:
            raise NotFound("job_not_found", f"no job {name!r} in {self.name}")
        return {**jobs.run(self.db, job, self._now(), jobs.MANUAL, actor), "service": self.name}

    @jobs.job_timer
    def run_due_jobs(self):
        """The schedule: every job whose time has come, as the system actor."""
        if not len(self.scheduled_jobs):
            return []
        return jobs.run_due(self.db, self.scheduled_jobs, self._now())
