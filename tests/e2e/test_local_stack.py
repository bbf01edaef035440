"""The platform `make run` starts: every process it spawns shares one actor key,
and what it writes under var/ is private to its user."""
import os
import stat
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def environ_of(pid):
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_the_services_and_the_gateway_share_the_stack_actor_key(platform):
    key = platform.environment()["ACTOR_SIGNING_KEY"]
    started = {name: process for name, process in platform.processes if name not in ("s3", "smtp")}
    assert {"accounts", "catalog", "applications", "documents", "notifications",
            "gateway"} <= set(started)
    for name, process in started.items():
        assert environ_of(process.pid).get("ACTOR_SIGNING_KEY") == key, name
    assert len(key) >= 32


def test_var_logs_and_mails_are_private(platform):
    for folder in (platform.var_dir, platform.log_dir, platform.mail_dir):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    logs = list(platform.log_dir.glob("*.log"))
    assert {"gateway.log", "accounts.log", "s3.log"} <= {p.name for p in logs}
    for path in logs + [platform.var_dir / "secret_key"]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
