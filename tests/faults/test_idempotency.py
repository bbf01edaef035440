"""Ten identical posts of one form at once (a double click, a retrying proxy,
a user reloading after a timeout): one change, whatever the action."""
import io
import re
import threading
import time

import pytest
import requests
from pypdf import PdfReader

from .support import PDF, hidden_fields, text

pytestmark = pytest.mark.faults

COPIES = 10


def post_ten(browser, page_path, action, data=None, files=None):
    """The form of `page_path` posting to `action`, sent COPIES times at once
    with the same hidden fields (csrf_token, idempotency_key); the answers' statuses."""
    page = text(browser.get(page_path))
    fields = {**hidden_fields(page, action), **(data or {})}
    statuses = []

    def send():
        http = requests.Session()
        http.cookies.update(browser.http.cookies)
        try:
            answer = http.post(browser.base + action, data=fields, files=files, timeout=60)
            statuses.append(answer.status_code)
        except requests.RequestException as exc:
            statuses.append(type(exc).__name__)
    threads = [threading.Thread(target=send) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return "idempotency_key" in fields, statuses


def test_ten_identical_concurrent_posts(fault_stack, journey, report):
    user, email = journey.candidate()
    staff = journey.staff()
    codes = journey.formations(user)
    code = "MINFO1" if "MINFO1" in codes else codes[0]  # a formation of gestion.sci's centre
    results = {}  # action -> (form had a key, statuses, changes)

    def check(action_name, keyed, statuses, changes, expected=1):
        results[action_name] = (keyed, statuses, changes)
        report.in_flight += COPIES
        report.duplicated += max(0, changes - expected)
        report.lost += max(0, expected - changes)
        if changes != expected:
            report.note(f"{action_name}: {changes} changes")

    keyed, statuses = post_ten(user, "/offre", "/candidatures", {"formation_code": code})
    check("apply", keyed, statuses, journey.applications(user, code))
    app_id = next(int(part) for part in
                  re.findall(r'href="/candidatures/(\d+)"', text(user.get("/candidatures"))))
    journey.wait_mails(email, "APPLICATION_CREATED", timeout=20)
    time.sleep(1)
    check("apply (mail)", keyed, statuses, len(journey.mails(email, "APPLICATION_CREATED")))

    pieces = journey.pieces(user, app_id)
    for piece in pieces:
        if piece == "CERTLANG":
            keyed, statuses = post_ten(user, f"/candidatures/{app_id}",
                                       f"/candidatures/{app_id}/pieces/CERTLANG/non-concerne",
                                       {"value": "1"})
            changes = int("Non concerné" in text(user.get(f"/candidatures/{app_id}")))
        else:
            keyed, statuses = post_ten(user, f"/candidatures/{app_id}",
                                       f"/candidatures/{app_id}/pieces/{piece}/fichier",
                                       files={"file": ("piece.pdf", PDF, "application/pdf")})
            stored = user.get(f"/candidatures/{app_id}/pieces/{piece}")
            # the piece's PDF holds the file once (sent ten times with one key)
            changes = int(stored.status_code == 200 and len(
                PdfReader(io.BytesIO(stored.content)).pages) == 1)
        check(f"piece {piece}", keyed, statuses, changes)

    keyed, statuses = post_ten(user, f"/candidatures/{app_id}/transmettre",
                               f"/candidatures/{app_id}/transmettre")
    journey.wait_mails(email, "STATUS_RE", timeout=20)
    time.sleep(1)
    check("transmit", keyed, statuses, len(journey.mails(email, "STATUS_RE")))

    detail = f"/gestion/candidatures/{app_id}"
    for piece in pieces:
        if piece != "CERTLANG":
            staff.post(f"{detail}/pieces/{piece}/statut", {"status": "VA"})
    keyed, statuses = post_ten(staff, detail, f"{detail}/statut", {"status": "CO"})
    journey.wait_mails(email, "STATUS_CO", timeout=20)
    time.sleep(1)
    check("staff: file complete", keyed, statuses, len(journey.mails(email, "STATUS_CO")))

    keyed, statuses = post_ten(staff, detail, f"{detail}/avis", {"code": "FA", "comment": "Bien"})
    check("staff: decision", keyed, statuses, 1)  # shown once whatever: counted by its mail below
    keyed, statuses = post_ten(staff, detail, f"{detail}/avis/valider")
    journey.wait_mails(email, "DECISION_FA", timeout=20)
    time.sleep(1)
    check("staff: validate decision", keyed, statuses, len(journey.mails(email, "DECISION_FA")))

    keyed, statuses = post_ten(user, f"/candidatures/{app_id}", f"/candidatures/{app_id}/confirmer")
    journey.wait_mails(email, "APPLICATION_CONFIRMED", timeout=20)
    time.sleep(1)
    check("confirm", keyed, statuses, len(journey.mails(email, "APPLICATION_CONFIRMED")))

    unkeyed = [name for name, (keyed, _, _) in results.items() if not keyed]
    if unkeyed:
        report.note(f"no idempotency_key in the forms of: {', '.join(unkeyed)}")
    errors = {name: [s for s in statuses if not isinstance(s, int) or s >= 500]
              for name, (_, statuses, _) in results.items()}
    assert not any(errors.values()), errors
    assert not unkeyed, f"forms without an idempotency_key: {unkeyed}"
    assert (report.lost, report.duplicated) == (0, 0), report.notes
