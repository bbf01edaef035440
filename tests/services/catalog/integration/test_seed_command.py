"""`python -m services.catalog.seed`, as the local runner calls it: migrates,
seeds, and run again creates nothing."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def run_seed_command():
    done = subprocess.run([sys.executable, "-W", "ignore", "-m", "services.catalog.seed"],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_seed_command_twice(catalog_db, snapshot):
    first = run_seed_command()
    assert "catalog: 26 created" in first and "formations: DULEA" in first
    before = snapshot()
    assert len(before["formations"]) == 5 and len(before["commissions"]) == 3
    assert "catalog: 0 created" in run_seed_command()
    assert snapshot() == before
