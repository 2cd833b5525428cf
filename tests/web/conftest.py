"""The local ProConnect the site's tests log in with, shared by every test of the package."""

from __future__ import annotations

import pytest

from tests import oidc_provider


@pytest.fixture(scope="session")
def provider():
    running, stop = oidc_provider.running()
    yield running
    stop()
