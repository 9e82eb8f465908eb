"""Image stamps of the alerts: the ``rubin.cutouts`` table, an emulated cutout service, FITS and PNG rendering."""

import functools
import io

import numpy as np
import pandas as pd

from ..store import row_key

__all__ = [
    "TABLE_SCHEMA",
    "KINDS",
    "cutout_table",
    "stamps",
    "cutout_service",
    "fits_bytes",
    "render_png",
    "COLORMAPS",
]

#: Columns of ``rubin.cutouts``, keyed ``{diaSourceId[-3:]}_{diaSourceId}``.
TABLE_SCHEMA = {
    "r:diaObjectId": "long",
    "r:diaSourceId": "long",
    "r:hdfs_path": "string",
    "r:midpointMjdTai": "double",
}

#: The three stamps of an alert, in the order the cutout service returns them for ``All``.
KINDS = ("Science", "Template", "Difference")

_SIZE = 30  # pixels: the server tests expect 30x30 stamps
_PSF_SIGMA = 1.7  # pixels
_QUANTUM = 0.125  # nJy: short JSON numbers, exact in float32
# a stamp with a template not covering a few columns (NaN pixels, which the array output would write as
# bare NaN tokens; inferred from the code) [guess]
_NAN_TEMPLATE_SOURCE = 169298437355340113


def cutout_table(frames):
    """
    One row per diaSource: where its alert (and thus its stamps) is archived.

    Parameters
    ----------
    frames : list of pandas.DataFrame
        diaSource cells (``rubin.diaSource_static``, ``rubin.diaSource_sso``).

    Returns
    -------
    pandas.DataFrame
        Cells indexed by ``{diaSourceId[-3:]}_{diaSourceId}``.
    """
    parts = [f[["r:diaObjectId", "r:diaSourceId", "r:midpointMjdTai"]] for f in frames]
    rows = pd.concat(parts, ignore_index=True)
    ids = rows["r:diaSourceId"].astype("int64").astype(str)
    day = np.floor(rows["r:midpointMjdTai"].to_numpy(float)).astype(np.int64)
    dates = np.datetime_as_string(np.datetime64("1858-11-17") + day.astype("timedelta64[D]"))
    # the route keeps what follows ":8020" of this path for the cutout service [guess: layout]
    rows["r:hdfs_path"] = [
        f"hdfs://ccmaster1:8020/user/fink/archive/rubin/science/year={d[:4]}/month={d[5:7]}/day={d[8:]}/{i}.avro"
        for d, i in zip(dates, ids, strict=True)
    ]
    return rows.set_axis(pd.Index([row_key(i[-3:], i) for i in ids]))


@functools.lru_cache(maxsize=4)
def _alert_index(store):
    """diaSourceId -> (psfFlux, templateFlux, ra, dec) over every diaSource table of a store."""
    from ..dataset import TABLES

    index = {}
    for name in (TABLES["sources"], TABLES["sso"]):
        table = store[name]
        positions = np.arange(len(table))
        columns = [table.cells(c, positions) for c in ("r:diaSourceId", "r:psfFlux", "r:templateFlux", "r:ra",
                                                         "r:dec")]
        for source_id, *values in zip(*columns, strict=True):
            index[int(source_id)] = tuple(0.0 if pd.isna(v) else float(v) for v in values)
    return index


@functools.lru_cache(maxsize=256)
def _stamps(source_id, psf_flux, template_flux):
    rng = np.random.default_rng(source_id)
    y, x = np.mgrid[0:_SIZE, 0:_SIZE]
    cx, cy = (_SIZE - 1) / 2 + rng.uniform(-0.3, 0.3, size=2)
    psf = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * _PSF_SIGMA**2))
    psf /= psf.sum()
    # a faint host galaxy (extended) under the template flux, and the sky noise
    host = np.exp(-((x - cx - 2) ** 2 / 18.0 + (y - cy + 1) ** 2 / 8.0))
    host *= max(template_flux, 0.0) / host.sum()
    template = host + rng.normal(0.0, 25.0, psf.shape)
    science = host + psf_flux * psf + rng.normal(0.0, 80.0, psf.shape)
    if source_id == _NAN_TEMPLATE_SOURCE:
        template[:, :4] = np.nan
    difference = science - template
    return {"Science": _quantise(science), "Template": _quantise(template), "Difference": _quantise(difference)}


