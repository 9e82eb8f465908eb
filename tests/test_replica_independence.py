"""The replica is an independent witness: it shares no code and no data with the client it tests."""

import ast
import hashlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "astroquery_fink"
REPLICA = PACKAGE / "testing"
INSIDE = "astroquery_fink.testing"
# the replica's generator is held to the same rule
TOOL = REPO / "tools" / "generate_replica_fields.py"


def _module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(path):
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imported(node, path):
    """Absolute names of the modules an import statement reaches (relative imports resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module
    else:
        package = _package_of(path).split(".")
        if node.level - 1 >= len(package):
            return ["<above the top-level package>"]
        anchor = ".".join(package[:len(package) - (node.level - 1)])
        base = f"{anchor}.{node.module}" if node.module else anchor
    if base == "astroquery_fink":
        # "from .. import columns" (from a module of the replica's top level) reaches astroquery_fink.columns
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def _client_module(name):
    """True for the client package and its modules outside the replica."""
    client = name == "astroquery_fink" or name.startswith("astroquery_fink.")
    return client and not (name == INSIDE or name.startswith(INSIDE + "."))


def _outside(name):
    """True for a module of the client, or a relative import climbing above the top-level package."""
    return name.startswith("<") or _client_module(name)


def violations(path):
    """What in one source file ties it to the client: imports, and reads of the client's data."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [f"line {node.lineno}: imports {name}" for name in _imported(node, path) if _outside(name)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "columns.json" in node.value or "generate_columns" in node.value:
                found.append(f"line {node.lineno}: names {node.value!r}")
        elif isinstance(node, ast.Call):
            # importlib.import_module("astroquery_fink.columns"), resources.files("astroquery_fink")
            found += [f"line {node.lineno}: reaches the client package {arg.value!r}" for arg in node.args
                      if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _client_module(arg.value)]
    return found


def _replica_files():
    return sorted(REPLICA.rglob("*.py"))


def test_the_replica_has_modules_to_check():
    names = {path.relative_to(REPLICA).as_posix() for path in _replica_files()}
    assert {"dataset.py", "fields.py", "fink_fields.py", "routes/schema.py", "server.py"} <= names


@pytest.mark.parametrize("path", [*_replica_files(), TOOL], ids=lambda p: p.relative_to(REPO).as_posix())
def test_no_import_from_the_client_and_no_client_data(path):
    assert violations(path) == []


def test_no_client_data_file_copied_into_the_replica():
    def digest(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    client = {digest(p) for p in (PACKAGE / "data").rglob("*") if p.is_file()}
    replica = {p.name: digest(p) for p in (REPLICA / "data").rglob("*") if p.is_file()}
    assert replica and not any(value in client for value in replica.values())


@pytest.mark.parametrize(("source", "where", "bad"), [
    ("from ..columns import endpoint_columns\n", "dataset.py", True),
    ("from ...columns import schema_columns\n", "routes/schema.py", True),
    ("from .. import columns\n", "dataset.py", True),
    ("from ... import core\n", "routes/x.py", True),
    ("import astroquery_fink.columns\n", "dataset.py", True),
    ("from astroquery_fink.core import Fink\n", "dataset.py", True),
    ("from astroquery_fink import columns\n", "dataset.py", True),
    ("path = files('astroquery_fink').joinpath('data', 'columns.json')\n", "dataset.py", True),
    ("m = import_module('astroquery_fink.columns')\n", "dataset.py", True),
    ("from ..dataset import TABLES\n", "routes/x.py", False),
    ("from .fields import table_schema\n", "dataset.py", False),
    ("from . import fields\n", "dataset.py", False),
    ("from astroquery_fink.testing import fields\n", "dataset.py", False),
    ("import astroquery_fink.testing.fields\n", "dataset.py", False),
    ("from .. import cutouts\n", "routes/x.py", False),
    ("import numpy as np\n", "dataset.py", False),
])
def test_the_check_itself(tmp_path, monkeypatch, source, where, bad):
    # the detector must catch every way of reaching the client, and nothing else
    fake = REPLICA / where
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert bool(violations(fake)) is bad, violations(fake)
