"""Encoding of gravitational-wave sky maps the way the Fink skymap service reads them."""
import gzip
import os

from astroquery.exceptions import InvalidQueryError

__all__ = ["encode_skymap"]

_GZIP_MAGIC = b"\x1f\x8b"
_FITS_START = b"SIMPLE  ="


def encode_skymap(skymap):
    """
    Gzipped bytes of a bayestar FITS map given as a path or as bytes (plain or gzipped).

    The skymap payload sends them as ``repr()`` of these bytes (see `astroquery_fink.payload.skymap_payload`).
    """
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
