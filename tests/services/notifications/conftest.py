import uuid

import pytest

APPLICATION_EVENT = {
    "application_id": 12, "candidate_id": 7,
    "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
    "centre": {"code": "SCI", "label": "UFR Sciences", "email": "scolarite-sciences@univ-demo.fr"},
    "commission": {"code": "SCI-INFO", "label": "Commission Informatique", "email": "info@univ-demo.fr"},
    "candidate": {"dossier_number": "22PB7Y36", "email": "lea@example.org", "civility": "MME",
                  "first_name": "Léa", "last_name": "Martin", "lang": "fr"},
}


def event(event_type, **fields):
    payload = {**APPLICATION_EVENT, **fields}
    payload.update(event_id=str(uuid.uuid4()), event_type=event_type)
    return payload


def registered(**fields):
    payload = {"candidate_id": 7, "dossier_number": "22PB7Y36", "email": "lea@example.org",
               "first_name": "Léa", "last_name": "Martin", "lang": "fr",
               "activation_token": "tok-secret-123", "activation_expires_at": "2026-11-24T10:00:00+00:00"}
    payload.update(fields, event_id=str(uuid.uuid4()), event_type="candidate_registered")
    return payload


@pytest.fixture
def make_event():
    return event


@pytest.fixture
def make_registered():
    return registered
