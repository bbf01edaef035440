"""SMTP delivery, and the loop that runs it."""
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from eventlet import Timeout
from eventlet.event import Event
from nameko.extensions import DependencyProvider, Entrypoint

from .domain import smtp_settings


class OutcomeUnknown(Exception):
    """The message went out but its answer was lost (connection dropped or timed
    out after the final dot): the relay may have accepted it."""


class _SMTP(smtplib.SMTP):
    """Knows whether the message itself has been handed over."""
    message_sent = False

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):  # smtplib's end of DATA
            self.message_sent = True


class Mailer:
    def __init__(self, settings):
        self.settings = settings

    def new_message_id(self):
        """An RFC 5322 Message-ID in the sender's domain."""
        domain = parseaddr(self.settings["sender"])[1].rpartition("@")[2] or "localhost"
        return make_msgid(domain=domain)

    def send(self, to, subject, body, code, message_id=None):
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
        s = self.settings
        smtp = _SMTP(s["host"], s["port"], timeout=s["timeout"])
        try:
            if s["starttls"]:
                smtp.starttls()
            if s["user"]:
                smtp.login(s["user"], s["password"] or "")
            smtp.send_message(message)
        except smtplib.SMTPResponseException:
            raise  # the relay answered: refused, not taken
        except Exception as exc:
            if smtp.message_sent:
                raise OutcomeUnknown(str(exc) or type(exc).__name__) from exc
            raise
        finally:
            try:  # accepted is accepted: a failed QUIT changes nothing
                smtp.quit()
            except Exception:
                smtp.close()


class MailerProvider(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return Mailer(smtp_settings())  # read per worker: tests and ops may change SMTP_*


class DeliveryTimer(Entrypoint):
    """Runs its method every `interval` seconds, and at once when woken (a
    handler committed a mail) or when the last run did something (its method
    returns how many mails it tried: more may be due). Each run is `concurrency`
    workers at once, so that one slow SMTP conversation does not hold back the
    others; other instances share the work through the database."""

    def __init__(self, interval, concurrency=1, **kwargs):
        self.interval = interval
        self.concurrency = concurrency
        self.should_stop = False
        self.woken = Event()
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
            runs = []
            for _ in range(self.concurrency):
                done = Event()
                runs.append(done)
                self.container.spawn_worker(self, (), {}, handle_result=self._result_to(done))
            if any([done.wait() for done in runs]):  # mails were tried: more may be due
                self.wake()

    @staticmethod
    def _result_to(done):
        def handle_result(worker_ctx, result, exc_info):
            done.send(bool(result) and exc_info is None)
            return result, exc_info
        return handle_result


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
