"""Letters to candidates as PDF: the admission letter (after confirmation) and
the refusal letter (after a validated DE). The layout (logo, addresses, date,
signatory and signature image) is templates/letter.html; the wording is a
template of the commission (letter_templates), or the default below. A wording
is a Jinja2 text rendered in the sandbox with the variables of `VARIABLES`;
blank lines separate its paragraphs."""
import base64
import os

from jinja2 import TemplateError

from services.common import text
from services.common.config import env
from services.common.dates import french_date
from services.common.errors import ValidationFailed

from . import exceptions as codes
from . import rendering

INSTITUTION = "Université de démonstration"
CIVILITIES = {"M": "Monsieur", "MME": "Madame"}
ADMISSION, REFUSAL = "admission", "refusal"
KINDS = (ADMISSION, REFUSAL)
MAX_WORDING = 10000

SUBJECTS = {ADMISSION: "admission en {training}", REFUSAL: "candidature en {training}"}
DEFAULTS = {
    ADMISSION: (
        "{{ salutation }},\n\n"
        "Suite à l'avis favorable de la commission{% if validated_at %} du {{ validated_at }}"
        "{% endif %}, nous avons le plaisir de vous informer que vous êtes {{ admitted }} "
        "en {{ formation }}.\n\n"
        "{% if confirmed_at %}Vous avez confirmé votre candidature le {{ confirmed_at }}. "
        "{% endif %}{% if opi_code %}Votre code OPI, à saisir lors de votre inscription "
        "administrative, est {{ opi_code }}. {% endif %}Vous recevrez prochainement les "
        "informations nécessaires à votre inscription administrative.\n\n"
        "Nous vous prions d'agréer, {{ salutation }}, l'expression de nos salutations "
        "distinguées."),
    REFUSAL: (
        "{{ salutation }},\n\n"
        "Nous avons le regret de vous informer que la commission a émis un avis "
        "défavorable{% if validated_at %} le {{ validated_at }}{% endif %} sur votre "
        "candidature en {{ formation }}.\n\n"
        "Motif : {{ reason }}"
        "{% if comment %}\nCommentaire de la commission : {{ comment }}{% endif %}\n\n"
        "Nous vous prions d'agréer, {{ salutation }}, l'expression de nos salutations "
        "distinguées."),
}
# What a wording may use, with what it says (shown next to the editing form).
VARIABLES = {
    "salutation": "Madame, Monsieur, ou « Madame, Monsieur »",
    "civility": "Madame ou Monsieur", "first_name": "prénom", "last_name": "nom",
    "dossier_number": "numéro de dossier", "formation": "formation (intitulé et code)",
    "admitted": "admis ou admise", "validated_at": "date de validation de l'avis",
    "confirmed_at": "date de confirmation", "confirm_deadline": "date limite de confirmation",
    "reason": "motif du refus", "comment": "commentaire de la commission",
    "opi_code": "code OPI", "commission": "commission",
}


def default_wording(kind):
    return DEFAULTS[kind]


def check_wording(body):
    """The wording a staff member typed, checked: one the sandbox can render."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(codes.REQUIRED, "the letter's text is required",
                               {"body": codes.REQUIRED})
    body = text.newlines(body)
    if len(body) > MAX_WORDING:
        raise ValidationFailed(codes.TOO_LONG, "the letter's text is too long",
                               {"body": codes.TOO_LONG})
    if text.has_control(body, multiline=True):
        raise ValidationFailed(text.CONTROL_CHARACTER, "control character",
                               {"body": text.CONTROL_CHARACTER})
    try:
        rendering.wording(body, **variables(SAMPLE, ADMISSION))
    except TemplateError as exc:
        raise ValidationFailed(codes.TEMPLATE_INVALID, f"letter template: {exc}",
                               {"body": codes.TEMPLATE_INVALID}) from None
    return body


def variables(letter, kind):
    candidate = letter.get("candidate") or {}
    formation = letter.get("formation") or {}
    decision = letter.get("decision") or {}
    civility = CIVILITIES.get(candidate.get("civility") or "", "")
    return {
        "salutation": civility or "Madame, Monsieur", "civility": civility,
        "first_name": candidate.get("first_name") or "",
        "last_name": candidate.get("last_name") or "",
        "dossier_number": candidate.get("dossier_number") or "",
        "formation": training(formation),
        "admitted": {"M": "admis", "MME": "admise"}.get(candidate.get("civility") or "",
                                                        "admis(e)"),
        "validated_at": french_date(letter.get("validated_at")),
        "confirmed_at": french_date(letter.get("confirmed_at")),
        "confirm_deadline": french_date(letter.get("confirm_deadline")),
        "reason": decision.get("reason") or "", "comment": decision.get("comment") or "",
        "opi_code": letter.get("opi_code") or "",
        "commission": (letter.get("commission") or {}).get("label") or "",
    }


def training(formation):
    return f"{formation.get('label') or ''} ({formation.get('code') or ''})"


def logo_url():
    """The institution's logo: INSTITUTION_LOGO (a file) or the platform's."""
    path = env("INSTITUTION_LOGO", "") or os.path.join(rendering.TEMPLATES, "logo.svg")
    return "file://" + os.path.abspath(path)


def image_url(data, content_type):
    if not data:
        return None
    return f"data:{content_type or 'image/png'};base64,{base64.b64encode(data).decode()}"


def render(letter, kind, today, wording=None, signature=None, preview=False):
    """PDF bytes of the `kind` letter described by `letter` (the applications
    service's letter data). wording: the commission's (None: the default);
    signature: (bytes, content_type) of the signatory's image, or None."""
    candidate = letter.get("candidate") or {}
    formation = letter.get("formation") or {}
    values = variables(letter, kind)
    body = rendering.wording(wording or DEFAULTS[kind], **values)
    paragraphs = [p.strip("\n") for p in text.newlines(body).split("\n\n") if p.strip()]
    name = " ".join(part for part in (values["civility"], candidate.get("first_name"),
                                      candidate.get("last_name")) if part)
    html = rendering.page(
        "letter.html", title=f"Lettre - {formation.get('label') or ''}",
        institution=env("INSTITUTION_NAME", INSTITUTION), logo=logo_url(),
        commission=letter.get("commission") or {}, centre=letter.get("centre") or {},
        candidate=candidate, candidate_name=name,
        postal_address=letter.get("postal_address") or [], today=today,
        subject=SUBJECTS[kind].format(training=training(formation)),
        paragraphs=paragraphs, preview=preview,
        signature=image_url(*signature) if signature else None)
    return rendering.html_pdf(html)


def admission_letter(letter, today):
    """PDF bytes of the admission letter (render_admission_letter's data)."""
    return render(letter, ADMISSION, today)


SAMPLE = {"candidate": {"civility": "MME", "first_name": "Léa", "last_name": "Martin",
                        "dossier_number": "27AB12CD"},
          "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
          "commission": {"label": "Commission Informatique"},
          "decision": {"code": "FA", "reason": "Capacité d'accueil atteinte"},
          "validated_at": "2027-05-02", "confirmed_at": "2027-05-04", "opi_code": "OPI0001"}
