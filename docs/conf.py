"""
Sphinx configuration of the astroquery-fink documentation.

Build (as ``tox -e build_docs`` does; warnings are errors)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Offline by default
------------------
The build machines reach no site but the package index, so intersphinx inventories cannot be
downloaded and a default build does not try: cross-references to other packages (astropy,
astroquery, numpy, requests, the standard library, ...) are then checked against the
*installed* packages instead. ``nitpicky`` stays on: every reference must name an object that
exists; references into ``astroquery_fink`` must resolve to its own pages, external ones must
import (``astropy.table.Table`` does, ``astropy.tables.Table`` fails the build). Offline, they
are shown as plain code, without a link.

With network access, set ``FINK_DOCS_INTERSPHINX=1`` to load the inventories: external
references then become links, and anything the inventories lack still falls back to the
import check above.
"""
import builtins
import datetime
import importlib
import os
import shutil
from importlib import metadata

# astropy's shared settings, as astroquery uses them: the extensions (numpydoc, automodapi, the
# doctest-remote-data and doctest-skip directives of pytest-doctestplus, ...) and the pydata theme
from sphinx_astropy.conf.v2 import *  # noqa: F401,F403
from sphinx_astropy.conf.v2 import html_theme_options

import astroquery_fink

# -- Project ---------------------------------------------------------------------------------------

# from the installed package's metadata (pyproject.toml), as the docs document the installed package
_METADATA = metadata.metadata("astroquery-fink")
project = _METADATA["Name"]
author = _METADATA["Author"] or "astroquery-fink developers"
copyright = f"{datetime.date.today().year}, {author}"
release = astroquery_fink.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------------------------------

exclude_patterns = ["_build", "**.ipynb_checkpoints"]
nitpicky = True
# `text` is a reference to a Python object, as in astropy's and astroquery's documentation
default_role = "obj"
rst_epilog = """
.. _astroquery: https://astroquery.readthedocs.io
"""

# numpydoc renders the docstrings; types in Parameters/Returns are plain text (no automatic
# cross-references: "int, str, or iterable of int or str" is prose, not a list of classes)
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# the API pages are written by sphinx-automodapi into api/ (not under version control) at every
# build; pages left there by an earlier build of objects no longer documented would be orphans,
# which -W turns into errors, so the directory starts empty
automodapi_toctreedirnm = "api"
shutil.rmtree(os.path.join(os.path.dirname(os.path.abspath(__file__)), automodapi_toctreedirnm), ignore_errors=True)
automodsumm_inherited_members = False

# -- Cross-references to other packages ------------------------------------------------------------

_ONLINE = os.environ.get("FINK_DOCS_INTERSPHINX", "") not in ("", "0")
if _ONLINE:
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3/", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "astropy": ("https://docs.astropy.org/en/stable/", None),
        "astroquery": ("https://astroquery.readthedocs.io/en/latest/", None),
        "pyvo": ("https://pyvo.readthedocs.io/en/latest/", None),
        "requests": ("https://requests.readthedocs.io/en/latest/", None),
        "matplotlib": ("https://matplotlib.org/stable/", None),
        "pytest": ("https://docs.pytest.org/en/stable/", None),
    }
else:
    intersphinx_mapping = {}

# Packages whose objects the docs and docstrings refer to; a reference to anything else that
# does not resolve is an error.
_EXTERNAL_PACKAGES = {
    "astropy", "astroquery", "numpy", "requests", "pyvo", "matplotlib", "pytest", "flask",
    "pandas", "pyarrow", "datetime", "pathlib", "warnings", "os", "io",
}
_BUILTIN_CONSTANTS = {"None", "True", "False", "NotImplemented", "Ellipsis"}


def _importable(target):
    """Whether ``target`` ("astropy.table.Table", "str", "None") names an object that exists."""
    if target in _BUILTIN_CONSTANTS or ("." not in target and hasattr(builtins, target)):
        return True
    if target.split(".")[0] not in _EXTERNAL_PACKAGES:
        return False
    return _import(target) is not None


def _import(target):
    """The object a dotted name refers to, or None."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        return obj
    return None


def _resolve_reexport(app, env, node, contnode):
    """
    Link ``astroquery_fink.testing.extra.extra_object_ids`` to the page of the same object where
    the API reference documents it (``astroquery_fink.testing.extra_object_ids``).

    sphinx-automodapi's smart_resolver does this for classes only; this does it for any object
    re-exported by a documented module, and only when both names give the very same object.
    """
    target = node.get("reftarget", "")
    obj = _import(target) if target.startswith("astroquery_fink.") else None
    if obj is None:
        return None
    domain = env.get_domain("py")
    short = target.rpartition(".")[2]
    for name in list(domain.objects):
        if name != target and name.rpartition(".")[2] == short and _import(name) is obj:
            return domain.resolve_xref(env, node.get("refdoc"), app.builder, node.get("reftype"), name, node,
                                       contnode)
    return None


# The replica's own machinery (create_app, generate_dataset, Dataset, ...) is described in its
# source, not in the user documentation, which documents only what a test author uses
# (reference/testing.rst). Docstrings of documented objects may still name it: such references
# must name an object that exists, and are shown as plain code.
_REPLICA_PACKAGE = "astroquery_fink.testing"


def _replica_internal(node):
    """Whether a reference names an existing object of the replica's package (not documented)."""
    target = node.get("reftarget", "")
    module = node.get("py:module") or ""
    candidates = [target]
    if module:
        candidates += [f"{module}.{target}"]
        if node.get("py:class"):
            candidates += [f"{module}.{node.get('py:class')}.{target}"]
    for name in candidates:
        if name.startswith(_REPLICA_PACKAGE) and _import(name) is not None:
            return True
    return False


def _resolve_external(app, env, node, contnode):
    """
    Resolve what Sphinx and intersphinx could not: re-exports, then (unlinked) existing external
    objects and replica internals.
    """
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    resolved = _resolve_reexport(app, env, node, contnode)
    if resolved is not None:
        return resolved
    if _importable(target) or _replica_internal(node):
        return contnode
    return None


# -- HTML ------------------------------------------------------------------------------------------

html_title = f"{project} {version}"
html_static_path = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "_static")]
html_css_files = ["fink.css"]
# Two columns, not three: the page's own sections ("On this page") are listed in the left column,
# under the navigation, so that the text column is wide enough at 1280 px for the examples'
# tables (printed 100 characters wide, see conftest.py) without a scroll bar.
html_theme_options = {
    **html_theme_options,
    "navigation_depth": 3,
    "show_toc_level": 2,
    "secondary_sidebar_items": [],
    "header_links_before_dropdown": 4,
}
html_sidebars = {"**": ["sidebar-nav-bs", "page-toc"]}
html_last_updated_fmt = None  # reproducible pages


def setup(app):
    # after intersphinx (priority 500): only what it could not link falls back to the import check
    app.connect("missing-reference", _resolve_external, priority=900)
