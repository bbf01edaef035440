"""The candidate portal in a real browser (Debian's Chromium, Playwright),
against the whole running platform; screenshots in var/screenshots/."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = ROOT / "var" / "screenshots"


def test_a_candidate_applies_and_uploads_in_the_browser(platform):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make test` installs Debian's chromium"
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.browser_journey", platform.url, str(platform.mail_dir),
         str(SHOTS), CHROMIUM],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert (SHOTS / "04-application.png").stat().st_size > 10_000


def test_cancel_and_withdraw_ask_first_in_the_browser(platform):
    # also fails on any Content-Security-Policy violation the console reports
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make test` installs Debian's chromium"
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.browser_confirmations", platform.url,
         str(platform.mail_dir), str(SHOTS), CHROMIUM],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert (SHOTS / "06-cancelled.png").stat().st_size > 10_000


def test_an_administrator_edits_a_mail_template_with_a_preview_in_the_browser(platform):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: `make test` installs Debian's chromium"
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.browser_mail_templates", platform.url,
         str(platform.mail_dir), str(SHOTS), CHROMIUM],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert (SHOTS / "22-template-saved.png").stat().st_size > 10_000
