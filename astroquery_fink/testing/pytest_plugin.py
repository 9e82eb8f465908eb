"""
pytest fixtures that run the Fink/LSST replica for a test session, and the ``--fink-server`` option.

Enable with ``pytest_plugins = ["astroquery_fink.testing.pytest_plugin"]`` in a ``conftest.py`` (or
``-p astroquery_fink.testing.pytest_plugin``). ``--fink-server`` (default: ``$FINK_TEST_SERVER``, else
``live``) chooses what the ``fink_server`` fixture returns: ``None`` for ``live``, the real service
(a client given ``server=None`` uses its configured ``conf.server``), the session's replica's URL for
``replica``, and anything else as a base URL.
"""
import os

import pytest

__all__ = ["fink_replica", "fink_replica_pandas2", "fink_replica_server", "fink_server"]


def pytest_addoption(parser):
    parser.getgroup("astroquery-fink").addoption(
        "--fink-server",
        default=os.environ.get("FINK_TEST_SERVER", "live"),
        help=(
            "Server the fink_server fixture returns: 'live' (None: the client's conf.server, the real API), "
            "'replica' (a replica on loopback, started for the session) or a base URL. "
            "Default: $FINK_TEST_SERVER or 'live'."
        ),
    )


@pytest.fixture(scope="session")
def fink_server(request):
    """
    Base URL of the Fink/LSST API chosen by ``--fink-server``: the replica's, the URL given, or ``None``
    for ``live`` (the replica does not import the client, whose ``conf.server`` a ``None`` server means).
    """
    choice = request.config.getoption("--fink-server")
    if choice == "live":
        return None
    if choice == "replica":
        return request.getfixturevalue("fink_replica")
    return choice.rstrip("/")


@pytest.fixture(scope="session")
def _fink_replica_instance():
    """The session's pandas-3 replica object, shared by `fink_replica` and `fink_replica_server`."""
    from .server import FinkReplica  # here: a session that runs no replica test never imports pandas or Flask

    replica = FinkReplica()
    replica.start()
    yield replica
    replica.stop()


@pytest.fixture(scope="session")
def fink_replica(_fink_replica_instance):
    """
    Base URL of a replica emulating a pandas-3 server, e.g. ``http://127.0.0.1:54321``.

    Enable with ``pytest_plugins = ["astroquery_fink.testing.pytest_plugin"]``.
    """
    return _fink_replica_instance.url


@pytest.fixture
def fink_replica_server(_fink_replica_instance):
    """
    The session's replica (`FinkReplica`, same server as `fink_replica`), for one test.

    Use it to inject faults (``fink_replica_server.inject("503", times=2)``) and to read the
    request log (``fink_replica_server.requests``); both start empty and are cleared after
    the test, whatever its outcome.
    """
    _fink_replica_instance.clear_faults()
    _fink_replica_instance.clear_requests()
    yield _fink_replica_instance
    # faults first: requests a slow fault still holds then answer, and their log entries go too
    _fink_replica_instance.clear_faults()
    _fink_replica_instance.clear_requests()


@pytest.fixture(scope="session")
def fink_replica_pandas2():
    """Base URL of a replica emulating a pandas-2 server (``"nan"`` strings, VOTable 500s)."""
    from .server import FinkReplica

    with FinkReplica(pandas_major=2) as url:
        yield url
