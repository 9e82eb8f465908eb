"""``/api/v1/sso``: the alerts of Solar-System objects, optionally with Miriade ephemerides."""

import numpy as np
import pandas as pd
from flask import Response

from ..dataset import TABLES
from ..services import solar_system
from ..store import decode, java_hashmap_order
from ._base import error_response, tabular_response

PATH = "/api/v1/sso"
DESCRIPTION = "Retrieve Solar System object data from Fink/Rubin based on their number or designation"
REQUIRED = ("n_or_d",)


def _flag(payload, name):
    # honoured for JSON true or the exact string "True" (not "true", not 1): no type validation
    return name in payload and (payload[name] == "True" or payload[name] is True)


def resolve_packed(name):
    """
    Quaero's name and the 7-character aliases of an object, as the server's ``resolve_packed``.

    Parameters
    ----------
    name : str

    Returns
    -------
    sso_name : str
        ``""`` when quaero does not know the name.
    aliases : list of str
    """
    status, body = solar_system.quaero(str(name))
    if status == 200 and body != []:
        entry = body["data"][0]
        aliases = [alias.strip() for alias in entry["aliases"].split(",")]
        # the designation stored with the alerts is the 7-character packed one
        return entry["name"], [alias for alias in aliases if len(alias) == 7]
    return "", []


def with_ephemerides(frame):
    """
    fink-utils ``get_miriade_data(survey="lsst", observer="X05", shift=0)`` on the replica's Miriade.

    Per object (sorted names): Miriade's columns, an ``index`` column (Miriade's row
    number: ``reset_index`` of both frames, the first ``index`` kept), the alert columns,
    then ``i:magpsf_red``. An object without ephemerides keeps its rows unchanged.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
    """
    from astropy.time import Time

    if any(col not in frame.columns for col in ("f:sso_name", "r:midpointMjdTai", "r:psfFlux")):
        return frame
    jd = Time(frame["r:midpointMjdTai"].to_numpy(float), format="mjd", scale="tai").utc.jd
    parts = []
    for name in np.unique(frame["f:sso_name"].to_numpy(dtype=object)):
        mask = (frame["f:sso_name"] == name).to_numpy(dtype=bool)
        sub = frame[mask]
        eph = solar_system.miriade(str(name), jd[mask])
        if eph.empty:
            parts.append(sub)
            continue
        info = pd.concat([eph.reset_index(), sub.reset_index()], axis=1)
        info = info.loc[:, ~info.columns.duplicated()]
        with np.errstate(divide="ignore", invalid="ignore"):
            # LSST zero point assumed by fink-utils for fluxes in nJy
            mag = 31.4 - 2.5 * np.log10(info["r:psfFlux"])
            info["i:magpsf_red"] = mag - 5 * np.log10(info["Dobs"] * info["Dhelio"])
        parts.append(info)
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def extract(payload, ctx):
    """
    The server's ``extract_sso_data``: a frame, or the error `flask.Response`.

    Parameters
    ----------
    payload : mapping
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    pandas.DataFrame or flask.Response
    """
    cols = payload["columns"].replace(" ", "") if "columns" in payload else "*"
    truncated = cols != "*"
    with_residuals = _flag(payload, "withResiduals")
    # residuals are not computed in 3.5.0 (commented out): withResiduals only switches the ephemerides on
    with_ephem = with_residuals or _flag(payload, "withEphem")
    if truncated:
        cols = _with_needed_columns(cols, with_ephem)

    n_or_d = str(payload["n_or_d"])
    many = "," in n_or_d
    ids = [i.strip() for i in n_or_d.split(",")] if many else [n_or_d.strip()]
    if many and with_residuals:
        return error_response("You cannot request residuals for a list object names.\n")
    resolved = _resolve_all(ids)
    if isinstance(resolved, Response):
        return resolved
    packed, names = resolved
    frame = _scan_aliases(ctx, packed, cols, truncated)
    if frame is None:
        return pd.DataFrame()
    frame["f:sso_name"] = frame["r:packed_primary_provisional_designation"].apply(lambda x: names[x])
    if with_ephem:
        frame = with_ephemerides(frame)
        if "i:magpsf_red" not in frame.columns:
            return error_response("We could not obtain the ephemerides information. Check Miriade availabilities.")
    return frame


def _with_needed_columns(cols, with_ephem):
    """A column list completed with what the route needs: the designation, and the ephemerides' inputs."""
    needed = ["r:packed_primary_provisional_designation"]
    if with_ephem:
        needed += ["r:midpointMjdTai", "r:psfFlux"]
    for name in needed:
        if name not in cols:
            cols += "," + name
    return cols


def _resolve_all(ids):
    """(packed designations, packed -> quaero name) of the requested objects, or the error answer."""
    packed, names = [], {}
    for id_ in ids:
        sso_name, aliases = resolve_packed(id_)
        if sso_name == "":
            return error_response(f"{id_} is not a valid name or number according to quaero.\n")
        if len(aliases) == 0:
            return error_response(
                f"We have found 0 packed designation in the aliases for the object {id_} according to quaero.\n")
        packed += aliases
        names.update(dict.fromkeys(aliases, sso_name))
    return packed, names


def _scan_aliases(ctx, packed, cols, truncated):
    """The decoded alerts of the packed designations (None when there is none)."""
    table = ctx.store[TABLES["sso"]]
    scans = [table.scan(f"{alias[1:3]}_{alias}_", cols, ctx.nlimit) for alias in packed]
    positions = list(dict.fromkeys(p for scan in scans for p in scan.positions))
    if not positions:
        return None
    # the scans are merged in a Python dict, a Java HashMap for the decoder
    positions = np.asarray(positions)[java_hashmap_order([table.keys[i] for i in positions])]
    return decode(table, positions, scans[0].columns, truncated=truncated, pandas_major=ctx.pandas_major)


def respond(payload, ctx):
    """
    Answer an sso query.

    Parameters
    ----------
    payload : mapping
        ``n_or_d`` (required; one name or a comma-separated list), ``withEphem``,
        ``withResiduals``, ``columns``, ``output-format``.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    out = extract(payload, ctx)
    if isinstance(out, Response):
        return out
    return tabular_response(out, payload, ctx)
