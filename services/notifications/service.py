"""The notifications service: turns domain events into mails (fr/en), logs
every mail and delivers it over SMTP.

A handler only stores the mail (queued). The delivery loop claims it, commits
the attempt (sending, with its Message-ID) before speaking SMTP and commits
`sent` after: a crash in between leaves it `sending`, and such a mail is never
resent automatically (`unconfirmed`: never twice wins over at least once).
Refused or unreachable SMTP: retried with exponential backoff for a window
(domain.delivery_settings), then `failed`."""
import logging
from datetime import timedelta

from nameko.timer import timer

from services.common import actors
from services.common.clock import Clock
from services.common.db import Database, flush_unique, handle_once
from services.common.errors import EXPECTED, Conflict, Forbidden, NotFound
from services.common.events import event_handler
from services.common.rpc import rpc
from services.common.service_base import ServiceBase

from . import domain, jobs, queries, schemas
from .dependencies import DeliveryWakeup, MailerProvider, OutcomeUnknown, delivery_timer
from .models import Base, Mail, Recipient, TemplateVersion

log = logging.getLogger(__name__)
# The loop also runs right after a handler commits a mail; the tick catches
# retries coming due and mails stored by an instance that has stopped.
DELIVERY_POLL_SECONDS = 2
DELIVERY_BATCH = 50
# Deliveries at once per instance: SMTP round trips overlap (each holds one of
# the MAX_WORKERS workers and its database connection meanwhile).
DELIVERY_CONCURRENCY = 4
# A mail still `sending` this long after its attempt began, with no instance
# holding its row (the sender keeps it locked through SMTP), was left by a
# process that died: SMTP may have accepted it.
SENDING_GRACE = timedelta(minutes=2)
# How often an instance looks for digests to send (each is made once a day).
DIGEST_POLL_SECONDS = 300


def on_applications(event_type):
    return event_handler("applications", event_type, requeue_on_error=True)


