"""``/api/v1/conesearch``: the latest alert of every object around a position."""

from ..dataset import TABLES
from ..pixels import disc_pixels, scan_pixels
from ..store import decode
from ._base import error_response, tabular_response

PATH = "/api/v1/conesearch"
DESCRIPTION = "Get Rubin alerts data based on coordinates"
REQUIRED = ("ra", "dec", "radius")

_MAX_RADIUS = 18000.0  # arcsec


def isoify_time(value):
    """
    The server's ``isoify_time``: an astropy date string, else a JD (>= 2 400 000) or an MJD.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
        UTC ISO date (``2026-01-07 10:00:00.000``).

    Raises
    ------
    ValueError
        Neither a date nor a number (500 on the server).
    """
    from astropy.time import Time  # astropy is imported on first use: a replica starts faster

    try:
        time = Time(value)
    except ValueError:
        number = float(value)
        time = Time(number, format="jd") if number // 2400000 else Time(number, format="mjd")
    return time.iso


def coordinates(ra, dec):
    """
    Parse ``ra``/``dec`` as the server does; only the RA text decides the style (``h``, ``:``/space, or degrees).

    Parameters
    ----------
    ra, dec : object

    Returns
    -------
    astropy.coordinates.SkyCoord

    Raises
    ------
    ValueError
        Unparsable or out-of-range coordinates (400 with the exception's repr).
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    if "h" in str(ra):
        return SkyCoord(ra, dec, frame="icrs")
    if ":" in str(ra) or " " in str(ra):
        return SkyCoord(ra, dec, frame="icrs", unit=(u.hourangle, u.deg))
    return SkyCoord(ra, dec, frame="icrs", unit="deg")


def _columns(payload):
    """The ``cols`` string: the position and time columns are added by a substring test."""
    if "columns" not in payload:
        return "*"
    cols = payload["columns"].replace(" ", "")
    # "r:ra" is a substring of "r:raErr": asking for r:raErr alone drops r:ra, then a 500
    for name in ("r:ra", "r:dec", "r:midpointMjdTai"):
        if name not in cols:
            cols = ",".join([cols, name])
    return cols


def _latest_per_object(frame):
    # group_alerts of the decoder: one row per object, its latest alert (max r:midpointMjdTai)
    if "r:midpointMjdTai" in frame.columns and "r:diaObjectId" in frame.columns:
        frame["r:midpointMjdTai"] = frame["r:midpointMjdTai"].astype(float)
        frame = frame.loc[frame.groupby("r:diaObjectId")["r:midpointMjdTai"].idxmax()]
    if "r:midpointMjdTai" in frame.columns:
        frame = frame.sort_values("r:midpointMjdTai", ascending=False)
    return frame


def _filter_dates(frame, payload):
    from astropy.time import Time

    # 3.5.0: startdate on the first detection, window and stopdate on the latest alert
    if "startdate" in payload:
        # the UTC ISO string is read back as TAI: the ~37 s offset is ignored, as on the server
        start = Time(isoify_time(payload["startdate"]), scale="tai").mjd
        frame = frame[frame["f:firstDiaSourceMjdTaiFink"] >= start]
        if "window" in payload:
            frame = frame[frame["r:midpointMjdTai"] <= start + float(payload["window"])]
    if "stopdate" in payload:
        stop = Time(isoify_time(payload["stopdate"]), scale="tai").mjd
        frame = frame[frame["r:midpointMjdTai"] <= stop]
    return frame


def respond(payload, ctx):
    """
    Answer a conesearch.

    Parameters
    ----------
    payload : mapping
        ``ra``, ``dec``, ``radius`` (arcsec; required), ``n``, ``startdate``, ``stopdate``,
        ``window``, ``columns``, ``output-format``; ``kind`` is ignored as in 3.5.0.
    ctx : astroquery_fink.testing.routes._base.Context

    Returns
    -------
    flask.Response
    """
    cols = _columns(payload)
    # a row limit per healpix pixel scanned, not a total (default 1000)
    limit = int(payload.get("n", 1000))
    radius = payload["radius"]
    if float(radius) > _MAX_RADIUS:
        return error_response("`radius` cannot be bigger than 18,000 arcseconds (5 degrees).\n")
    try:
        centre = coordinates(payload["ra"], payload["dec"])
    except ValueError as exc:
        # the exception object itself goes into the dict: its repr shows, unquoted, in the 400 body
        return error_response(exc)
    if ("startdate" in payload or "stopdate" in payload) and (
        cols != "*" and "f:firstDiaSourceMjdTaiFink" not in cols
    ):
        return error_response("You need to specify f:firstDiaSourceMjdTaiFink in the columns to filter on dates.\n")
    radius_deg = float(radius) / 3600.0
    table = ctx.store[TABLES["conesearch"]]
    pixels = disc_pixels(centre.ra.deg, centre.dec.deg, radius_deg)
    positions, returned = scan_pixels(table, pixels, cols, limit)
    # decoded "truncated" even for a full read: no null-filling, so the columns are those of
    # every row scanned in these pixels, before the separation cut
    frame = decode(table, positions, returned, truncated=True, sort=False, pandas_major=ctx.pandas_major)
    if frame.empty:
        return tabular_response(frame, payload, ctx)
    frame = _filter_dates(_latest_per_object(frame), payload)
    if len(frame) > 0:
        from astropy.coordinates import SkyCoord

        frame = frame.copy()
        frame["v:separation_degree"] = centre.separation(SkyCoord(frame["r:ra"], frame["r:dec"], unit="deg")).deg
        frame = frame.sort_values("v:separation_degree", ascending=True)
        frame = frame[~(frame["v:separation_degree"] > radius_deg)]
    return tabular_response(frame, payload, ctx)
