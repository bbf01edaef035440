"""Which mail an event produces and what it says: plain functions, no broker.

Templates are files templates/<lang>/<CODE>.txt: a "Subject: ..." line, a
blank line, then the body (Jinja2, plain text)."""
import random
from pathlib import Path

from jinja2 import Environment, FileSystemLoader

from services.common.config import env, public_url
from services.common.dates import format_date
from services.common.text import without_controls

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("fr", "en")
CIVILITIES = {"fr": {"M": "Monsieur", "MME": "Madame"}, "en": {"M": "Mr", "MME": "Ms"}}


TIME_SEPARATOR = {"fr": " à ", "en": " at "}
# What a stored mail shows instead of a link that holds a token (see hide_link).
HIDDEN_LINK = {"fr": "[lien masqué]", "en": "[link hidden]"}


class Lines(str):
    """A value a template lets span several lines: `{{ event.comment|lines }}`."""


def _printable(value):
    """Every value a template prints is one line (line breaks and other controls
    become spaces) unless marked `|lines`: a label can neither add a header nor
    fake a line of the mail. The services refuse such characters in what they
    store (services.common.text); this covers older data."""
    if isinstance(value, Lines):
        return without_controls(value, multiline=True)
    return without_controls(value) if isinstance(value, str) else value


def _environment_for(lang):
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                              keep_trailing_newline=True, autoescape=False,  # plain-text mails
                              finalize=_printable)
    # the mail's language, as the same date reads in a page (services.common.dates)
    environment.filters["date"] = lambda v: format_date(v, lang)
    environment.filters["lines"] = lambda v: Lines(v) if isinstance(v, str) else v
    environment.filters["datetime"] = lambda v: format_date(
        v, lang, with_time=True, time_separator=TIME_SEPARATOR[lang])
    return environment


_environments = {lang: _environment_for(lang) for lang in LANGUAGES}


def template_exists(code, lang):
    return (TEMPLATES / lang / f"{code}.txt").is_file()


def render(code, lang, variables):
    """(subject, body) of the mail `code` in `lang` (French when missing)."""
    lang = lang if lang in LANGUAGES and template_exists(code, lang) else "fr"
    text = _environments[lang].get_template(f"{lang}/{code}.txt").render(**variables)
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"template {lang}/{code} must start with 'Subject:'")
    # The subject is one header line whatever the values put into it.
    return without_controls(head[len("Subject:"):]), body.strip() + "\n"


def greeting_name(recipient, lang):
    civility = CIVILITIES.get(lang, CIVILITIES["fr"]).get(recipient.get("civility") or "", "")
    names = f"{recipient.get('first_name', '')} {recipient.get('last_name', '')}".strip()
    return f"{civility} {names}".strip()


def contact_email(event):
    centre = event.get("centre") or {}
    return centre.get("email") or env("INSTITUTION_CONTACT_EMAIL", "candidatures@univ-demo.fr")


def variables(event, recipient, lang):
    """Everything a template may use."""
    return {
        "event": event,
        "recipient": recipient,
        "name": greeting_name(recipient, lang),
        "dossier_number": recipient.get("dossier_number", ""),
        "formation": event.get("formation") or {},
        "centre": event.get("centre") or {},
        "commission": event.get("commission") or {},
        "contact_email": contact_email(event),
        "institution": env("INSTITUTION_NAME", "Université de démonstration"),
        "portal_url": public_url(),
        "application_url": f"{public_url()}/candidatures/{event.get('application_id', '')}",
    }


# event type -> how to find the mail code (None: no mail for this event)
def mail_code(event_type, event):
    if event_type == "candidate_registered":
        return "ACCOUNT_CREATED"
    if event_type == "application_created":
        return "APPLICATION_CREATED"
    if event_type == "status_changed":
        return {"RE": "STATUS_RE", "IN": "STATUS_IN", "CO": "STATUS_CO"}.get(event.get("to_status"))
    if event_type == "decision_validated":
        return f"DECISION_{event['code']}" if event.get("code") in ("FA", "DE", "LC", "LA", "PR") else None
    if event_type == "application_confirmed":
        return "APPLICATION_CONFIRMED"
    if event_type == "application_withdrawn":
        return "APPLICATION_WITHDRAWN_AUTO" if event.get("automatic") else "APPLICATION_WITHDRAWN"
    if event_type == "application_cancelled":
        return "APPLICATION_CANCELLED"
    return ACCOUNT_MAILS.get(event_type)


