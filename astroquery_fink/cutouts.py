"""Arguments and answers of the cutout service: FITS stamps, pixel arrays and PNG images."""
import io
import json

import numpy as np
from astropy.io import fits
from astroquery.exceptions import InvalidQueryError, TableParseError

from .payload import normalize_ids

__all__ = ["KINDS", "CUTOUT_FORMATS", "STRETCHES", "KERNELS", "cutout_payload", "decode_cutout", "empty_cutout"]

#: Stamp kinds, spelled as the server requires them (any other spelling makes it answer HTTP 500).
KINDS = ("Science", "Template", "Difference", "All")
#: Output formats of the cutout service, spelled as the server requires them.
CUTOUT_FORMATS = ("FITS", "array", "PNG")
#: ``sigmoid`` (the server's default) or a stretch of astropy's ``simple_norm``.
STRETCHES = ("sigmoid", "linear", "sqrt", "power", "log", "asinh", "arcsinh")
#: Smoothing kernels of one pixel the server can apply before rendering a PNG.
KERNELS = ("gauss", "box")
_SINGLE_KINDS = ("Science", "Template", "Difference")


def _choice(value, allowed, name):
    """Match ``value`` to one of ``allowed`` whatever its case; raise listing them otherwise."""
    by_lower = {option.lower(): option for option in allowed}
    key = str(value).strip().lower()
    if key not in by_lower:
        raise InvalidQueryError(f"{name} {value!r} is not supported; choose one of {allowed}.")
    return by_lower[key]


def _check_colormap(colormap):
    """The server looks the name up in ``matplotlib.cm``; check it here when matplotlib is installed."""
    try:
        from matplotlib import cm
    except ImportError:  # matplotlib is optional on the client: leave the check to the server
        return str(colormap)
    if not hasattr(cm, str(colormap)):
        raise InvalidQueryError(f"colormap {colormap!r} is not a matplotlib colormap name (e.g. 'viridis', 'Greys_r').")
    return str(colormap)


def cutout_payload(dia_source_id, *, kind, output_format, stretch, colormap, convolution_kernel):
    """
    Build the JSON body of a cutout request, refusing what the server would reject or crash on.

    ``kind="All"`` needs ``output_format="array"`` (the server refuses it with PNG or FITS and
    crashes without a format); ``stretch``, ``colormap`` and ``convolution_kernel`` only change PNG images.
    """
    ids = normalize_ids(dia_source_id, name="dia_source_id")
    if len(ids) != 1:
        raise InvalidQueryError(f"get_cutouts takes a single dia_source_id, got {len(ids)}.")
    kind = _choice(kind, KINDS, "kind")
    output_format = _choice(output_format, CUTOUT_FORMATS, "output_format")
    if kind == "All" and output_format != "array":
        raise InvalidQueryError("kind='All' is only available with output_format='array'.")
    payload = {"diaSourceId": ids[0], "kind": kind, "output-format": output_format}
    if stretch is not None:
        payload["stretch"] = _choice(stretch, STRETCHES, "stretch")
    if colormap is not None:
        payload["colormap"] = _check_colormap(colormap)
    if convolution_kernel is not None:
        payload["convolution_kernel"] = _choice(convolution_kernel, KERNELS, "convolution_kernel")
    if output_format != "PNG" and len(payload) > 3:
        raise InvalidQueryError("stretch, colormap and convolution_kernel only apply to output_format='PNG'.")
    return payload


def empty_cutout(kind, output_format):
    """What an unknown diaSourceId gives: an empty HDUList, empty array(s) or empty bytes."""
    if output_format == "FITS":
        return fits.HDUList()
    if output_format == "PNG":
        return b""
    if kind == "All":
        return {name: np.empty((0, 0)) for name in _SINGLE_KINDS}
    return np.empty((0, 0))


def decode_cutout(content, kind, output_format):
    """
    Decode a non-empty cutout answer.

    Returns
    -------
    `~astropy.io.fits.HDUList`, `numpy.ndarray`, dict or bytes
        FITS: the alert's HDUs (read fully into memory); array: the pixels as a float array,
        or for ``kind="All"`` a dict ``{"Science": ..., "Template": ..., "Difference": ...}``;
        PNG: the image bytes.
    """
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
