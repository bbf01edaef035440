"""Which mail an event produces and what it says: plain functions, no broker.

The shipped templates are files templates/<lang>/<CODE>.txt: a "Subject: ..."
line, a blank line, then the body (Jinja2, plain text). Administrators may
replace a file's subject and body by a version kept in the database
(service: templates); either is rendered in Jinja2's SandboxedEnvironment, and
every mail ends with the same footer (the contact and the do-not-reply line),
which no edit can drop. The HTML part is made from the rendered text, escaped."""
import functools
import random
import re
import smtplib
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date as babel_date, format_time as babel_time
from jinja2 import FileSystemLoader, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from services.common.config import env, public_url
from services.common.dates import PARIS
from services.common.text import without_controls

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("fr", "en")
CIVILITIES = {"fr": {"M": "Monsieur", "MME": "Madame"}, "en": {"M": "Mr", "MME": "Ms"}}
LOCALES = {"fr": "fr_FR", "en": "en_GB"}

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


def _parsed(value):
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, (date, datetime)) else None


def natural_date(value, lang):
    """14/02/2027 in French, 14 February 2027 in English; text that is not a
    date comes back as it is."""
    parsed = _parsed(value) if value else None
    if parsed is None:
        return value or ""
    if isinstance(parsed, datetime) and parsed.tzinfo:
        parsed = parsed.astimezone(PARIS)
    pattern = "dd/MM/yyyy" if lang != "en" else "d MMMM yyyy"
    return babel_date(parsed, pattern, locale=LOCALES.get(lang, "fr_FR"))


def natural_datetime(value, lang):
    """"14/02/2027 à 23 h 59" / "14 February 2027 at 11:59 pm", Paris time; a
    day alone is written as a day (a deadline day ends at its midnight)."""
    parsed = _parsed(value) if value else None
    if not isinstance(parsed, datetime):
        return natural_date(value, lang)
    if parsed.tzinfo:
        parsed = parsed.astimezone(PARIS)
    if lang == "en":
        return f"{natural_date(parsed, lang)} at " + babel_time(
            parsed, "h:mm a", locale="en_GB").lower()
    return f"{natural_date(parsed, lang)} à " + babel_time(parsed, "H 'h' mm", locale="fr_FR")


def _environment_for(lang):
    # Sandboxed: an administrator's template reaches the values it is given,
    # never Python internals (attributes starting with _, callables' globals).
    environment = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES)),
                                       keep_trailing_newline=True,
                                       autoescape=False,  # the plain-text part
                                       finalize=_printable)
    environment.filters["date"] = lambda v: natural_date(v, lang)
    environment.filters["lines"] = lambda v: Lines(v) if isinstance(v, str) else v
    environment.filters["datetime"] = lambda v: natural_datetime(v, lang)
    return environment


_environments = {lang: _environment_for(lang) for lang in LANGUAGES}
_html = SandboxedEnvironment(autoescape=True).from_string(
    '<!DOCTYPE html><html lang="{{ lang }}"><head><meta charset="utf-8">'
    "<title>{{ subject }}</title></head><body>"
    "{% for paragraph in paragraphs %}<p>{% for line in paragraph %}"
    "{% if line.url %}<a href=\"{{ line.url }}\">{{ line.url }}</a>{% else %}{{ line.text }}{% endif %}"
    "{% if not loop.last %}<br>{% endif %}{% endfor %}</p>{% endfor %}</body></html>")
URL = re.compile(r"^https?://\S+$")


def template_exists(code, lang):
    return (TEMPLATES / lang / f"{code}.txt").is_file()


@functools.lru_cache(maxsize=256)
def default_source(code, lang):
    """(subject, body) sources of the shipped file of `code` in `lang`."""
    text = (TEMPLATES / lang / f"{code}.txt").read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"template {lang}/{code} must start with 'Subject:'")
    return head[len("Subject:"):].strip(), body


def render(code, lang, variables, source=None):
    """(subject, body) of the mail `code` in `lang` (French when missing), from
    `source` (subject, body: an administrator's version) or the shipped file;
    the footer (contact, do-not-reply) ends every body."""
    lang = lang if lang in LANGUAGES else "fr"
    if source is None:
        lang = lang if template_exists(code, lang) else "fr"
        source = default_source(code, lang)
    subject = _compiled(lang, source[0]).render(**variables)
    body = _compiled(lang, source[1]).render(**variables).strip()
    environment = _environments[lang]
    footer = environment.get_template(f"{lang}/_footer.txt").render(**variables)
    # The subject is one header line whatever the values put into it.
    return without_controls(subject).strip(), body + "\n" + footer.rstrip() + "\n"


