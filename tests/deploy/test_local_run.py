"""`make run` keeps what it writes to its user: keys, logs and mails (working
activation and reset links) are private, and the S3 emulator's log never holds a
presigned URL that still works."""
import io
import os
import smtplib
import stat
import time
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import requests

from deploy.local.processes import free_port, start_moto_s3, start_smtp_sink, stop
from deploy.local.run import Stack


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@contextmanager
def permissive_umask():
    """What a workstation often has (022): files would be world-readable by default."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_keys_logs_and_mail_folder_are_private(tmp_path):
    var = tmp_path / "var"
    with permissive_umask():
        stack = Stack(var_dir=var, env={"ACTOR_SIGNING_KEY": "", "SECRET_KEY": ""})
        stack.prepare()
        env = stack.environment()
        stack._log("gateway").close()
    assert mode(var) == mode(var / "log") == mode(var / "mails") == 0o700
    for path in (var / "secret_key", var / "actor_signing_key", var / "log" / "gateway.log"):
        assert mode(path) == 0o600, path
    key = (var / "actor_signing_key").read_text()
    assert env["ACTOR_SIGNING_KEY"] == key and len(key) >= 32
    assert env["SECRET_KEY"] == (var / "secret_key").read_text() != key
    # drawn once: a restart keeps both (sessions and actor signatures stay valid)
    again = Stack(var_dir=var, env={"ACTOR_SIGNING_KEY": "", "SECRET_KEY": ""}).environment()
    assert (again["ACTOR_SIGNING_KEY"], again["SECRET_KEY"]) == (key, env["SECRET_KEY"])


def test_files_an_older_runner_left_readable_are_closed(tmp_path):
    var = tmp_path / "var"
    for folder in (var, var / "log", var / "mails"):
        folder.mkdir()
        folder.chmod(0o755)
    for path in (var / "secret_key", var / "log" / "accounts.log", var / "mails" / "1-a.eml"):
        path.write_text("x" * 64)
        path.chmod(0o644)
    Stack(var_dir=var).prepare()
    assert mode(var) == mode(var / "log") == mode(var / "mails") == 0o700
    assert mode(var / "log" / "accounts.log") == mode(var / "mails" / "1-a.eml") == 0o600
    Stack(var_dir=var, env={"SECRET_KEY": ""}).environment()
    assert mode(var / "secret_key") == 0o600
    assert (var / "secret_key").read_text() == "x" * 64  # kept, only closed


def test_every_child_gets_the_shared_actor_key(tmp_path):
    """The runner's choice, unless the user's environment already sets one."""
    drawn = Stack(var_dir=tmp_path, env={"ACTOR_SIGNING_KEY": ""}).environment()
    assert drawn["ACTOR_SIGNING_KEY"] == (tmp_path / "actor_signing_key").read_text()
    given = Stack(var_dir=tmp_path, env={"ACTOR_SIGNING_KEY": "k" * 40}).environment()
    assert given["ACTOR_SIGNING_KEY"] == "k" * 40
    assert drawn["APP_ENV"] == "development"


def test_the_smtp_sink_writes_private_mails(tmp_path):
    folder, port = tmp_path / "mails", free_port()
    with permissive_umask():
        sink = start_smtp_sink(port, folder)
    try:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@b.fr", "lea@example.org", "Activez"
        mail.set_content("http://127.0.0.1:8000/compte/activer/secret-token")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(mail)
        deadline = time.time() + 10
        while not list(folder.glob("*.eml")) and time.time() < deadline:
            time.sleep(0.05)
        (written,) = folder.glob("*.eml")
    finally:
        stop(sink)
    assert mode(folder) == 0o700 and mode(written) == 0o600


def test_the_s3_emulator_log_holds_no_usable_presigned_url(tmp_path):
    from minio import Minio
    log_path, port = tmp_path / "s3.log", free_port()
    with open(log_path, "ab") as log:
        server = start_moto_s3(port, log=log)
    try:
        client = Minio(f"127.0.0.1:{port}", access_key="local", secret_key="localsecret",
                       secure=False, region="us-east-1")
        client.make_bucket("documents")
        client.put_object("documents", "piece.pdf", io.BytesIO(b"%PDF-1.4"), 8)
        url = client.presigned_get_object("documents", "piece.pdf", expires=timedelta(minutes=5))
        assert requests.get(url, timeout=10).content == b"%PDF-1.4"
        signature = parse_qs(urlsplit(url).query)["X-Amz-Signature"][0]
        deadline = time.time() + 10
        while "piece.pdf?" not in log_path.read_text() and time.time() < deadline:
            time.sleep(0.05)
    finally:
        stop(server)
    logged = log_path.read_text()
    request_line = next(line for line in logged.splitlines() if "GET /documents/piece.pdf?" in line)
    assert "X-Amz-Signature=[redacted]" in request_line and "200" in request_line
    assert signature not in logged
