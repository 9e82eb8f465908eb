"""Encoding of gravitational-wave sky maps the way the Fink skymap service reads them."""
import gzip
import os

import numpy as np
from astroquery.exceptions import InvalidQueryError

__all__ = ["skymap_payload"]

_GZIP_MAGIC = b"\x1f\x8b"
_FITS_START = b"SIMPLE  ="


def _map_bytes(skymap):
    """Gzipped bytes of a bayestar FITS map given as a path or as bytes (plain or gzipped)."""
    if isinstance(skymap, (bytes, bytearray, memoryview)):
        data = bytes(skymap)
    elif isinstance(skymap, (str, os.PathLike)):
        try:
            with open(skymap, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise InvalidQueryError(f"could not read the sky map {skymap!r}: {error}") from error
    else:
        raise InvalidQueryError(f"skymap must be a path or the bytes of a FITS file, got {type(skymap).__name__}.")
    try:
        plain = gzip.decompress(data) if data.startswith(_GZIP_MAGIC) else data
    except (OSError, EOFError) as error:
        raise InvalidQueryError(f"the sky map is not a readable gzip file: {error}") from error
    if not plain.startswith(_FITS_START):
        raise InvalidQueryError("the sky map is not a FITS file (a bayestar.fits or bayestar.fits.gz is expected).")
    # the server opens what it receives as bayestar.fits.gz; mtime=0 keeps the payload reproducible
    return data if data.startswith(_GZIP_MAGIC) else gzip.compress(plain, mtime=0)


def skymap_payload(*, event_name, skymap, credible_level, output_format):
    """
    Build the body of a skymap query.

    The server documents a ``file`` argument but reads ``bayestar``, whose value it evaluates as
    a Python bytes literal (``file`` is ignored and the server answers HTTP 500): the map goes out
    as ``repr()`` of its gzipped bytes.
    """
    if (event_name is None) == (skymap is None):
        raise InvalidQueryError("give exactly one of event_name (a GraceDB superevent such as 'S251112cm') "
                                "or skymap (a bayestar FITS map).")
    if isinstance(credible_level, (bool, np.bool_)):
        raise InvalidQueryError(f"credible_level must be a number in (0, 1], got {credible_level!r}.")
    try:
        level = float(credible_level)
    except (TypeError, ValueError) as error:
        raise InvalidQueryError(f"credible_level must be a number in (0, 1], got {credible_level!r}.") from error
    if not 0 < level <= 1:
        raise InvalidQueryError(f"credible_level must be in (0, 1], got {credible_level!r}.")
    payload = {"credible_level": level, "output-format": output_format}
    if event_name is not None:
        name = str(event_name).strip()
        if not name or any(char.isspace() for char in name):
            raise InvalidQueryError(
                f"event_name must be a GraceDB superevent name such as 'S251112cm', got {event_name!r}."
            )
        payload["event_name"] = name
    else:
        payload["bayestar"] = repr(_map_bytes(skymap))
    return payload
