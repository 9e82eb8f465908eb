"""A small bayestar-like GW sky map, an emulated GraceDB, and credible-level pixel selection."""

import functools
import gzip
import io

import numpy as np

__all__ = ["EVENT_NAME", "DATE_OBS", "bayestar_bytes", "gracedb", "read_map", "credible_levels", "pixel_levels"]

#: The GraceDB superevent the replica knows (the server's example event).
EVENT_NAME = "S251112cm"
#: DATE-OBS of the test map, as in the map shipped with the server's tests.
DATE_OBS = "2025-11-12T15:18:45.363443"

_NSIDE = 64
# a Gaussian blob 3.6 deg from the objects near (327.088263, -11.829110): they lie between the
# 10% and the 90% credible regions (the server's test expects no row at credible_level 0.1) [guess: the map]
_CENTRE = (330.0, -14.0)
_SIGMA = 2.5  # degrees
# body of GraceDB's 404 for an unknown superevent [guess]
_NOT_FOUND = b'{"detail":"Not found."}'


def _probabilities():
    """PROB of every NESTED pixel: a normalised Gaussian blob on the sphere."""
    import astropy.units as u
    from astropy_healpix import HEALPix

    grid = HEALPix(nside=_NSIDE, order="nested")
    lon, lat = grid.healpix_to_lonlat(np.arange(grid.npix))
    ra0, dec0 = np.radians(_CENTRE)
    lon, lat = lon.to_value(u.rad), lat.to_value(u.rad)
    cos_d = np.sin(lat) * np.sin(dec0) + np.cos(lat) * np.cos(dec0) * np.cos(lon - ra0)
    distance = np.degrees(np.arccos(np.clip(cos_d, -1.0, 1.0)))
    density = np.exp(-0.5 * (distance / _SIGMA) ** 2)
    # bayestar maps are zero far from the event; it also keeps the file small
    density[density < 1e-12] = 0.0
    return density / density.sum()


@functools.cache
def bayestar_bytes():
    """
    The test map as GraceDB serves ``bayestar.fits.gz``: gzipped FITS, a ``PROB`` column, NESTED.

    Deterministic (no randomness, gzip timestamp 0).

    Returns
    -------
    bytes
    """
    from astropy.io import fits

    column = fits.Column(name="PROB", format="D", unit="pix-1", array=_probabilities())
    table = fits.BinTableHDU.from_columns([column])
    for key, value in (("PIXTYPE", "HEALPIX"), ("ORDERING", "NESTED"), ("COORDSYS", "C"), ("NSIDE", _NSIDE),
                       ("INDXSCHM", "IMPLICIT"), ("OBJECT", EVENT_NAME), ("DATE-OBS", DATE_OBS),
                       ("CREATOR", "astroquery_fink replica")):
        table.header[key] = value
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(buf)
    return gzip.compress(buf.getvalue(), mtime=0)


def gracedb(event_name):
    """
    GraceDB's answer to ``GET /api/superevents/<event>/files/bayestar.fits.gz``.

    Parameters
    ----------
    event_name : object

    Returns
    -------
    status : int
    content : bytes
    """
    if event_name == EVENT_NAME:
        return 200, bayestar_bytes()
    return 404, _NOT_FOUND


def read_map(gzipped):
    """
    ``PROB`` in RING order and the header of a gzipped bayestar FITS file, as the server reads it.

    Parameters
    ----------
    gzipped : bytes

    Returns
    -------
    prob : numpy.ndarray
    header : astropy.io.fits.Header
    """
    from astropy.io import fits
    from astropy_healpix import HEALPix, npix_to_nside

    with gzip.open(io.BytesIO(gzipped), "rb") as f, fits.open(io.BytesIO(f.read())) as hdul:
        data = hdul[1].data
        header = hdul[1].header.copy()
        prob = np.array(data["PROB"], dtype=float)
    if prob.ndim != 1:
        raise ValueError("PROB must be one value per row")  # healpy.reorder fails on it too
    if header["ORDERING"] == "NESTED":
        # healpy.reorder(n2r=True)
        grid = HEALPix(nside=npix_to_nside(len(prob)), order="nested")
        ring = np.empty_like(prob)
        ring[grid.nested_to_ring(np.arange(len(prob)))] = prob
        prob = ring
    return prob, header


def credible_levels(prob):
    """
    Credible level of every pixel: cumulative probability of the pixels at least as likely.

    Same numpy calls as the server, so ties are broken identically.

    Parameters
    ----------
    prob : numpy.ndarray
        RING-ordered probabilities.

    Returns
    -------
    numpy.ndarray
    """
    order = np.flipud(np.argsort(prob))
    cumulative = np.cumsum(prob[order])
    levels = np.empty_like(cumulative)
    levels[order] = cumulative
    return levels


def pixel_levels(levels, pixels_1024):
    """
    ``healpy.ud_grade(levels, 1024)`` evaluated at some NSIDE-1024 RING pixels.

    Upgrading copies each pixel's value to its children; degrading averages them.

    Parameters
    ----------
    levels : numpy.ndarray
        RING-ordered credible levels of the map.
    pixels_1024 : numpy.ndarray
        RING pixels at NSIDE 1024.

    Returns
    -------
    numpy.ndarray
    """
    from astropy_healpix import HEALPix, npix_to_nside

    nside = int(npix_to_nside(len(levels)))
    grid = HEALPix(nside=nside, order="nested")
    nested = HEALPix(nside=1024, order="nested").ring_to_nested(np.asarray(pixels_1024, dtype=np.int64))
    if nside <= 1024:
        parent = nested // (1024 // nside) ** 2
        return levels[grid.nested_to_ring(parent)]
    ratio = (nside // 1024) ** 2
    children = nested[:, None] * ratio + np.arange(ratio)
    return levels[grid.nested_to_ring(children)].mean(axis=1)
