"""Shared fixtures: the Fink server the remote-data tests talk to, and the replica."""
import os

import pytest
import requests

from astroquery_fink import FinkClass, conf

from .recorded import FakeServer


def pytest_addoption(parser):
    # docs/conftest.py defines the same option when docs/ is collected alone; either may come first
    try:
        _add_server_option(parser)
    except ValueError:
        pass


def _add_server_option(parser):
    parser.addoption(
        "--fink-server",
        default=os.environ.get("FINK_TEST_SERVER", "live"),
        help=(
            "Server for the remote_data tests: 'live' (conf.server, the real Fink/LSST API), "
            "'replica' (the embedded replica on loopback, started by the tests) or a base URL. "
            "Default: $FINK_TEST_SERVER or 'live'."
        ),
    )


@pytest.fixture(scope="session")
def fink_server(request):
    """Base URL of the Fink/LSST API the remote-data tests query."""
    choice = request.config.getoption("--fink-server")
    if choice == "live":
        return conf.server
    if choice == "replica":
        return request.getfixturevalue("fink_replica")
    return choice.rstrip("/")


@pytest.fixture
def fink(fink_server):
    """A client pointed at the selected server."""
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
