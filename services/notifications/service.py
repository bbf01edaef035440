"""The notifications service: turns domain events into mails (fr/en), logs
every mail and delivers it over SMTP; failed deliveries are retried."""
import logging

from nameko.timer import timer
from sqlalchemy import delete, select

from services.common import actors
from services.common.clock import Clock
from services.common.db import Database, handle_once
from services.common.errors import EXPECTED, Forbidden
from services.common.events import event_handler
from services.common.rpc import rpc
from services.common.service_base import ServiceBase

from . import domain, schemas
from .dependencies import MailerProvider
from .models import Base, Mail, Recipient

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
RETRY_SECONDS = 60


def on_applications(event_type):
    return event_handler("applications", event_type, requeue_on_error=True)


class NotificationsService(ServiceBase):
    name = "notifications"
    db = Database(Base.metadata)
    clock = Clock()
    mailer = MailerProvider()

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
        self.db.session.execute(delete(Mail).where(Mail.candidate_id == candidate_id))
        self.db.session.execute(delete(Recipient).where(Recipient.candidate_id == candidate_id))
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

    @on_applications("application_confirmed")
    @handle_once
    def on_application_confirmed(self, event):
        self._mail_for("application_confirmed", event)

    @on_applications("application_withdrawn")
    @handle_once
    def on_application_withdrawn(self, event):
        self._mail_for("application_withdrawn", event)

    @on_applications("application_cancelled")
    @handle_once
    def on_application_cancelled(self, event):
        self._mail_for("application_cancelled", event)

    # -- reading -------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_mails(self, actor, candidate_id=None):
        """A candidate reads their own mails; staff read a given candidate's:
        staff limited to some centres only the mails about those centres, a
        committee member only those about their commissions' applications.
        No body ever shows a working link (domain.hide_link)."""
        query = select(Mail)
        if actors.is_staff(actor):
            if candidate_id is None or not str(candidate_id).isdigit():
                raise Forbidden("forbidden", "staff must name a candidate")
            query = query.where(Mail.candidate_id == int(candidate_id))
            if actor.get("role") == "committee":
                query = query.where(Mail.commission_code.in_(list(actor.get("commissions") or ())))
            else:
                centres = actors.staff_centres(actor)
                if centres is not None:
                    query = query.where(Mail.centre_code.in_(centres))
        else:
            query = query.where(Mail.candidate_id == actors.candidate_id(actor))
        rows = self.db.session.scalars(
            query.order_by(Mail.created_at.desc(), Mail.id.desc())).all()
        return [schemas.mail(row) for row in rows]

    # -- delivery retries -----------------------------------------------------------------

    @timer(interval=RETRY_SECONDS)
    def retry_failed_mails(self):
        """Mails whose SMTP delivery failed are tried again, a few times."""
        rows = self.db.session.scalars(
            select(Mail).where(Mail.status == "failed", Mail.attempts < MAX_ATTEMPTS)
            .with_for_update(skip_locked=True).limit(100)).all()
        for row in rows:
            self._deliver(row)
        self.db.commit()

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

    def _recipient(self, event):
        """The contact copied from accounts' events wins (a later change of
        address, language or civility applies); else the event's snapshot.
        A deleted account's event carries the last contact itself."""
        row = self.db.session.get(Recipient, event.get("candidate_id") or 0)
        if row is not None:
            return {k: getattr(row, k) for k in
                    ("email", "dossier_number", "civility", "first_name", "last_name", "lang")}
        return domain.recipient_from_event(event)

    def _mail(self, event, code, extra=None, to=None):
        recipient = self._recipient(event)
        if recipient is None:
            log.warning("no address for candidate %s: %s not sent", event.get("candidate_id"), code)
            return
        lang = recipient.get("lang") or "fr"
        link = domain.secret_link(code, event)
        subject, body = domain.render(code, lang, {
            **domain.variables(event, recipient, lang),
            "link": domain.HIDDEN_LINK.get(lang, domain.HIDDEN_LINK["fr"]), **(extra or {})})
        row = Mail(event_id=event["event_id"], code=code, candidate_id=event.get("candidate_id"),
                   to_address=to or recipient["email"], lang=lang, subject=subject, body=body,
                   secret=link, centre_code=(event.get("centre") or {}).get("code"),
                   commission_code=(event.get("commission") or {}).get("code"),
                   status="queued", attempts=0, created_at=self.clock())
        self.db.session.add(row)
        self.db.session.flush()
        self._deliver(row)

    def _deliver(self, row):
        row.attempts += 1
        try:
            self.mailer.send(row.to_address, row.subject,
                             domain.reveal_link(row.body, row.secret, row.lang), row.code)
        except Exception as exc:  # SMTP away or refusing: logged, retried by the timer
            log.warning("mail %s (%s) not delivered: %s", row.id, row.code, exc)
            row.status, row.error = "failed", str(exc)[:500]
            self.db.emit("mail_failed", {"mail_id": row.id, "code": row.code,
                                         "candidate_id": row.candidate_id})
            return
        row.status, row.error, row.sent_at = "sent", None, self.clock()
        row.secret = None  # delivered: the working link is nowhere here any more
        self.db.emit("mail_sent", {"mail_id": row.id, "code": row.code,
                                   "candidate_id": row.candidate_id})
        if row.code == "ACCOUNT_DELETED":  # nothing of a deleted candidate stays
            self.db.session.delete(row)