@functools.lru_cache(maxsize=512)
def _compiled(lang, source):
    """Compiling is most of a render's time: each text once (a saved version is
    a new text, so nothing stale is kept)."""
    return _environments[lang].from_string(source)


def html_part(subject, body, lang):
    """The HTML alternative of a rendered body: the same text, escaped, its
    paragraphs and links marked up."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [{"url": line.strip()} if URL.match(line.strip()) else {"text": line}
                 for line in block.split("\n")]
        paragraphs.append(lines)
    return _html.render(lang=lang, subject=subject, paragraphs=paragraphs)


# -- what a template may use ------------------------------------------------------------

# Mappings a template may read keys of, and which keys.
COMMON_MAPPINGS = {
    "recipient": ("civility", "first_name", "last_name", "email", "dossier_number"),
    "formation": ("code", "label"),
    "centre": ("code", "label", "email"),
    "commission": ("code", "label", "email", "address"),
}
COMMON_NAMES = ("name", "dossier_number", "contact_email", "institution", "portal_url",
                "application_url")
APPLICATION_EVENT = ("application_id", "occurred_at")
# code -> (names beyond the common ones, keys of `event`)
CODE_VARIABLES = {
    "ACCOUNT_CREATED": (("link", "expires_at"), ("activation_expires_at",)),
    "ACCOUNT_ACTIVATION_RESENT": (("link",), ("activation_expires_at",)),
    "ACCOUNT_CREDENTIALS": (("link",), ("reset_expires_at", "cas")),
    "ACCOUNT_EMAIL_CHANGE": (("link",), ("new_email", "email_token_expires_at")),
    "ACCOUNT_EMAIL_CHANGE_NOTICE": (("link",), ("new_email", "notice_to", "occurred_at",
                                                "undo_expires_at", "cas")),
    "ACCOUNT_PASSWORD_CHANGED": ((), ("occurred_at", "reason")),
    "ACCOUNT_DELETED": ((), ("reason",)),
    "ACCOUNT_ALREADY_EXISTS": ((), ("cas", "activated")),
    "APPLICATION_CREATED": ((), APPLICATION_EVENT + ("return_deadline",)),
    "APPLICATION_CANCELLED": ((), APPLICATION_EVENT),
    "STATUS_RE": ((), APPLICATION_EVENT),
    "STATUS_IN": (("refused_pieces",), APPLICATION_EVENT),
    "STATUS_CO": ((), APPLICATION_EVENT),
    "TREATMENT_AD": ((), APPLICATION_EVENT + ("treatment_type",)),
    "TREATMENT_AC": ((), APPLICATION_EVENT + ("treatment_type",)),
    "DECISION_FA": ((), APPLICATION_EVENT + ("comment", "confirm_deadline", "promoted",
                                             "automatic")),
    "DECISION_DE": ((), APPLICATION_EVENT + ("comment", "reason")),
    "DECISION_LC": ((), APPLICATION_EVENT + ("comment", "rank")),
    "DECISION_LA": ((), APPLICATION_EVENT + ("comment",)),
    "DECISION_PR": ((), APPLICATION_EVENT + ("comment", "convocation")),
    "APPLICATION_CONFIRMED": ((), APPLICATION_EVENT),
    "APPLICATION_WITHDRAWN": ((), APPLICATION_EVENT),
    "APPLICATION_WITHDRAWN_AUTO": ((), APPLICATION_EVENT + ("confirm_deadline",)),
    "REMINDER_TRANSMIT": ((), APPLICATION_EVENT + ("deadline",)),
    "REMINDER_CONFIRM": ((), APPLICATION_EVENT + ("deadline",)),
    "COMMISSION_TRANSMITTED": ((), APPLICATION_EVENT),
    "COMMISSION_CANCELLED": ((), APPLICATION_EVENT),
    "COMMISSION_WITHDRAWN": ((), APPLICATION_EVENT + ("automatic",)),
    "COMMISSION_PROMOTED": ((), APPLICATION_EVENT + ("confirm_deadline",)),
    # one mail a day instead of the alerts above, for a commission that asked
    "COMMISSION_DIGEST": (("items", "day"), ()),
}
CODES = tuple(CODE_VARIABLES)
# The mails written to a commission, not to the candidate.
COMMISSION_CODES = ("COMMISSION_TRANSMITTED", "COMMISSION_CANCELLED", "COMMISSION_WITHDRAWN",
                    "COMMISSION_PROMOTED")
# commission alert setting (catalog's Commission.alerts) -> its mail
COMMISSION_ALERTS = {"transmitted": "COMMISSION_TRANSMITTED",
                     "cancelled": "COMMISSION_CANCELLED",
                     "withdrawn": "COMMISSION_WITHDRAWN",
                     "promoted": "COMMISSION_PROMOTED"}


def variable_names(code):
    """What a template of `code` may print, as typed in it: `name`, `event.rank`..."""
    names, event_keys = CODE_VARIABLES[code]
    listed = list(COMMON_NAMES) + list(names)
    listed += [f"{m}.{k}" for m, keys in COMMON_MAPPINGS.items() for k in keys]
    listed += [f"event.{k}" for k in event_keys]
    return listed


def _allowed(code):
    names, event_keys = CODE_VARIABLES[code]
    mappings = {**COMMON_MAPPINGS, "event": event_keys}
    return set(COMMON_NAMES) | set(names), mappings


class TemplateProblem(Exception):
    """A template refused: `kind` (template_syntax, unknown_variable), `line`, `detail`."""

    def __init__(self, field, kind, line, detail):
        super().__init__(f"{field}: line {line}: {detail}")
        self.field, self.kind, self.line, self.detail = field, kind, line, detail


def check_template(code, lang, subject, body):
    """Raises TemplateProblem for a syntax error or a variable `code` does not
    offer, with its line; then renders it with the sample (a sandbox refusal or
    a failing filter is refused here, not at send time)."""
    if code not in CODE_VARIABLES:
        raise TemplateProblem("code", "unknown_code", 0, code)
    environment = _environments[lang if lang in LANGUAGES else "fr"]
    names, mappings = _allowed(code)
    for field, source in (("subject", subject), ("body", body)):
        if field == "subject" and "\n" in source.strip():
            raise TemplateProblem(field, "subject_one_line", 1, "one line")
        try:
            tree = environment.parse(source)
            environment.from_string(source)  # unknown filters and tests fail here
        except TemplateSyntaxError as exc:
            raise TemplateProblem(field, "template_syntax", exc.lineno or 1, exc.message) from exc
        free = meta.find_undeclared_variables(tree)
        for node in tree.find_all(nodes.Name):
            if node.ctx == "load" and node.name in free and node.name not in names \
                    and node.name not in mappings:
                raise TemplateProblem(field, "unknown_variable", node.lineno, node.name)
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            root = node.node
            if not (isinstance(root, nodes.Name) and root.name in free and root.name in mappings):
                continue
            key = node.attr if isinstance(node, nodes.Getattr) else (
                node.arg.value if isinstance(node.arg, nodes.Const) else None)
            if key not in mappings[root.name]:
                raise TemplateProblem(field, "unknown_variable", node.lineno,
                                      f"{root.name}.{key}")
    try:
        render(code, lang, sample_variables(code, lang), source=(subject, body))
    except SecurityError as exc:
        raise TemplateProblem("body", "template_render", 1, str(exc)) from exc
    except Exception as exc:  # whatever an administrator's text makes fail ({{ 1/0 }})
        raise TemplateProblem("body", "template_render", 1,
                              f"{type(exc).__name__}: {exc}") from exc


SAMPLE_RECIPIENT = {"email": "lea.martin@example.org", "dossier_number": "22PB7Y36",
                    "civility": "MME", "first_name": "Léa", "last_name": "Martin", "lang": "fr"}
SAMPLE_EVENT = {
    "application_id": 12, "candidate_id": 7, "occurred_at": "2027-02-14T22:59:00+00:00",
    "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
    "centre": {"code": "SCI", "label": "UFR Sciences", "email": "scolarite-sciences@univ-demo.fr"},
    "commission": {"code": "SCI-INFO", "label": "Commission Informatique",
                   "email": "commission-info@univ-demo.fr", "address": "2 rue des Sciences\n75005 Paris"},
    "return_deadline": "2027-02-14", "confirm_deadline": "2027-03-20", "deadline": "2027-02-14",
    "reason": "Capacité d'accueil atteinte", "rank": 3, "comment": "Très bon dossier",
    "convocation": {"date": "2027-02-10", "time": "09:30", "place": "Salle B12"},
    "treatment_type": "AC", "promoted": True, "automatic": True, "cas": False, "activated": False,
    "new_email": "lea.nouvelle@example.org", "notice_to": "lea.martin@example.org",
    "activation_expires_at": "2027-02-14T22:59:00+00:00",
    "reset_expires_at": "2027-02-14T22:59:00+00:00",
    "email_token_expires_at": "2027-02-14T22:59:00+00:00",
    "undo_expires_at": "2027-02-14T22:59:00+00:00",
}


def sample_variables(code, lang):
    """Every variable of `code` with a plausible value: the preview's, and the
    check that a template renders before it is saved."""
    return {**variables(SAMPLE_EVENT, {**SAMPLE_RECIPIENT, "lang": lang}, lang),
            "link": f"{public_url()}/compte/activer/exemple",
            "expires_at": SAMPLE_EVENT["activation_expires_at"],
            "refused_pieces": [{"code": "CV", "label": "Curriculum vitae",
                                "comment": "Illisible"}],
            "day": "2027-02-14",
            "items": [{"code": "COMMISSION_TRANSMITTED",
                       "subject": "Candidature transmise : Master Informatique (22PB7Y36)",
                       "url": f"{public_url()}/gestion/candidatures/12"}]}


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
    if event_type == "treatment_validated":
        return {"AD": "TREATMENT_AD", "AC": "TREATMENT_AC"}.get(event.get("treatment_type"))
    if event_type == "decision_validated":
        return f"DECISION_{event['code']}" if event.get("code") in ("FA", "DE", "LC", "LA", "PR") else None
    if event_type == "application_confirmed":
        return "APPLICATION_CONFIRMED"
    if event_type == "application_withdrawn":
        return "APPLICATION_WITHDRAWN_AUTO" if event.get("automatic") else "APPLICATION_WITHDRAWN"
    if event_type == "application_cancelled":
        return "APPLICATION_CANCELLED"
    if event_type == "reminder_due":
        return {"transmit": "REMINDER_TRANSMIT", "confirm": "REMINDER_CONFIRM"}.get(event.get("kind"))
    return ACCOUNT_MAILS.get(event_type)


def commission_alert(event_type, event):
    """The commission's alert this event raises, if the commission asked for it
    (its `alerts` settings, in the event's snapshot of the commission)."""
    if event_type == "application_transmitted":
        setting = "transmitted"
    elif event_type == "application_cancelled":
        setting = "cancelled"
    elif event_type == "application_withdrawn":
        setting = "withdrawn"
    elif event_type == "decision_validated" and event.get("promoted"):
        setting = "promoted"
    else:
        return None
    commission = event.get("commission") or {}
    if not commission.get("email") or not (commission.get("alerts") or {}).get(setting):
        return None
    return COMMISSION_ALERTS[setting]


def commission_digest(event):
    """Whether the commission takes its alerts as one mail a day: its alert
    settings say so (`alerts.digest`), or MAIL_DIGEST_COMMISSIONS lists its code
    (comma-separated; `*`: every commission)."""
    commission = event.get("commission") or {}
    if (commission.get("alerts") or {}).get("digest"):
        return True
    listed = {c.strip().upper() for c in (env("MAIL_DIGEST_COMMISSIONS") or "").split(",")}
    return "*" in listed or (commission.get("code") or "").upper() in listed


def digest_hour():
    """The hour (Paris) the day's digests leave: the alerts held before it."""
    return int(env("MAIL_DIGEST_HOUR", "7"))


def bcc_for(event):
    """The centre's copy address for its mails, when it keeps one
    (MAIL_BCC_<CENTRE CODE>, or MAIL_BCC for every centre)."""
    code = ((event.get("centre") or {}).get("code") or "").upper()
    value = (env(f"MAIL_BCC_{re.sub(r'[^A-Z0-9]', '_', code)}") if code else None) \
        or env("MAIL_BCC")
    return value or None


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
        # TLS from the first byte (SMTPS, usually port 465), instead of STARTTLS
        "tls": env("SMTP_TLS", "0") == "1",
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


PERMANENT = "permanent"
TEMPORARY = "temporary"
ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def classify(exc):
    """Whether an SMTP failure is the mail's own for good (the relay refused the
    recipient or the message with a 5xx, or the address cannot be one) or may
    pass (4xx, the relay away). A refusal of our sender or our login is this
    platform's configuration, not the mail's: retried until it is fixed."""
    if isinstance(exc, BadAddress):
        return PERMANENT
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in (exc.recipients or {}).values()]
        return PERMANENT if codes and all(500 <= code < 600 for code in codes) else TEMPORARY
    if isinstance(exc, (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError)):
        return TEMPORARY
    if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
        return PERMANENT
    return TEMPORARY


class BadAddress(ValueError):
    """An address no relay could deliver to."""


def check_address(address):
    if not address or not ADDRESS.match(address.strip()):
        raise BadAddress(f"invalid address: {address!r}")
