"""SMTP delivery."""
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from nameko.extensions import DependencyProvider

from .domain import smtp_settings


class Mailer:
    def __init__(self, settings):
        self.settings = settings

    def send(self, to, subject, body, code):
        message = EmailMessage()
        message["From"] = self.settings["sender"]
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain="univ-demo.fr")
        message["X-Mail-Code"] = code
        message.set_content(body, charset="utf-8")
        s = self.settings
        with smtplib.SMTP(s["host"], s["port"], timeout=s["timeout"]) as smtp:
            if s["starttls"]:
                smtp.starttls()
            if s["user"]:
                smtp.login(s["user"], s["password"] or "")
            smtp.send_message(message)


class MailerProvider(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return Mailer(smtp_settings())  # read per worker: tests and ops may change SMTP_*