def _quantise(image):
    # multiples of 1/8 nJy: exact in float32, short in the JSON of output-format=array
    return (np.round(image / _QUANTUM) * _QUANTUM).astype(np.float32)


def stamps(store, source_id):
    """
    The three 30x30 float32 stamps of an alert (nJy per pixel), deterministic per diaSourceId.

    Parameters
    ----------
    store : astroquery_fink.testing.store.Store
    source_id : int

    Returns
    -------
    dict of str to numpy.ndarray
    """
    psf_flux, template_flux, _, _ = _alert_index(store).get(int(source_id), (0.0, 0.0, 0.0, 0.0))
    return _stamps(int(source_id), psf_flux, template_flux)


def fits_bytes(store, source_id, kind):
    """
    One cutout as the alert packet carries it: image, ``UNCERT`` and ``MASK`` HDUs (astropy CCDData).

    The server's own tests open these files with ``ignore_missing_simple=True``: they
    start directly with an ``XTENSION`` card, without the primary header that carries
    ``SIMPLE``. The replica writes them the same way [guess: why they lack it].

    Parameters
    ----------
    store : astroquery_fink.testing.store.Store
    source_id : int
    kind : str
        ``Science``, ``Template`` or ``Difference``.

    Returns
    -------
    bytes
    """
    from astropy.io import fits

    data = stamps(store, source_id)[kind]
    _, _, ra, dec = _alert_index(store).get(int(source_id), (0.0, 0.0, 0.0, 0.0))
    header = fits.Header()
    for key, value in (("BUNIT", "nJy"), ("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"),
                       ("CRPIX1", (_SIZE + 1) / 2), ("CRPIX2", (_SIZE + 1) / 2), ("CRVAL1", ra), ("CRVAL2", dec),
                       ("CD1_1", -0.2 / 3600), ("CD1_2", 0.0), ("CD2_1", 0.0), ("CD2_2", 0.2 / 3600)):
        header[key] = value
    sigma = np.full(data.shape, 25.0 if kind == "Template" else 80.0, dtype=np.float32)
    mask = np.isnan(data).astype(np.uint8)
    hdus = [fits.PrimaryHDU(), fits.ImageHDU(data, header), fits.ImageHDU(sigma, name="UNCERT"),
            fits.ImageHDU(mask, name="MASK")]
    hdus[2].header["UTYPE"] = "StdDevUncertainty"
    buf = io.BytesIO()
    fits.HDUList(hdus).writeto(buf)
    # drop the empty primary HDU (one 2880-byte header block): the file starts with XTENSION
    return buf.getvalue()[2880:]


def cutout_service(store, hdfs_path, kind, return_type):
    """
    Answer of the internal cutout service the server POSTs the ``r:hdfs_path`` of the alert to.

    Parameters
    ----------
    store : astroquery_fink.testing.store.Store
    hdfs_path : str
        Archive file of the alert (``.../<diaSourceId>.avro``), from ``rubin.cutouts``.
    kind : str
        ``Science``, ``Template``, ``Difference`` or ``All``.
    return_type : {"array", "FITS"}

    Returns
    -------
    list or bytes
        ``array``: a list of 2-D lists (one per kind, ``All`` = Science, Template,
        Difference); ``FITS``: the file's bytes.
    """
    source_id = int(hdfs_path.rsplit("/", 1)[1].split(".")[0])
    if return_type == "FITS":
        return fits_bytes(store, source_id, kind)
    wanted = KINDS if kind == "All" else (kind,)
    images = stamps(store, source_id)
    return [images[k].tolist() for k in wanted]


