"""bench.scale_out on tiny data, a few seconds a phase: the platform serves the
applications pages with one instance, then with two that share the work
(competing consumers on the same queue), and the bench prints the ratio."""
import os
import re

import pytest

from bench import scale_out

pytestmark = pytest.mark.loadtest

CHANGED = ("DATABASE_PREFIX", "MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
           "MINIO_SECURE", "MINIO_BUCKET", "LOADTEST_PREFIX")


@pytest.fixture
def environment():
    """bench.generate reads the stack's settings from os.environ: put back after."""
    saved = {key: os.environ.get(key) for key in CHANGED}
    os.environ["LOADTEST_PREFIX"] = os.environ.get("E2E_PREFIX", "ecandidat_e2e") + "_scale"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_a_second_instance_shares_the_pages_and_the_ratio_is_printed(environment, tmp_path,
                                                                     capsys):
    args = scale_out.parse(["--smoke", "--workdir", str(tmp_path / "scale_out")])
    phases = scale_out.run(args)
    scale_out.report(args, phases)
    printed = capsys.readouterr().out

    assert [phase["instances"] for phase in phases] == [1, 2]
    alone, shared = phases
    assert alone["pages"] > 0 and alone["errors"] == 0 and shared["errors"] == 0
    assert list(alone["rpcs"]) == ["applications"] and alone["rpcs"]["applications"] > 0
    # both instances took requests from the queue while two ran
    assert set(shared["rpcs"]) == {"applications", "applications-2"}
    assert all(count > 0 for count in shared["rpcs"].values()), shared["rpcs"]
    assert re.search(r"Throughput ratio, 2 instances / 1 instance: \d+\.\d\d", printed)
    assert re.search(r"applications-2 +\d+", printed)  # its CPU share, measured
