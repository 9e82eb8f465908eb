"""
Shared fixtures: clients for the remote-data and offline tests, the recorded network, the replica's HTTP.

``--fink-server`` and the ``fink_server``, ``fink_replica`` and ``fink_replica_server`` fixtures come from
`astroquery_fink.testing.pytest_plugin`, which pyproject.toml's pytest settings load.
"""

import pytest
import requests

from astroquery_fink import FinkClass

from .recorded import FakeServer


@pytest.fixture
def fink(fink_server):
    """A client pointed at the selected server (``conf.server`` for live: ``fink_server`` is then None)."""
    return FinkClass(server=fink_server)


@pytest.fixture
def server(monkeypatch):
    """The network replaced by recorded answers (see tests/recorded.py); records every request."""
    fake = FakeServer()
    monkeypatch.setattr(requests.Session, "request", fake.request)
    return fake


@pytest.fixture
def client(tmp_path):
    """A client for the offline tests, with its own empty cache directory."""
    fink = FinkClass(server="https://fink.example.org")
    fink.cache_location = tmp_path / "cache"
    fink.slept = []
    fink._sleep = fink.slept.append  # retries record their waits instead of sleeping
    return fink


@pytest.fixture(scope="module")
def url(fink_replica):
    """Base URL of the session's replica, for the replica's own HTTP tests."""
    return fink_replica


@pytest.fixture(scope="module")
def http():
    """A plain `requests` session: the replica tests involve no client code."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def replica(fink_replica_server):
    """The session's replica itself: fault injection (``inject``) and the request log (``requests``)."""
    return fink_replica_server


@pytest.fixture
def replica_client(replica, tmp_path):
    """A client of the replica with its own empty cache; retries record their waits instead of sleeping."""
    fink = FinkClass(server=replica.url)
    fink.cache_location = tmp_path / "cache"
    fink.slept = []
    fink._sleep = fink.slept.append
    return fink


@pytest.fixture
def plt():
    """matplotlib's pyplot on the Agg backend (the test is skipped without matplotlib); figures closed after."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")
