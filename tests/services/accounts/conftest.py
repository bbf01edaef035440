"""Fixtures of the accounts tests (the harness itself is in harness.py, so that
tests can import its constants)."""
import pytest

from tests.services.accounts.harness import Harness


@pytest.fixture
def harness(service_db, unit_of_work):
    return Harness(service_db("accounts"), unit_of_work)


@pytest.fixture
def admin_harness(harness):
    """The harness for administrators' operations: the catalog knows SCI and LLSH."""
    harness.remote["catalog.list_centres"] = [{"code": "SCI"}, {"code": "LLSH"}]
    return harness