# --- PNG rendering, as apps/utils/plotting.py of the server ----------------------------------


def sigmoid_normalizer(image):
    """
    The server's default stretch: ``1 / (1 + exp(-(x - mean) / std))``.

    Parameters
    ----------
    image : numpy.ndarray

    Returns
    -------
    numpy.ndarray
        Values in [0, 1].
    """
    normalised = (image - image.mean()) / image.std()
    return 1 / (1 + np.exp(-normalised))


def _stretch(name):
    from astropy.visualization import AsinhStretch, LinearStretch, LogStretch, PowerStretch, SinhStretch, SqrtStretch

    # the server's parameters: power=2, asinh_a=10, astropy defaults otherwise
    factories = {"linear": LinearStretch, "sqrt": SqrtStretch, "power": lambda: PowerStretch(2),
                 "log": lambda: LogStretch(1000), "asinh": lambda: AsinhStretch(10), "sinh": lambda: SinhStretch(0.3)}
    if name == "arcsinh":
        name = "asinh"
    if not isinstance(name, str) or name not in factories:
        raise ValueError(f"Unknown stretch: {name}.")
    return factories[name]()


def legacy_normalizer(image, stretch):
    """
    The server's other stretches: astropy ``simple_norm`` between fixed cut levels.

    The cut levels are the centre pixel (max) and ``min + 0.2 * median absolute
    deviation`` (min), so ``pmin``/``pmax`` never matter. ``simple_norm``
    needs matplotlib; its arithmetic (``ImageNormalize.__call__`` with ``clip=True``) is
    reproduced here with astropy's stretch classes.

    Parameters
    ----------
    image : numpy.ndarray
    stretch : str
        ``linear``, ``sqrt``, ``power``, ``log``, ``asinh`` (``arcsinh``) or ``sinh``.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ValueError
        Unknown stretch, or a minimum cut above the maximum (500 on the server).
    """
    centre = len(image) // 2
    vmax = image[centre, centre]
    vmin = np.min(image) + 0.2 * np.median(np.abs(image - np.median(image)))
    transform = _stretch(stretch)
    values = np.array(image, dtype=float, copy=True)
    if vmin == vmax:
        values *= 0.0
    elif vmin > vmax:
        raise ValueError("vmin must be less than or equal to vmax")
    else:
        values = np.clip((values - vmin) / (vmax - vmin), 0.0, 1.0)
        if transform._supports_invalid_kw:
            values = transform(values, clip=False, invalid=-1.0)
        else:
            values = transform(values, clip=False)
    return np.nan_to_num(values)


def convolve(image, kernel):
    """
    Smooth with a 1-pixel kernel, ``gauss`` or ``box`` (5x5 support, extended boundary).

    Parameters
    ----------
    image : numpy.ndarray
    kernel : str

    Returns
    -------
    numpy.ndarray
    """
    from astropy.convolution import Box2DKernel, Gaussian2DKernel
    from astropy.convolution import convolve as astropy_convolve

    # the server asserts the name (AssertionError, hence 500, for anything else)
    if kernel not in ("gauss", "box"):
        raise AssertionError(kernel)
    made = Gaussian2DKernel(1, x_size=5, y_size=5) if kernel == "gauss" else Box2DKernel(1, x_size=5, y_size=5)
    return astropy_convolve(image, made, boundary="extend")


def _hex(color):
    return tuple(int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))


def _even(*colors):
    """Per-channel segments for colours evenly spread over [0, 1]."""
    rgb = [_hex(c) for c in colors]
    xs = np.linspace(0, 1, len(rgb))
    return tuple(tuple(zip(xs, [c[k] for c in rgb], strict=True)) for k in range(3))


