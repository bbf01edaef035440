"""Sessions over HTTP with every service running, as someone holding a copy of
a session cookie would try them: the copy stops working at logout, within
seconds of a password reset, an address confirmed elsewhere, the account's
deletion or a staff user disabled; and a stolen session cannot take the
account over (the current password is asked, the former address is told and
can refuse the change)."""
import re
import time
import uuid
from urllib.parse import urlsplit

import pytest

from tests.support.e2e import (NEW_PASSWORD, PASSWORD, new_email, path_of, register_and_activate,
                               staff_login, text)


pytestmark = pytest.mark.e2e
CHECK_SECONDS = 5.5  # the gateway keeps who a session is for SESSION_CHECK_SECONDS (5)


def copy_of(browser, user):
    """Another browser replaying the same session cookie."""
    thief = browser()
    thief.http.cookies.update(user.http.cookies)
    return thief


def at(response, path):
    return urlsplit(response.url).path == path


def logged_in(browser, mailbox):
    user, email, dossier_number, _ = register_and_activate(browser, mailbox)
    assert at(user.post("/connexion", {"login": email, "password": PASSWORD}), "/candidatures")
    return user, email


def test_a_copied_cookie_dies_at_logout_and_after_a_password_reset(browser, mailbox):
    user, email = logged_in(browser, mailbox)
    thief = copy_of(browser, user)
    assert at(thief.get("/compte"), "/compte")
    user.post("/deconnexion")
    assert at(thief.get("/compte"), "/")  # at once

    user.post("/connexion", {"login": email, "password": PASSWORD})
    thief = copy_of(browser, user)
    assert at(thief.get("/compte"), "/compte")
    owner = browser()  # the owner resets the password from another device
    owner.get("/compte/identifiants-oublies")
    owner.post("/compte/identifiants-oublies", {"email": email})
    reset = path_of(mailbox(email, "ACCOUNT_CREDENTIALS"), "/compte/reinitialiser/")
    owner.get(reset)
    owner.post(reset, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    notice = mailbox(email, "ACCOUNT_PASSWORD_CHANGED")
    assert "a été modifié" in notice["body"] and "J'ai oublié mes identifiants" in notice["body"]
    time.sleep(CHECK_SECONDS)
    replayed = thief.get("/compte")
    assert at(replayed, "/") and "Votre session a pris fin" in text(replayed)
    assert at(user.get("/compte"), "/")


def test_a_stolen_session_cannot_take_the_account_over(browser, mailbox):
    user, email = logged_in(browser, mailbox)
    thief = copy_of(browser, user)
    thief.get("/compte")
    evil = new_email("voleur")
    change = {"email": evil, "email_confirm": evil}
    missing = thief.post("/compte/email", change)
    assert missing.status_code == 422 and "Ce champ est obligatoire." in text(missing)
    wrong = thief.post("/compte/email", {**change, "current_password": "Devine-2027!"})
    assert wrong.status_code == 422
    assert "Ce n'est pas le mot de passe actuel de votre compte." in text(wrong)
    kept = thief.post("/compte/supprimer", {"confirm": "1"})
    assert "Saisissez votre mot de passe actuel pour confirmer." in text(kept)
    assert email in text(user.get("/compte"))  # nothing changed

    # with the password as well (phished), the change goes through, but the owner is told
    thief.post("/compte/email", {**change, "current_password": PASSWORD})
    notice = mailbox(email, "ACCOUNT_EMAIL_CHANGE_NOTICE")
    assert evil in notice["body"]
    confirm = path_of(mailbox(evil, "ACCOUNT_EMAIL_CHANGE"), "/compte/email/")
    thief.get(confirm)
    thief.post(confirm)
    assert evil in text(thief.get("/compte"))

    # "I did not ask for this": the former address comes back, the thief is out
    refusal = path_of(notice, "/compte/refuser-email/")
    owner = browser()
    assert evil in text(owner.get(refusal))
    done = owner.post(refusal, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert f"l'adresse de votre compte est {email}" in text(done)
    mailbox(email, "ACCOUNT_PASSWORD_CHANGED")
    time.sleep(CHECK_SECONDS)
    assert at(thief.get("/compte"), "/") and at(user.get("/compte"), "/")
    for login in (evil, email):
        assert thief.post("/connexion", {"login": login, "password": PASSWORD}).status_code == 401
    assert at(owner.post("/connexion", {"login": email, "password": NEW_PASSWORD}),
              "/candidatures")
    assert email in text(owner.get("/compte"))
    assert owner.get(refusal).status_code == 410  # used


def test_deleting_the_account_ends_its_other_sessions(browser, mailbox):
    user, email = logged_in(browser, mailbox)
    other = browser()  # the same candidate on another device
    assert at(other.post("/connexion", {"login": email, "password": PASSWORD}), "/candidatures")
    user.get("/compte")
    user.post("/compte/supprimer", {"confirm": "1", "current_password": PASSWORD})
    mailbox(email, "ACCOUNT_DELETED")
    time.sleep(CHECK_SECONDS)
    assert at(other.get("/compte"), "/")


def test_a_disabled_staff_users_copied_cookie_is_refused_within_seconds(browser):
    admin = staff_login(browser, "admin")
    login = f"gestion.{uuid.uuid4().hex[:6]}"
    admin.get("/gestion/admin/utilisateurs/nouveau")
    listed = admin.post("/gestion/admin/utilisateurs/nouveau", {
        "login": login, "display_name": "Gestion temporaire", "role": "manager",
        "centres": "SCI", "password": "Gestion-2027-pass!", "active": "1"})
    user_id = re.search(rf"<td>{re.escape(login)}</td>.*?/gestion/admin/utilisateurs/(\d+)",
                        listed.text, re.S).group(1)
    staff = browser()
    staff.get("/gestion/connexion")
    staff.post("/gestion/connexion", {"login": login, "password": "Gestion-2027-pass!"})
    copy = copy_of(browser, staff)
    assert at(copy.get("/gestion/"), "/gestion/")

    admin.get(f"/gestion/admin/utilisateurs/{user_id}")
    admin.post(f"/gestion/admin/utilisateurs/{user_id}", {  # "active" unticked
        "display_name": "Gestion temporaire", "role": "manager", "centres": "SCI"})
    disabled_at = time.time()
    while not at(copy.get("/gestion/"), "/gestion/connexion"):
        assert time.time() - disabled_at < 10, "the copied cookie still works"
        time.sleep(0.5)
    assert time.time() - disabled_at < CHECK_SECONDS + 1
    assert at(staff.get("/gestion/"), "/gestion/connexion")
