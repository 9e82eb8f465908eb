"""
pytest set-up of the documentation's examples (the ``>>>`` blocks of the ``.rst`` pages).

The pages show what the Fink/LSST replica (`astroquery_fink.testing`) answers, so they are
tested against it::

    python -m pytest docs --doctest-rst --remote-data=any --fink-server=replica

(``--doctest-rst``, ``--fink-server`` and the replica's fixtures come from pyproject.toml's pytest
settings, the latter two from `astroquery_fink.testing.pytest_plugin`.)
Every rst doctest runs

- with ``astroquery_fink.conf.server`` pointed at the server chosen by ``--fink-server``
  (the plugin's ``fink_server`` fixture: the session's replica for ``replica``, else that URL),
- in an empty temporary directory (examples that write files leave nothing behind), with
  astropy's cache directory, hence astroquery's cache, in another one (``Fink.clear_cache()``
  on the page must not empty yours),
- with tables printed 100 characters wide and at most 25 lines, whatever the terminal,
- with VizieR answered by a hand-made stand-in (``tests/data/vizier_gaia_dr3_fink_cone.vot``),
  as the replica stands in for Fink: the "Combining with other services" page
  (``fink/combine.rst``) sends a query to VizieR, and CI has no network.

With ``--fink-server=live`` (the default) the remote-data examples would query the real
service, whose answers differ from the ones shown: the pages are then skipped when
``--remote-data=any`` is given; without it only their offline examples run.
"""
from contextlib import nullcontext
from pathlib import Path

import astropy
import pytest
from astropy.config import set_temp_cache
from astroquery.utils.mocks import MockResponse
from astroquery.vizier import VizierClass

from astroquery_fink import conf

VIZIER_STAND_IN = Path(__file__).resolve().parents[1] / "tests" / "data" / "vizier_gaia_dr3_fink_cone.vot"

# make_lightcurve_figure.py (draws fink/lightcurve.png) and check_layout.py (looks for clipped content in
# the built pages) are scripts, not modules to import
collect_ignore = ["conf.py", "make_lightcurve_figure.py", "check_layout.py", "check_cli_examples.py", "_build", "api",
                  "make_cutouts_figure.py"]  # a script too: it draws fink/cutouts.png

def _docs_server(request):
    """Base URL the pages' examples query, or None for conf.server as configured (live)."""
    server = request.getfixturevalue("fink_server")
    if server is None and request.config.getoption("remote_data", "none") == "any":
        pytest.skip("the pages show the replica's answers: run them with --fink-server=replica")
    return server


def _vizier_stand_in(self, method, url, *, data=None, **kwargs):
    """VizieR's ``_request``, answering the one query the pages send (Gaia DR3) with the stand-in."""
    if method != "POST" or "-source=I/355/gaiadr3" not in str(data):
        raise AssertionError(f"the documentation's VizieR stand-in only answers Gaia DR3 queries, not {data!r}")
    return MockResponse(VIZIER_STAND_IN.read_bytes(), url=url)


@pytest.fixture(autouse=True)
def _fink_docs_environment(request, tmp_path, monkeypatch):
    """Server, working and cache directories, table width and VizieR stand-in of one documentation page."""
    server = _docs_server(request)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(VizierClass, "_request", _vizier_stand_in)
    with (
        set_temp_cache(tmp_path / "cache"),
        astropy.conf.set_temp("max_width", 100),
        astropy.conf.set_temp("max_lines", 25),
        conf.set_temp("server", server) if server else nullcontext(),
    ):
        yield
