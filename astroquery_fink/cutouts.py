"""The cutout service's vocabulary and its answers: FITS stamps, pixel arrays and PNG images."""
import io
import json

import numpy as np
from astropy.io import fits
from astroquery.exceptions import TableParseError

__all__ = ["KINDS", "CUTOUT_FORMATS", "STRETCHES", "KERNELS", "decode_cutout", "empty_cutout"]

#: Stamp kinds, spelled as the server requires them (any other spelling makes it answer HTTP 500).
KINDS = ("Science", "Template", "Difference", "All")
#: Output formats of the cutout service, spelled as the server requires them.
CUTOUT_FORMATS = ("FITS", "array", "PNG")
#: ``sigmoid`` (the server's default) or a stretch of astropy's ``simple_norm``.
STRETCHES = ("sigmoid", "linear", "sqrt", "power", "log", "asinh", "arcsinh")
#: Smoothing kernels of one pixel the server can apply before rendering a PNG.
KERNELS = ("gauss", "box")
_SINGLE_KINDS = ("Science", "Template", "Difference")


def empty_cutout(kind, output_format):
    """What an unknown diaSourceId gives: an empty HDUList, empty array(s) or empty bytes."""
    if output_format == "FITS":
        return fits.HDUList()
    if output_format == "PNG":
        return b""
    if kind == "All":
        return {name: np.empty((0, 0)) for name in _SINGLE_KINDS}
    return np.empty((0, 0))


# What a PNG file starts with (its 8-byte signature), and what a FITS file does: its first card
# is SIMPLE, or XTENSION for the alert stamps, which lack the primary header.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FITS_FIRST_KEYWORDS = (b"SIMPLE  =", b"XTENSION=")


def _check_signature(content, output_format):
    """Refuse binary answers that are not what they claim (an HTML error page sent as a PNG...)."""
    if output_format == "PNG":
        valid = content.startswith(_PNG_SIGNATURE)
    elif output_format == "FITS":
        valid = content.startswith(_FITS_FIRST_KEYWORDS)
    else:
        return
    if not valid:
        excerpt = content[:120].decode("utf-8", errors="replace")
        raise TableParseError(f"the {output_format} cutout answer is not a {output_format} file "
                              f"({len(content):,} bytes beginning {excerpt!r})")


def decode_cutout(content, kind, output_format):
    """
    Decode a non-empty cutout answer.

    Returns
    -------
    `~astropy.io.fits.HDUList`, `numpy.ndarray`, dict or bytes
        FITS: the alert's HDUs (read fully into memory); array: the pixels as a float array,
        or for ``kind="All"`` a dict ``{"Science": ..., "Template": ..., "Difference": ...}``;
        PNG: the image bytes.

    Raises
    ------
    astroquery.exceptions.TableParseError
        If the answer cannot be read, or a PNG or FITS answer does not begin with the
        signature of its format.
    """
    _check_signature(content, output_format)
    if output_format == "PNG":
        return content
    try:
        if output_format == "FITS":
            # The alert stamps lack a leading SIMPLE card (the server's own tests open them so)
            hdus = fits.open(io.BytesIO(content), ignore_missing_simple=True, lazy_load_hdus=False)
            for hdu in hdus:
                hdu.data  # noqa: B018  (read the pixels now: the BytesIO is not kept)
            return hdus
        arrays = json.loads(content)  # Python's reader accepts the bare NaN jsonify writes
        stamps = {key.removeprefix("b:cutout"): np.asarray(value, dtype=float) for key, value in arrays.items()}
    except (OSError, ValueError, TypeError, AttributeError) as error:
        raise TableParseError(f"could not read the {output_format} cutout answer: {error}") from error
    if kind == "All":
        missing = set(_SINGLE_KINDS) - set(stamps)
        if missing:
            raise TableParseError(f"the cutout answer lacks the {sorted(missing)} stamp(s)")
        return {name: stamps[name] for name in _SINGLE_KINDS}
    if kind not in stamps:
        raise TableParseError(f"the cutout answer has {sorted(stamps)} instead of the {kind} stamp")
    return stamps[kind]
