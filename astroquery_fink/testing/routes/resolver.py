"""``/api/v1/resolver``: TNS, SIMBAD and SsODNet names to LSST ids and back."""

import io

import pandas as pd
from flask import Response

from ..dataset import TABLES
from ..serialize import send_tabular_data
from ..services.resolvers import sesame_xml
from ..store import raw_scan
from . import sso
from ._base import tabular_response

PATH = "/api/v1/resolver"
DESCRIPTION = "Resolve astronomical names to LSST IDs, and vice-versa"
REQUIRED = ("resolver", "name_or_id")

_SSO_COLUMNS = "r:packed_primary_provisional_designation,r:ssObjectId,r:diaSourceId"


def _limit(nmax):
    """``client.setLimit(nmax)`` through py4j: only a Python int finds the Java method."""
    if not isinstance(nmax, int) or isinstance(nmax, bool):
        raise TypeError(f"setLimit({type(nmax).__name__}) does not exist")  # Py4JError on the server: 500
    return nmax


def _rows(table, prefix, columns, nmax):
    # hbase_to_dict + DataFrame.from_dict: HBase strings, no type restoration
    return pd.DataFrame.from_dict(raw_scan(table, table.match(prefix), columns, _limit(nmax)), orient="index")


def _tns(store, name, nmax, reverse):
    if name == "":
        # the whole table, nmax rows
        return _rows(store[TABLES["tns_resolver"]], "", "*", nmax)
    if reverse:
        # the object's first nmax alerts (row-key order), then one row per distinct TNS match
        table = store[TABLES["sources"]]
        found = _rows(table, f"{name[-3:]}_{name}_", "r:diaObjectId,f:xm_tns_fullname,f:xm_tns_type,f:xm_tns_redshift",
                      nmax).drop_duplicates()
        if "f:xm_tns_fullname" in found.columns:
            return found[found["f:xm_tns_fullname"].apply(lambda x: x != "nan" and not pd.isna(x))]
        return found
    # case-insensitive: the key is lower-cased and salted with the name's last character
    return _rows(store[TABLES["tns_resolver"]], f"{name.lower()[-1]}_{name.lower()}", "*", nmax)


def _simbad(store, name, nmax, reverse):
    if reverse:
        columns = "r:diaObjectId,f:main_label_crossmatch,r:ra,r:dec"
        return _rows(store[TABLES["objects"]], f"{name[-3:]}_{name}", columns, nmax)
    # CDS Sesame, parsed like the server with pandas.read_xml (etree: lxml is not required here)
    xml = sesame_xml(name)
    check = pd.read_xml(io.BytesIO(xml), parser="etree")
    if "Resolver" in check.columns:
        return pd.read_xml(io.BytesIO(xml), xpath=".//Resolver", parser="etree")
    return pd.DataFrame()


def _ssodnet(ctx, name, nmax, reverse):
    if reverse:
        return _rows(ctx.store[TABLES["sso_resolver"]], f"{name[-3:]}_{name}", "*", nmax)
    _limit(nmax)  # set on a rubin.mpc_orbits client that is then left unused
    # the server POSTs to its own /api/v1/sso and reads the JSON back (typed by read_json)
    out = sso.extract({"n_or_d": name, "columns": _SSO_COLUMNS}, ctx)
    if isinstance(out, Response):
        raise ValueError("/api/v1/sso answered an error: read_json fails")  # the resolver then answers 500
    _, body, _ = send_tabular_data(out, "json", pandas_major=ctx.pandas_major)
    return pd.read_json(io.BytesIO(body))


def respond(payload, ctx):
    """
    Answer a resolver query.

    Parameters
    ----------
    payload : mapping
        ``resolver`` (``tns``, ``simbad`` or ``ssodnet``), ``name_or_id`` (required),
        ``reverse`` (JSON ``true`` only), ``nmax`` (default 10), ``output-format``.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    resolver = payload["resolver"]
    name = payload["name_or_id"]
    nmax = payload["nmax"] if "nmax" in payload else 10
    # honoured only for JSON true: a GET query string cannot carry it, reverse needs a JSON body
    reverse = "reverse" in payload and payload["reverse"] is True
    if resolver == "tns":
        frame = _tns(ctx.store, name, nmax, reverse)
    elif resolver == "simbad":
        frame = _simbad(ctx.store, name, nmax, reverse)
    elif resolver == "ssodnet":
        frame = _ssodnet(ctx, name, nmax, reverse)
    else:
        # the server's result variable is never bound: UnboundLocalError, 500
        raise LookupError(f"unknown resolver {resolver!r}")
    return tabular_response(frame, payload, ctx)