ACCOUNT_MAILS = {
    "candidate_registered": "ACCOUNT_CREATED",
    "activation_requested": "ACCOUNT_ACTIVATION_RESENT",
    "credentials_requested": "ACCOUNT_CREDENTIALS",
    "account_already_exists": "ACCOUNT_ALREADY_EXISTS",
    "email_change_requested": "ACCOUNT_EMAIL_CHANGE",
    "email_change_announced": "ACCOUNT_EMAIL_CHANGE_NOTICE",
    "password_changed": "ACCOUNT_PASSWORD_CHANGED",
    "account_deleted": "ACCOUNT_DELETED",
}


def activation_link(token):
    return f"{public_url()}/compte/activer/{token}"


def reset_link(token):
    return f"{public_url()}/compte/reinitialiser/{token}"


def email_change_link(token):
    return f"{public_url()}/compte/email/{token}"


def email_refusal_link(token):
    return f"{public_url()}/compte/refuser-email/{token}"


def secret_link(code, event):
    """The link of an account mail that opens something with a token, if any."""
    if code in ("ACCOUNT_CREATED", "ACCOUNT_ACTIVATION_RESENT") and event.get("activation_token"):
        return activation_link(event["activation_token"])
    if code == "ACCOUNT_CREDENTIALS" and event.get("reset_token"):
        return reset_link(event["reset_token"])
    if code == "ACCOUNT_EMAIL_CHANGE" and event.get("email_token"):
        return email_change_link(event["email_token"])
    if code == "ACCOUNT_EMAIL_CHANGE_NOTICE" and event.get("undo_token"):
        return email_refusal_link(event["undo_token"])
    return None


def hide_link(body, link, lang):
    """The body as stored and shown in the portal: the working link is kept
    apart only until the mail is delivered (reveal_link)."""
    return body.replace(link, HIDDEN_LINK.get(lang, HIDDEN_LINK["fr"])) if link else body


def reveal_link(body, link, lang):
    return body.replace(HIDDEN_LINK.get(lang, HIDDEN_LINK["fr"]), link) if link else body


def recipient_from_event(event):
    """The contact an event carries (applications events embed it as `candidate`;
    accounts events are about the candidate themself)."""
    source = event.get("candidate") if isinstance(event.get("candidate"), dict) else event
    keys = ("email", "dossier_number", "civility", "first_name", "last_name", "lang")
    contact = {k: source.get(k) for k in keys}
    return contact if contact.get("email") else None


def smtp_settings():
    return {
        "host": env("SMTP_HOST", "127.0.0.1"),
        "port": int(env("SMTP_PORT", "1025")),
        "user": env("SMTP_USER"),
        "password": env("SMTP_PASSWORD"),
        "starttls": env("SMTP_STARTTLS", "0") == "1",
        "sender": env("MAIL_FROM",
                      "Candidatures - Université de démonstration <ne-pas-repondre@univ-demo.fr>"),
        # Seconds: connecting and each reply of the relay (SMTP_TIMEOUT), and the
        # whole conversation (SMTP_DEADLINE_SECONDS): a relay that answers slowly
        # or never holds one delivery worker, and its mail's row, that long at most.
        "timeout": float(env("SMTP_TIMEOUT", "10")),
        "deadline": float(env("SMTP_DEADLINE_SECONDS", "60")),
        # The name said in EHLO; unset: this host's name, looked up once at start.
        "helo_name": env("SMTP_HELO_NAME"),
    }


def delivery_settings():
    """How long and how often a mail SMTP refuses or cannot take is tried again:
    the delay doubles from MAIL_RETRY_FIRST_SECONDS up to MAIL_RETRY_MAX_SECONDS,
    for MAIL_RETRY_WINDOW_HOURS after the mail was stored (then it is failed)."""
    return {
        "first_retry_seconds": float(env("MAIL_RETRY_FIRST_SECONDS", "30")),
        "max_retry_seconds": float(env("MAIL_RETRY_MAX_SECONDS", "3600")),
        "window_hours": float(env("MAIL_RETRY_WINDOW_HOURS", "72")),
    }


def retry_delay(attempts, settings, rand=random.random):
    """Seconds before the next attempt after `attempts` failed ones: exponential,
    capped, with jitter (between half and all of it) so that the mails an outage
    held back, and the instances sending them, do not all try at the same instant."""
    ceiling = min(settings["max_retry_seconds"],
                  settings["first_retry_seconds"] * 2 ** min(max(attempts, 1) - 1, 32))
    return ceiling * (0.5 + 0.5 * rand())
