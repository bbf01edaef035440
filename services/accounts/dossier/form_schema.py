"""The dossier's forms as data, published in `reference_data` (key `form`):
for each section, in form order, its fields with their type, whether they
are required whatever else is filled in, their length limit and, for a
choice, the reference list (a key of reference_data) it offers. Built from
the fields the validation knows (sections.FIELDS, entries.FIELDS) and the
completeness rules (domain.required_fields): the gateway draws the forms
from it, so a field added here needs no gateway change."""
from .. import domain
from . import entries, reference, sections

# What is not a one-line text input, by section and field.
TYPES = {"birth_date": "date", "description": "textarea", "year": "year"}
CHOICES = {
    "personal": {"civility": "civilities", "nationality": "nationalities",
                 "birth_country": "countries", "birth_department": "departments",
                 "preferred_language": "languages"},
    "address": {"country": "countries"},
    "bac": {"has_bac": "has_bac", "country": "countries", "department": "departments",
            "series": "bac_series", "mention": "mentions"},
    "external": {"country": "countries", "obtained": "obtained"},
}
# Labels in French, for a field the gateway has no translation of yet.
LABELS = {"civility": "Civilité", "birth_name": "Nom de naissance", "usage_name": "Nom d'usage",
          "first_name": "Prénom", "other_first_names": "Autres prénoms",
          "birth_date": "Date de naissance", "nationality": "Nationalité",
          "birth_country": "Pays de naissance", "birth_department": "Département de naissance",
          "birth_commune": "Commune de naissance", "birth_town": "Ville de naissance",
          "phone": "Téléphone", "mobile": "Portable", "ine": "INE",
          "preferred_language": "Langue préférée", "line1": "Adresse", "line2": "Complément",
          "line3": "Complément", "country": "Pays", "postal_code": "Code postal",
          "commune": "Commune", "city": "Ville", "cedex": "Cedex", "has_bac": "Baccalauréat",
          "year": "Année", "department": "Département", "school": "Établissement",
          "series": "Série", "mention": "Mention", "specialities": "Spécialités",
          "institution": "Établissement", "diploma_type": "Type de diplôme",
          "label": "Intitulé", "obtained": "Obtenu", "duration": "Durée",
          "organisation": "Organisme", "hours_per_week": "Heures par semaine",
          "job_title": "Fonction", "employer": "Employeur", "description": "Description"}


def _field(section, name, required, max_length):
    choices = CHOICES.get(section, {}).get(name)
    return {"name": name, "type": "select" if choices else TYPES.get(name, "text"),
            "required": required, "max_length": max_length, "choices": choices,
            "label": LABELS.get(name, name.replace("_", " ").capitalize())}


def form_schema():
    """{section: {"list": bool, "fields": [{name, type, required, max_length,
    choices, label}]}} for personal, address, bac and the list sections."""
    schema = {}
    for section in domain.SECTIONS:
        required = set(domain.required_fields(section, {}))
        schema[section] = {"list": False, "fields": [
            _field(section, name, name in required,
                   sections.MAX_LENGTH.get(name, sections.DEFAULT_MAX_LENGTH))
            for name in sections.FIELDS[section]]}
    for section in domain.LIST_SECTIONS:
        schema[section] = {"list": True, "fields": [
            _field(section, name, required, max_length)
            for name, (required, max_length) in entries.FIELDS[section].items()]}
    return schema


def choice_lists():
    """The lists only the form schema names (the others are reference data already)."""
    return {"languages": [list(pair) for pair in reference.LANGUAGES],
            "has_bac": [["yes", "Oui"], ["no", "Non"]]}
