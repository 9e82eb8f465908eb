"""
Importing the package stays light: heavy modules are loaded by the first call that needs them.

Each check runs in a fresh Python process (this one has imported everything already) and
reads its ``sys.modules``; how long the imports take is measured in benchmarks/bench_startup.py,
not here.
"""

import json
import subprocess
import sys

import pytest

# loaded by the first decoded answer (pyarrow: the VOTable and parquet readers), the first plot
# (matplotlib), or the first replica (pandas, Flask and the replica's modules)
HEAVY = ("pyarrow", "matplotlib", "pandas", "flask", "astroquery_fink.testing", "astroquery_fink.fast_votable")


def loaded_after(code, tmp_path):
    """The names in ``sys.modules`` of a fresh interpreter after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def heavy_in(modules, names=HEAVY):
    return sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in names))


def test_import_loads_only_the_configuration(tmp_path):
    modules = loaded_after("import astroquery_fink", tmp_path)
    # the client itself (and astroquery.query, which brings pyvo and most of astropy) waits for Fink
    assert heavy_in(modules, (*HEAVY, "astroquery_fink.core", "astroquery.query")) == []
    assert "astroquery_fink" in modules


@pytest.mark.parametrize("code", [
    "from astroquery_fink import Fink",
    "from astroquery_fink import FinkClass, conf; FinkClass(server='http://127.0.0.1:9')",
    # building a query's payload needs no decoder
    "from astroquery_fink import Fink; Fink.query_forced_photometry('313761043604045880', get_query_payload=True)",
])
def test_the_client_loads_nothing_heavy(tmp_path, code):
    modules = loaded_after(code, tmp_path)
    assert "astroquery_fink.core" in modules
    assert heavy_in(modules) == []


def test_the_pytest_plugin_starts_no_replica(tmp_path):
    # a test session that uses no replica fixture loads neither pandas nor Flask, nor the client
    modules = loaded_after("import astroquery_fink.testing.pytest_plugin", tmp_path)
    assert heavy_in(modules, ("pandas", "flask", "pyarrow", "astroquery_fink.testing.server",
                              "astroquery_fink.core", "astroquery.query")) == []


def test_the_replica_does_not_load_the_client(tmp_path):
    modules = loaded_after("from astroquery_fink.testing import FinkReplica", tmp_path)
    assert "astroquery_fink.testing.server" in modules
    assert heavy_in(modules, ("astroquery_fink.core", "astroquery.query")) == []


def test_public_names_are_all_there(tmp_path):
    code = ("import astroquery_fink, astroquery_fink.testing as testing\n"
            "from astroquery_fink import Fink, FinkClass, Conf, conf, __version__\n"
            "from astroquery_fink.testing import *\n"
            "assert isinstance(Fink, FinkClass) and isinstance(conf, Conf) and astroquery_fink.Fink is Fink\n"
            "for module in (astroquery_fink, testing):\n"
            "    assert set(module.__all__) <= set(dir(module)), module\n"
            "    assert all(getattr(module, name) is not None for name in module.__all__)\n"
            "assert FinkReplica.__module__ == 'astroquery_fink.testing.server'\n")
    assert "astroquery_fink.core" in loaded_after(code, tmp_path)
    with pytest.raises(AttributeError, match="no attribute 'Finkk'"):
        import astroquery_fink

        astroquery_fink.Finkk  # noqa: B018
