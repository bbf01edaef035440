"""SMTP delivery, and the loop that runs it.

Every wait on the relay has a deadline (domain.smtp_settings): connecting and
each reply SMTP_TIMEOUT, the whole conversation SMTP_DEADLINE_SECONDS. Nothing
here waits outside eventlet's sight: the EHLO name is looked up once, at start
(smtplib would ask the resolver in C for every mail, freezing the instance)."""
import functools
import logging
import smtplib
import socket
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from eventlet import Timeout
from eventlet.event import Event
from nameko.extensions import DependencyProvider, Entrypoint

from .domain import smtp_settings

log = logging.getLogger(__name__)


class OutcomeUnknown(Exception):
    """The message went out but its answer was lost (connection dropped or timed
    out after the final dot): the relay may have accepted it."""


class ConversationTooLong(Exception):
    """The relay took longer than SMTP_DEADLINE_SECONDS over the whole conversation."""


@functools.cache
def host_name():
    """This host's name for EHLO (what smtplib says by default), looked up once."""
    return socket.getfqdn()


class _SMTP(smtplib.SMTP):
    """Knows whether the message itself has been handed over."""
    message_sent = False

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):  # smtplib's end of DATA
            self.message_sent = True


class _SMTPS(smtplib.SMTP_SSL):
    """The same, over TLS from the first byte (SMTP_TLS=1)."""
    message_sent = False

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.message_sent = True


class Mailer:
    def __init__(self, settings):
        self.settings = settings

    def new_message_id(self):
        """An RFC 5322 Message-ID in the sender's domain."""
        domain = parseaddr(self.settings["sender"])[1].rpartition("@")[2] or "localhost"
        return make_msgid(domain=domain)

    def send(self, to, subject, body, code, message_id=None, html=None, bcc=None):
        """Returns once the relay accepted the mail. OutcomeUnknown when that
        cannot be known; any other error means the relay did not take it."""
        message = EmailMessage()
        message["From"] = self.settings["sender"]
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id or self.new_message_id()
        message["X-Mail-Code"] = code
        message.set_content(body, charset="utf-8")
        if html:
            message.add_alternative(html, subtype="html", charset="utf-8")
        s = self.settings
        smtp = None
        deadline = Timeout(s["deadline"], ConversationTooLong(
            f"no answer from the relay within {s['deadline']:g} s"))
        try:
            kind = _SMTPS if s.get("tls") else _SMTP
            smtp = kind(local_hostname=s["helo_name"] or host_name(), timeout=s["timeout"])
            answer, greeting = smtp.connect(s["host"], s["port"])
            if answer != 220:
                raise smtplib.SMTPConnectError(answer, greeting)
            if s["starttls"]:
                smtp.starttls()
            if s["user"]:
                smtp.login(s["user"], s["password"] or "")
            # Bcc is an envelope recipient only, never a header.
            smtp.send_message(message, to_addrs=[to] + ([bcc] if bcc else []))
        except smtplib.SMTPResponseException:
            raise  # the relay answered: refused, not taken
        except Exception as exc:
            if smtp is not None and smtp.message_sent:
                raise OutcomeUnknown(str(exc) or type(exc).__name__) from exc
            raise
        else:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError, ConversationTooLong) as exc:
                # accepted is accepted: a failed QUIT changes nothing (closed below)
                log.debug("QUIT after an accepted mail failed: %s", exc)
        finally:
            deadline.cancel()
            if smtp is not None:
                smtp.close()  # a relay that stopped answering gets no QUIT to wait on


class MailerProvider(DependencyProvider):
    def setup(self):
        host_name()  # before serving: the lookup would block every worker

    def get_dependency(self, worker_ctx):
        return Mailer(smtp_settings())  # read per worker: tests and ops may change SMTP_*


class DeliveryTimer(Entrypoint):
    """Runs its method every `interval` seconds, and at once when woken (a
    handler committed a mail) or when a run did something (its method returns
    how many mails it tried: more may be due). Up to `concurrency` workers run
    at once, each in its own place: one slow SMTP conversation holds its place
    only, the others go on sending; other instances share the work through the
    database."""

    def __init__(self, interval, concurrency=1, **kwargs):
        self.interval = interval
        self.concurrency = concurrency
        self.should_stop = False
        self.woken = Event()
        self.running = 0
        self.missed = False  # woken while every place was taken
        self.gt = None
        super().__init__(**kwargs)

    def start(self):
        self.gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        self.should_stop = True
        self.wake()
        self.gt.wait()

    def kill(self):
        self.gt.kill()

    def wake(self):
        if not self.woken.ready():
            self.woken.send(True)

    def _run(self):
        while not self.should_stop:
            with Timeout(self.interval, exception=False):
                self.woken.wait()
            if self.woken.ready():
                self.woken.reset()
            if self.should_stop:
                break
            self.missed = self.running >= self.concurrency
            while self.running < self.concurrency:
                self.running += 1
                self.container.spawn_worker(self, (), {}, handle_result=self._finished)

    def _finished(self, worker_ctx, result, exc_info):
        self.running -= 1
        if (result and exc_info is None) or self.missed:  # more may be due
            self.missed = False
            self.wake()
        return result, exc_info


delivery_timer = DeliveryTimer.decorator


class DeliveryWakeup(DependencyProvider):
    """`self.delivery.queued()` in a handler: once that worker is over (its mails
    committed), the delivery loop runs without waiting for its next tick."""

    def setup(self):
        self.pending = set()

    def get_dependency(self, worker_ctx):
        pending = self.pending

        class Wakeup:
            def queued(self):
                pending.add(worker_ctx)
        return Wakeup()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if worker_ctx in self.pending and exc_info is None:
            for entrypoint in self.container.entrypoints:
                if isinstance(entrypoint, DeliveryTimer):
                    entrypoint.wake()

    def worker_teardown(self, worker_ctx):
        self.pending.discard(worker_ctx)
