"""pytest fixtures that run the Fink/LSST replica for a test session."""

import pytest

from .server import FinkReplica

__all__ = ["fink_replica", "fink_replica_pandas2"]


@pytest.fixture(scope="session")
def fink_replica():
    """
    Base URL of a replica emulating a pandas-3 server, e.g. ``http://127.0.0.1:54321``.

    Enable with ``pytest_plugins = ["astroquery_fink.testing.pytest_plugin"]``.
    """
    with FinkReplica() as url:
        yield url


@pytest.fixture(scope="session")
def fink_replica_pandas2():
    """Base URL of a replica emulating a pandas-2 server (``"nan"`` strings, VOTable 500s)."""
    with FinkReplica(pandas_major=2) as url:
        yield url