class NotificationsService(ServiceBase):
    name = "notifications"
    db = Database(Base.metadata)
    clock = Clock()
    mailer = MailerProvider()
    delivery = DeliveryWakeup()

    # -- accounts: keep the candidate's contact, mail the activation link ----------------

    @event_handler("accounts", "candidate_registered", requeue_on_error=True)
    @handle_once
    def on_candidate_registered(self, event):
        self._remember(event)
        self._mail(event, "ACCOUNT_CREATED", {"expires_at": event.get("activation_expires_at")})

    @event_handler("accounts", "activation_requested", requeue_on_error=True)
    @handle_once
    def on_activation_requested(self, event):
        self._remember(event)
        self._mail(event, "ACCOUNT_ACTIVATION_RESENT")

    @event_handler("accounts", "credentials_requested", requeue_on_error=True)
    @handle_once
    def on_credentials_requested(self, event):
        self._remember(event)
        self._mail(event, "ACCOUNT_CREDENTIALS")

    @event_handler("accounts", "account_already_exists", requeue_on_error=True)
    @handle_once
    def on_account_already_exists(self, event):
        """Someone registered this account's address again: the owner learns it
        (the registration form answered as for a new account)."""
        self._remember(event)
        self._mail(event, "ACCOUNT_ALREADY_EXISTS")

    @event_handler("accounts", "email_change_requested", requeue_on_error=True)
    @handle_once
    def on_email_change_requested(self, event):
        """To the new address: only its owner can confirm it."""
        self._mail(event, "ACCOUNT_EMAIL_CHANGE", to=event.get("new_email"))

    @event_handler("accounts", "email_change_announced", requeue_on_error=True)
    @handle_once
    def on_email_change_announced(self, event):
        """To the address in force before the change: if they did not ask,
        its link refuses the change."""
        self._mail(event, "ACCOUNT_EMAIL_CHANGE_NOTICE", to=event.get("notice_to"))

    @event_handler("accounts", "password_changed", requeue_on_error=True)
    @handle_once
    def on_password_changed(self, event):
        """The owner hears of every new password, at the address in force now
        (the event's: a contact update may not be handled yet)."""
        self._mail(event, "ACCOUNT_PASSWORD_CHANGED", to=event.get("email"))

    @event_handler("accounts", "account_deleted", requeue_on_error=True)
    @handle_once
    def on_account_deleted(self, event):
        """The last mail, then the candidate is forgotten here: their contact and
        every earlier mail go (the deletion mail itself once delivered)."""
        candidate_id = event.get("candidate_id")
        queries.forget_candidate(self.db.session, candidate_id)
        self._mail(event, "ACCOUNT_DELETED")

    @event_handler("accounts", "account_activated", requeue_on_error=True)
    @handle_once
    def on_account_activated(self, event):
        self._remember(event)

    @event_handler("accounts", "candidate_updated", requeue_on_error=True)
    @handle_once
    def on_candidate_updated(self, event):
        self._remember(event)

    # -- applications: one mail per fact ------------------------------------------------------

    @on_applications("application_created")
    @handle_once
    def on_application_created(self, event):
        self._mail_for("application_created", event)

    @on_applications("status_changed")
    @handle_once
    def on_status_changed(self, event):
        self._mail_for("status_changed", event)

    @on_applications("decision_validated")
    @handle_once
    def on_decision_validated(self, event):
        self._mail_for("decision_validated", event)
        self._alert("decision_validated", event)

    @on_applications("treatment_validated")
    @handle_once
    def on_treatment_validated(self, event):
        self._mail_for("treatment_validated", event)

    @on_applications("application_transmitted")
    @handle_once
    def on_application_transmitted(self, event):
        """No mail to the candidate (STATUS_RE says it); the commission's alert."""
        self._alert("application_transmitted", event)

    @on_applications("reminder_due")
    @handle_once
    def on_reminder_due(self, event):
        self._mail_for("reminder_due", event)

    @on_applications("application_confirmed")
    @handle_once
    def on_application_confirmed(self, event):
        self._mail_for("application_confirmed", event)

    @on_applications("application_withdrawn")
    @handle_once
    def on_application_withdrawn(self, event):
        self._mail_for("application_withdrawn", event)
        self._alert("application_withdrawn", event)

    @on_applications("application_cancelled")
    @handle_once
    def on_application_cancelled(self, event):
        self._mail_for("application_cancelled", event)
        self._alert("application_cancelled", event)

    # -- reading -------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_mails(self, actor, candidate_id=None):
        """A candidate reads their own mails; staff read a given candidate's:
        staff limited to some centres only the mails about those centres, a
        committee member only those about their commissions' applications.
        No body ever shows a working link (domain.hide_link)."""
        if actors.is_staff(actor):
            if candidate_id is None or not str(candidate_id).isdigit():
                raise Forbidden("forbidden", "staff must name a candidate")
            if actor.get("role") == "committee":
                rows = queries.mails(self.db.session, int(candidate_id),
                                     commissions=actor.get("commissions") or ())
            else:
                rows = queries.mails(self.db.session, int(candidate_id),
                                     centres=actors.staff_centres(actor))
        else:
            rows = queries.mails(self.db.session, actors.candidate_id(actor),
                                 audience="candidate")
        return [schemas.mail(row) for row in rows]

    # -- administrators: mails given up on, resent ---------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_failed_mails(self, actor, since=None):
        """Mails failed (retry window over), refused for good or unconfirmed,
        latest attempt first; `since` (ISO date or datetime): only those tried since."""
        actors.require_admin(actor)
        rows = queries.failed_mails(self.db.session, since=schemas.since(since))
        return [schemas.mail(row) for row in rows]

    @rpc(expected_exceptions=EXPECTED)
    def resend_mails(self, actor, ids=None, since=None, idempotency_key=None):
        """Queues again the given failed mails (`ids`), or all those tried since
        `since` (all when None): each gets a new retry window. Naturally
        idempotent: a resent mail is no longer failed, a second call finds nothing."""
        actors.require_admin(actor)
        ids = schemas.ids(ids)
        rows = queries.failed_mails(self.db.session, since=schemas.since(since), ids=ids,
                                    limit=100000, lock=True)
        now = self.clock()
        for row in rows:
            log.info("mail %s (%s) resent by staff %s (was %s)", row.id, row.code,
                     actor.get("id"), row.status)
            row.status, row.next_attempt_at, row.window_started_at = "queued", now, now
        resent = [row.id for row in rows]
        self.db.commit()
        if resent:
            self.delivery.queued()
        return {"resent": resent,
                "missing": sorted(set(ids or ()) - set(resent))}

    # -- administrators: the templates ----------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_templates(self, actor):
        """Every code in every language: edited or the shipped file, and since when."""
        actors.require_admin(actor)
        edited = queries.edited_templates(self.db.session)
        return [schemas.template_summary(code, lang, edited.get((code, lang)))
                for code in domain.CODES for lang in domain.LANGUAGES]

    @rpc(expected_exceptions=EXPECTED)
    def get_template(self, actor, code, lang):
        """The version in force, the shipped default, the variables and the versions."""
        actors.require_admin(actor)
        code, lang = schemas.template_key(code, lang)
        versions = queries.template_versions(self.db.session, code, lang)
        return schemas.template(code, lang, versions, domain.default_source(code, lang),
                                domain.variable_names(code))

    @rpc(expected_exceptions=EXPECTED)
    def preview_template(self, actor, code, lang, subject=None, body=None):
        """The mail rendered with a sample application (the text typed, or the
        version in force), checked as a save would check it."""
        actors.require_admin(actor)
        code, lang = schemas.template_key(code, lang)
        if subject is None or body is None:
            current = queries.template_in_force(self.db.session, code, lang)
            subject, body = (current.subject, current.body) if current is not None \
                and current.subject is not None else domain.default_source(code, lang)
        schemas.check_template(code, lang, subject, body)
        rendered_subject, rendered_body = domain.render(
            code, lang, domain.sample_variables(code, lang), source=(subject, body))
        return {"subject": rendered_subject, "body": rendered_body,
                "html": domain.html_part(rendered_subject, rendered_body, lang)}

    @rpc(expected_exceptions=EXPECTED)
    def save_template(self, actor, code, lang, subject, body, idempotency_key=None):
        """A new version in force, once checked (syntax, variables, a sample render).
        Saving what is in force already changes nothing (a double click)."""
        actors.require_admin(actor)
        code, lang = schemas.template_key(code, lang)
        subject, body = schemas.template_text(subject, body)
        schemas.check_template(code, lang, subject, body)
        return self._new_version(actor, code, lang, subject, body, "edit")

    @rpc(expected_exceptions=EXPECTED)
    def revert_template(self, actor, code, lang, version, idempotency_key=None):
        """Puts an earlier version back in force (as a new version: history kept)."""
        actors.require_admin(actor)
        code, lang = schemas.template_key(code, lang)
        old = queries.template_version(self.db.session, code, lang, schemas.version(version))
        if old is None:
            raise NotFound("template_version_not_found", "no such version")
        return self._new_version(actor, code, lang, old.subject, old.body, "revert",
                                 reverted_from=old.version)

    @rpc(expected_exceptions=EXPECTED)
    def reset_template(self, actor, code, lang, idempotency_key=None):
        """The shipped file in force again (as a new version: history kept)."""
        actors.require_admin(actor)
        code, lang = schemas.template_key(code, lang)
        return self._new_version(actor, code, lang, None, None, "reset")

    def _new_version(self, actor, code, lang, subject, body, action, reverted_from=None):
        current = queries.template_in_force(self.db.session, code, lang)
        if current is not None and (current.subject, current.body) == (subject, body):
            self.db.commit()
            return schemas.version_dict(current)
        if current is None and subject is None:  # resetting what was never edited
            self.db.commit()
            return {"version": 0, "action": "default"}
        row = TemplateVersion(code=code, lang=lang, version=(current.version if current else 0) + 1,
                              subject=subject, body=body, action=action,
                              reverted_from=reverted_from, author_id=actor.get("id"),
                              author_name=actor.get("display_name") or actor.get("login") or "",
                              created_at=self.clock())
        self.db.session.add(row)
        flush_unique(self.db, Conflict("template_changed",
                                       "another version was saved meanwhile: reload"))
        self.db.emit("mail_template_changed", {"code": code, "lang": lang,
                                               "version": row.version, "action": action})
        self.db.commit()
        return schemas.version_dict(row)

    # -- delivery ------------------------------------------------------------------------

    @delivery_timer(interval=DELIVERY_POLL_SECONDS, concurrency=DELIVERY_CONCURRENCY)
    def deliver_mails(self):
        """Sends the mails that are due, one at a time (any instance may run
        this at the same moment); returns how many it tried."""
        self._hold_interrupted()
        settings = domain.delivery_settings()
        tried = 0
        while tried < DELIVERY_BATCH:
            claimed = self._claim()
            if claimed is None:
                break
            self._send(*claimed, settings)
            tried += 1
        return tried

    def _hold_interrupted(self):
        """Mails left `sending` by a process that died: marked unconfirmed, for
        a person to decide (its SMTP relay's logs know the Message-ID)."""
        for row in queries.interrupted_mails(self.db.session, self.clock() - SENDING_GRACE):
            row.status, row.next_attempt_at = "unconfirmed", None
            row.error = "interrupted during its SMTP attempt: may have been delivered"
            log.warning("mail %s (%s) to candidate %s unconfirmed: attempt %s (Message-ID %s, "
                        "%s) was interrupted; not resent automatically", row.id, row.code,
                        row.candidate_id, row.attempts, row.message_id,
                        row.last_attempt_at.isoformat())
        self.db.commit()

    def _claim(self):
        """The next due mail, recorded as being sent (committed before SMTP)."""
        now = self.clock()
        row = queries.next_due_mail(self.db.session, now)
        if row is None:
            self.db.commit()
            return None
        row.status, row.attempts, row.last_attempt_at = "sending", row.attempts + 1, now
        row.message_id = self.mailer.new_message_id()
        self.db.commit()
        return row.id, row.message_id

    def _send(self, mail_id, message_id, settings):
        # Locked through the SMTP conversation: another instance sees this
        # attempt is alive and leaves it alone.
        row = queries.attempt_in_progress(self.db.session, mail_id, message_id)
        if row is None:  # held as unconfirmed meanwhile, or its candidate deleted
            self.db.commit()
            return
        try:
            domain.check_address(row.to_address)
            body = domain.reveal_link(row.body, row.secret, row.lang)
            self.mailer.send(row.to_address, row.subject, body, row.code,
                             message_id=row.message_id,
                             html=domain.html_part(row.subject, body, row.lang),
                             bcc=self._bcc(row))
        except OutcomeUnknown as exc:
            row.status, row.error, row.next_attempt_at = "unconfirmed", str(exc)[:500], None
            log.warning("mail %s (%s) to candidate %s unconfirmed: the relay's answer to "
                        "Message-ID %s was lost (%s); not resent automatically",
                        row.id, row.code, row.candidate_id, row.message_id, exc)
        except Exception as exc:  # SMTP away or refusing: tried again later, unless for good
            if domain.classify(exc) == domain.PERMANENT:
                self._refused(row, exc)
            else:
                self._attempt_failed(row, exc, settings)
        else:
            self._sent(row)
        self.db.commit()

    def _attempt_failed(self, row, exc, settings):
        now = self.clock()
        row.error = (str(exc) or type(exc).__name__)[:500]
        due = now + timedelta(seconds=domain.retry_delay(row.attempts, settings))
        started = row.window_started_at or row.created_at
        final = due > started + timedelta(hours=settings["window_hours"])
        if final:
            row.status, row.next_attempt_at = "failed", None
            log.error("mail %s (%s) to candidate %s given up after %s attempts since %s: %s",
                      row.id, row.code, row.candidate_id, row.attempts,
                      started.isoformat(), row.error)
        else:
            row.status, row.next_attempt_at = "queued", due
            log.warning("mail %s (%s) not delivered (attempt %s), next attempt at %s: %s",
                        row.id, row.code, row.attempts, due.isoformat(), row.error)
        self.db.emit("mail_failed", {"mail_id": row.id, "code": row.code,
                                     "candidate_id": row.candidate_id,
                                     "attempts": row.attempts, "final": final})

    def _refused(self, row, exc):
        """Refused for good (5xx, a bad address): retrying cannot help; staff see
        it on the candidate's page and on the failed mails page."""
        row.status, row.next_attempt_at = "refused", None
        row.error = (str(exc) or type(exc).__name__)[:500]
        log.error("mail %s (%s) to candidate %s refused for good (attempt %s): %s",
                  row.id, row.code, row.candidate_id, row.attempts, row.error)
        self.db.emit("mail_failed", {"mail_id": row.id, "code": row.code,
                                     "candidate_id": row.candidate_id,
                                     "attempts": row.attempts, "final": True,
                                     "permanent": True})

    @staticmethod
    def _bcc(row):
        """The centre's copy of the mails written to its candidates, if it keeps one."""
        if row.audience != "candidate" or not row.centre_code:
            return None
        return domain.bcc_for({"centre": {"code": row.centre_code}})

    def _sent(self, row):
        row.status, row.error, row.sent_at = "sent", None, self.clock()
        row.next_attempt_at = None
        row.secret = None  # delivered: the working link is nowhere here any more
        self.db.emit("mail_sent", {"mail_id": row.id, "code": row.code,
                                   "candidate_id": row.candidate_id})
        if row.code == "ACCOUNT_DELETED":  # nothing of a deleted candidate stays
            self.db.session.delete(row)

    # -- commission digests ----------------------------------------------------------------

    @timer(interval=DIGEST_POLL_SECONDS)
    def send_digests(self):
        """The commissions' daily digests, once MAIL_DIGEST_HOUR has passed
        (jobs.send_commission_digests: any instance, once per commission and day)."""
        done = jobs.send_commission_digests(self.db, self.clock())
        if done["digests"]:
            self.delivery.queued()
        return done

    # -- internals ---------------------------------------------------------------------------

    def _remember(self, event):
        contact = domain.recipient_from_event(event)
        if not contact or not event.get("candidate_id"):
            return None
        row = self.db.session.get(Recipient, event["candidate_id"])
        if row is None:
            row = Recipient(candidate_id=event["candidate_id"])
            self.db.session.add(row)
        for key, value in contact.items():
            if value is not None:
                setattr(row, key, value)
        row.lang = row.lang or "fr"
        row.updated_at = self.clock()
        return row

    def _mail_for(self, event_type, event):
        code = domain.mail_code(event_type, event)
        if code:
            extra = {"refused_pieces": event.get("refused_pieces") or []}
            self._mail(event, code, extra)

    def _alert(self, event_type, event):
        """The commission's alert, to its address, if it asked for this one."""
        code = domain.commission_alert(event_type, event)
        if code:
            self._mail(event, code, to=event["commission"]["email"], audience="commission",
                       lang="fr", held=domain.commission_digest(event))

    def _recipient(self, event):
        """The contact copied from accounts' events wins (a later change of
        address, language or civility applies); else the event's snapshot.
        A deleted account's event carries the last contact itself."""
        row = self.db.session.get(Recipient, event.get("candidate_id") or 0)
        if row is not None:
            return {k: getattr(row, k) for k in
                    ("email", "dossier_number", "civility", "first_name", "last_name", "lang")}
        return domain.recipient_from_event(event)

    def _mail(self, event, code, extra=None, to=None, audience="candidate", lang=None,
              held=False):
        recipient = self._recipient(event)
        if recipient is None:
            log.warning("no address for candidate %s: %s not sent", event.get("candidate_id"), code)
            return
        lang = lang or recipient.get("lang") or "fr"
        link = domain.secret_link(code, event)
        subject, body = self._render(code, lang, {
            **domain.variables(event, recipient, lang),
            "link": domain.HIDDEN_LINK.get(lang, domain.HIDDEN_LINK["fr"]), **(extra or {})})
        now = self.clock()
        row = Mail(event_id=event["event_id"], code=code, candidate_id=event.get("candidate_id"),
                   to_address=to or recipient["email"], lang=lang, subject=subject, body=body,
                   secret=link, centre_code=(event.get("centre") or {}).get("code"),
                   commission_code=(event.get("commission") or {}).get("code"),
                   commission_label=(event.get("commission") or {}).get("label"),
                   application_id=event.get("application_id"),
                   audience=audience, status="held" if held else "queued", attempts=0,
                   created_at=now, window_started_at=now, next_attempt_at=None if held else now)
        self.db.session.add(row)
        if held:  # in the commission's next daily digest (send_digests)
            return
        # Stored only: the delivery loop sends it once this handler has committed.
        self.delivery.queued()

    def _render(self, code, lang, variables):
        """With the administrators' version in force, if any; should it fail
        anyway (it was checked when saved), the shipped file: a mail is never
        lost to a template."""
        version = queries.template_in_force(self.db.session, code, lang)
        if version is not None and version.subject is not None:
            try:
                return domain.render(code, lang, variables, source=(version.subject, version.body))
            except Exception:
                log.exception("template %s/%s version %s failed: the shipped one is used",
                              code, lang, version.version)
        return domain.render(code, lang, variables)
