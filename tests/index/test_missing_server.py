"""A test server that cannot start skips its tests locally and fails the run in CI."""

from __future__ import annotations

import pytest

from tests.index.conftest import missing_server_outcome, server_unavailable


@pytest.mark.parametrize("value", ["true", "True", "TRUE", "1", " true "])
def test_missing_server_fails_the_run_when_ci_is_true(value):
    assert missing_server_outcome({"CI": value}) == "fail"


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}, {"OTHER": "true"}])
def test_missing_server_skips_outside_ci(environ):
    assert missing_server_outcome(environ) == "skip"


def test_server_unavailable_fails_with_the_reason_in_ci():
    with pytest.raises(pytest.fail.Exception, match="noida-db did not start"):
        server_unavailable("noida-db did not start on http://127.0.0.1:1", {"CI": "true"})


def test_server_unavailable_skips_with_the_reason_locally():
    with pytest.raises(pytest.skip.Exception, match="noida-db did not start"):
        server_unavailable("noida-db did not start on http://127.0.0.1:1", {})