# matplotlib colormaps the replica knows (``getattr(matplotlib.cm, name)`` on the server accepts
# any). ColorBrewer and hot/gray segments as in matplotlib; viridis & co. from 10 reference colours,
# so their PNGs are close to, not identical with, the server's [guess].
_SEGMENTS = {
    "gray": _even("#000000", "#ffffff"),
    "binary": _even("#ffffff", "#000000"),
    "Greys": _even("#ffffff", "#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525", "#000000"),
    "Blues": _even("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"),
    "Reds": _even("#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#a50f15", "#67000d"),
    "Greens": _even("#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c",
                    "#00441b"),
    "hot": (((0.0, 0.0416), (0.365079, 1.0), (1.0, 1.0)),
            ((0.0, 0.0), (0.365079, 0.0), (0.746032, 1.0), (1.0, 1.0)),
            ((0.0, 0.0), (0.746032, 0.0), (1.0, 1.0))),
    "viridis": _even("#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6dcd59",
                     "#b4de2c", "#fde725"),
    "plasma": _even("#0d0887", "#47039f", "#7301a8", "#9c179e", "#bd3786", "#d8576b", "#ed7953", "#fa9e3b",
                    "#fdc926", "#f0f921"),
    "inferno": _even("#000004", "#1b0c42", "#4b0c6b", "#781c6d", "#a52c60", "#cf4446", "#ed6925", "#fb9a06",
                     "#f7d03c", "#fcffa4"),
    "magma": _even("#000004", "#180f3e", "#451077", "#721f81", "#9f2f7f", "#cd4071", "#f1605d", "#fd9567",
                   "#fec98d", "#fcfdbf"),
}


class _Colormap:
    """A 256-entry lookup table applied like ``matplotlib.colors.Colormap.__call__``."""

    def __init__(self, segments, reverse=False):
        x = np.linspace(0, 1, 256)
        channels = [np.interp(1 - x if reverse else x, *zip(*seg, strict=True)) for seg in segments]
        self.lut = np.stack([*channels, np.ones(256)], axis=-1)

    def __call__(self, values):
        scaled = np.asarray(values, dtype=float) * 256
        scaled[scaled == 256] = 255
        index = np.clip(np.nan_to_num(scaled, nan=0.0), 0, 255).astype(int)
        rgba = self.lut[index]
        rgba[np.isnan(scaled)] = 0.0  # matplotlib's default "bad" colour: transparent black
        return rgba


#: Colormap name -> callable (``<name>_r`` reversed), the ``matplotlib.cm`` attributes the replica has.
COLORMAPS = {
    **{name: _Colormap(seg) for name, seg in _SEGMENTS.items()},
    **{f"{name}_r": _Colormap(seg, reverse=True) for name, seg in _SEGMENTS.items()},
}


def render_png(image, payload):
    """
    PNG bytes of a stamp, following the server's PNG branch (8-bit, mode ``L``, ``RGBA`` with a colormap).

    Parameters
    ----------
    image : array-like
        The stamp (the cutout service's 2-D list).
    payload : mapping
        ``stretch`` (default ``sigmoid``), ``colormap``, ``convolution_kernel``;
        ``pmin``/``pmax`` are parsed (a non-number fails) and otherwise ignored.

    Returns
    -------
    bytes

    Raises
    ------
    Exception
        Unknown stretch, colormap or kernel: the server answers 500.
    """
    from PIL import Image

    array = np.nan_to_num(np.array(image, dtype=float))
    stretch = payload["stretch"] if "stretch" in payload else "sigmoid"
    if stretch == "sigmoid":
        array = sigmoid_normalizer(array)
    elif stretch is not None:
        for name in ("pmin", "pmax"):
            if name in payload:
                float(payload[name])
        array = legacy_normalizer(array, stretch)
    if "convolution_kernel" in payload:
        array = convolve(array, payload["convolution_kernel"])
    if "colormap" in payload:
        name = payload["colormap"]
        if not isinstance(name, str) or name not in COLORMAPS:
            raise AttributeError(f"module 'matplotlib.cm' has no attribute {name!r}")
        array = COLORMAPS[name](array)
    buf = io.BytesIO()
    Image.fromarray(np.uint8(array * 255)).save(buf, format="PNG")
    return buf.getvalue()
