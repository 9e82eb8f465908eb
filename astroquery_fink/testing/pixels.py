"""The ``rubin.pixel1024`` table: the latest alert of every object, keyed by its NSIDE-1024 HEALPix pixel."""

import functools

import numpy as np
import pandas as pd

from .store import row_key

__all__ = ["NSIDE", "healpix", "pixel_of", "pixel_table", "disc_pixels", "scan_pixels"]

#: Resolution of the conesearch/skymap index ``rubin.pixel1024`` (healpix of the diaSource ra/dec): RING scheme.
NSIDE = 1024

# diaObject names that the diaSource of the latest alert already provides (stored once, from the diaSource)
_FROM_SOURCE = ("r:diaObjectId", "r:ra", "r:raErr", "r:dec", "r:decErr", "r:ra_dec_Cov")


@functools.cache
def healpix(nside=NSIDE, order="ring"):
    """
    An ``astropy_healpix.HEALPix`` grid (imported lazily: only these routes need it).

    Parameters
    ----------
    nside : int, optional
    order : {"ring", "nested"}, optional

    Returns
    -------
    astropy_healpix.HEALPix
    """
    from astropy_healpix import HEALPix

    return HEALPix(nside=nside, order=order)


def pixel_of(ra, dec):
    """
    NSIDE-1024 RING pixel of positions in degrees.

    Parameters
    ----------
    ra, dec : array-like

    Returns
    -------
    numpy.ndarray of int64
    """
    import astropy.units as u

    return np.asarray(healpix().lonlat_to_healpix(np.asarray(ra) * u.deg, np.asarray(dec) * u.deg), dtype=np.int64)


def disc_pixels(ra, dec, radius_deg):
    """
    The NSIDE-1024 RING pixels the server scans for a cone: healpy's inclusive ``query_disc``.

    The server calls ``query_disc(1024, ang2vec(pi/2 - dec, ra), radius, inclusive=True)``
    (angles in radians), which returns every pixel that overlaps the disc, and a few more:
    HEALPix tests the pixels near the edge on a 4-times finer grid (``fact=4``). The same
    healpy call is made here, so that the replica scans exactly the same rows; a pixel set
    built from pixel centres misses objects close to the edge of the cone.

    Parameters
    ----------
    ra, dec : float
        Centre, degrees.
    radius_deg : float
        Radius, degrees. A negative or NaN radius selects nothing (healpy returns no pixel).

    Returns
    -------
    numpy.ndarray of int64
        Ascending pixel numbers.
    """
    import healpy

    vec = healpy.ang2vec(np.pi / 2.0 - np.pi / 180.0 * dec, np.pi / 180.0 * ra)
    pixels = healpy.query_disc(NSIDE, vec, np.pi / 180 * radius_deg, inclusive=True)
    return np.sort(np.asarray(pixels, dtype=np.int64))


def pixel_table(sources, objects):
    """
    One row per object: its latest diaSource, its diaObject record and Fink's values (214 columns).

    The row key is ``pixel1024_firstDiaSourceMjdTaiFink_diaObjectId`` with the pixel of
    the latest diaSource's position.

    Parameters
    ----------
    sources : pandas.DataFrame
        The ``rubin.diaSource_static`` cells.
    objects : pandas.DataFrame
        The ``rubin.diaObject`` cells.

    Returns
    -------
    pandas.DataFrame
        Cells indexed by row key (214 columns, ``f:pixel1024`` included).
    """
    latest = sources.sort_values("r:midpointMjdTai", kind="stable").groupby("r:diaObjectId").tail(1)
    latest = latest.set_axis(latest["r:diaObjectId"].astype("int64").to_numpy())
    record = objects.set_axis(objects["r:diaObjectId"].astype("int64").to_numpy())
    record = record.drop(columns=[c for c in _FROM_SOURCE if c in record.columns] + ["r:observation_reason",
                                                                                      "r:target_name", "r:salt"])
    pixels = pixel_of(latest["r:ra"].to_numpy(float), latest["r:dec"].to_numpy(float))
    stored = pd.DataFrame({"f:pixel1024": pd.array(pixels, dtype="Int64")}, index=latest.index)
    rows = pd.concat([latest, record.loc[latest.index], stored], axis=1)
    keys = [
        row_key(pix, float(first), int(oid))
        for pix, first, oid in zip(pixels, rows["f:firstDiaSourceMjdTaiFink"], rows.index, strict=True)
    ]
    return rows.set_axis(pd.Index(keys))


@functools.lru_cache(maxsize=4)
def _row_pixels(table):
    # the pixel is the first part of every row key of rubin.pixel1024
    return np.asarray([int(key.split("_", 1)[0]) for key in table.keys], dtype=np.int64)


def scan_pixels(table, pixels, columns="*", limit=None):
    """
    One prefix scan ``{pix}_`` per pixel, merged as the server's conesearch and skymap routes do.

    The scans run in ascending pixel order (each capped at ``limit`` rows and filtered
    by ``columns``); the route collects them in a Python dict, which reaches the decoder
    as a Java ``HashMap``, hence `~astroquery_fink.testing.store.java_hashmap_order`.

    Parameters
    ----------
    table : astroquery_fink.testing.store.HBaseTable
        ``rubin.pixel1024``.
    pixels : numpy.ndarray
        NSIDE-1024 RING pixels to scan.
    columns : str, optional
        Lomikel column filter.
    limit : int or None, optional
        Row cap of each scan.

    Returns
    -------
    positions : numpy.ndarray
        Rows in the order the decoder receives them.
    returned : tuple of str
        Columns the scans asked for.
    """
    from .store import java_hashmap_order

    row_pixels = _row_pixels(table)
    found = np.flatnonzero(np.isin(row_pixels, pixels))
    # rows come in key order; scan the pixels in ascending order, each pixel's rows in key order
    found = found[np.lexsort((found, row_pixels[found]))]
    scans = [table.select(found[row_pixels[found] == pix], columns, limit) for pix in np.unique(row_pixels[found])]
    positions = np.concatenate([s.positions for s in scans]) if scans else np.asarray([], dtype=int)
    returned = scans[0].columns if scans else ()
    positions = positions[java_hashmap_order([table.keys[i] for i in positions])]
    return positions, returned
