"""Draw the three stamps of an alert (science, template, difference) side by side, on sky axes."""
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning
from astroquery.exceptions import EmptyResponseError, InvalidQueryError

__all__ = ["plot_cutouts", "STAMP_KINDS"]

#: The stamps of an alert, in the order `plot_cutouts` draws them (left to right).
STAMP_KINDS = ("Science", "Template", "Difference")

_PLOT_EXTRA = 'plot_cutouts needs matplotlib, an optional dependency: pip install "astroquery-fink[plot]"'
_COMPASS_COLOR = "#ffb000"  # amber: readable on the dark and the light parts of a grey stamp


def plot_cutouts(stamps, *, client=None, fig=None, interval=None, stretch=None, cmap="gray", colorbar=False,
                 compass=True, title=None):
    """
    Draw the science, template and difference stamps of an alert side by side, on sky axes.

    Each stamp is drawn in its own panel, an astropy ``WCSAxes`` built from the stamp's FITS
    header, so the ticks are right ascension and declination; pixel (0, 0) is at the lower left.
    Each panel has its own colour scale, since the three images cover different ranges (the
    difference is centred on zero, the science image on the sky level).

    The default scale is linear between the limits of IRAF's zscale (astropy's
    `~astropy.visualization.ZScaleInterval`), the usual choice for a first look at survey
    images: the sky noise fills the grey levels, so a faint source shows, while a bright one
    saturates. Pass ``interval=PercentileInterval(99.5)`` and ``stretch=AsinhStretch()`` to see the
    core of a bright source instead.

    Parameters
    ----------
    stamps : int, str, dict or sequence of `~astropy.io.fits.HDUList`
        A ``diaSourceId``: its three FITS stamps are fetched with
        `~astroquery_fink.FinkClass.get_cutouts`, three requests (the server gives the three
        images in one answer only as pixel arrays, without their sky coordinates). Or stamps
        already fetched: a dict ``{"Science": hdul, "Template": hdul, "Difference": hdul}``, or a
        sequence of three HDULists in that order. The image of an HDUList is its first HDU with
        2-D data (an alert's stamp is followed by its ``UNCERT`` and ``MASK`` HDUs).
    client : `~astroquery_fink.FinkClass`, optional
        The client that fetches the stamps of a ``diaSourceId``; the ready-made ``Fink`` by default.
    fig : `~matplotlib.figure.Figure` or `~matplotlib.figure.SubFigure`, optional
        An empty figure to draw in; by default a new one, 11 by 4 inches.
    interval : `~astropy.visualization.BaseInterval`, optional
        Gives each stamp's lowest and highest displayed values from its pixels (NaN ignored);
        ``ZScaleInterval()`` by default.
    stretch : `~astropy.visualization.BaseStretch`, optional
        Maps the values between these limits to the colour map; ``LinearStretch()`` by default.
    cmap : str or `~matplotlib.colors.Colormap`
        The colour map, grey levels by default.
    colorbar : bool
        Put a colour bar, in the unit of the stamp (``BUNIT``, nJy for alerts), under each panel.
    compass : bool
        Draw arrows pointing north (N) and east (E) in a lower corner of each panel.
    title : str, optional
        Title of the figure; by default ``"diaSource <id>"`` when ``stamps`` is an id, none otherwise.

    Returns
    -------
    `~matplotlib.figure.Figure` or `~matplotlib.figure.SubFigure`
        The figure; its first three axes are the science, template and difference panels
        (``WCSAxes``, each with the ``wcs`` of its stamp), the colour bars follow.

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        If an argument is not one of the above, or a given HDUList holds no image; before any request.
    astroquery.exceptions.EmptyResponseError
        If the server has no stamps for the ``diaSourceId`` (after its
        `~astroquery.exceptions.NoResultsWarning`).
    ImportError
        If matplotlib is not installed (``pip install "astroquery-fink[plot]"``).

    Examples
    --------
    >>> from astroquery_fink import plot_cutouts
    >>> fig = plot_cutouts(170424319673368579)  # doctest: +REMOTE_DATA
    >>> [ax.get_title() for ax in fig.axes]  # doctest: +REMOTE_DATA
    ['Science', 'Template', 'Difference']

    From stamps already fetched, with a stretch for bright sources:

    >>> from astropy.visualization import AsinhStretch, PercentileInterval
    >>> from astroquery_fink import Fink
    >>> hduls = {kind: Fink.get_cutouts(170424319673368579, kind=kind)
    ...          for kind in ("Science", "Template", "Difference")}  # doctest: +REMOTE_DATA
    >>> fig = plot_cutouts(hduls, interval=PercentileInterval(99.5), stretch=AsinhStretch(),
    ...                    title="my alert")  # doctest: +REMOTE_DATA
    """
    plt = _pyplot()
    from astropy.visualization import BaseInterval, BaseStretch, LinearStretch, ZScaleInterval
    from matplotlib.figure import FigureBase

    interval = ZScaleInterval() if interval is None else interval
    stretch = LinearStretch() if stretch is None else stretch
    _check_instance(interval, BaseInterval, "interval", "an astropy.visualization interval, e.g. ZScaleInterval()")
    _check_instance(stretch, BaseStretch, "stretch", "an astropy.visualization stretch, e.g. AsinhStretch()")
    _check_cmap(cmap)
    if fig is not None:
        _check_instance(fig, FigureBase, "fig", "a matplotlib Figure or SubFigure")
        if fig.axes:
            raise InvalidQueryError(f"fig already holds {len(fig.axes)} axes; pass an empty figure (plt.figure()).")
    if title is not None and not isinstance(title, str):
        raise InvalidQueryError(f"title must be a string, got {type(title).__name__}.")

    if _is_source_id(stamps):
        hduls = _fetch(stamps, client)
        title = f"diaSource {stamps}" if title is None else title
    else:
        hduls = _given(stamps)

    images = {kind: _image_hdu(hdul, kind) for kind, hdul in hduls.items()}
    fig = plt.figure(figsize=(11, 4), layout="constrained") if fig is None else fig
    panels = []
    for index, (kind, hdu) in enumerate(images.items()):
        left = panels[0][0] if panels else None
        panels.append(_draw(fig, index, kind, hdu, interval, stretch, cmap, compass, left))
    if colorbar:
        for (ax, picture), hdu in zip(panels, images.values(), strict=True):
            bar = fig.colorbar(picture, ax=ax, location="bottom", shrink=0.8)
            bar.set_label(hdu.header.get("BUNIT", ""))
    if title:
        fig.suptitle(title)
    return fig


def _pyplot():
    """matplotlib.pyplot, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(_PLOT_EXTRA) from error
    return plt


def _check_instance(value, expected, name, what):
    if not isinstance(value, expected):
        raise InvalidQueryError(f"{name} must be {what}, got {value!r}.")


def _check_cmap(cmap):
    from matplotlib import colormaps
    from matplotlib.colors import Colormap

    if isinstance(cmap, Colormap):
        return
    if not isinstance(cmap, str) or cmap not in colormaps:
        raise InvalidQueryError(f"cmap must be a matplotlib colour map or the name of one (e.g. 'gray'), "
                                f"got {cmap!r}.")


def _is_source_id(stamps):
    """True for one diaSourceId (a number or its text); False for stamps already fetched."""
    return isinstance(stamps, (int, np.integer, str)) and not isinstance(stamps, (bool, np.bool_))


def _fetch(dia_source_id, client):
    """The three FITS stamps of an alert, one request each: the server's ``All`` gives no FITS."""
    if client is None:
        from .core import Fink as client
    hduls = {}  # get_cutouts checks the id before the first request
    for kind in STAMP_KINDS:
        hdul = client.get_cutouts(dia_source_id, kind=kind)
        if not len(hdul):  # an unknown id: get_cutouts has warned; the other stamps would be empty too
            raise EmptyResponseError(f"the server has no stamps for diaSourceId {dia_source_id}: nothing to plot.")
        hduls[kind] = hdul
    return hduls


def _given(stamps):
    """Stamps already fetched, as a dict kind -> HDUList in the order of STAMP_KINDS."""
    if isinstance(stamps, Mapping):
        by_kind = {str(key).capitalize(): value for key, value in stamps.items()}
        if len(by_kind) != len(stamps) or set(by_kind) != set(STAMP_KINDS):
            raise InvalidQueryError(f"the dict of stamps must have the keys {list(STAMP_KINDS)}, "
                                    f"got {list(stamps)}.")
        hduls = {kind: by_kind[kind] for kind in STAMP_KINDS}
    elif isinstance(stamps, Sequence) and not isinstance(stamps, (str, bytes)):
        if len(stamps) != len(STAMP_KINDS):
            raise InvalidQueryError(f"give three stamps ({', '.join(STAMP_KINDS)}), got {len(stamps)}.")
        hduls = dict(zip(STAMP_KINDS, stamps, strict=True))
    else:
        raise InvalidQueryError("stamps must be a diaSourceId, a dict {'Science': HDUList, 'Template': ..., "
                                f"'Difference': ...}} or a sequence of three HDULists, got {type(stamps).__name__}.")
    for kind, hdul in hduls.items():
        if not isinstance(hdul, fits.HDUList):
            hint = " (pixel arrays carry no sky coordinates: get_cutouts' FITS output does)" \
                if isinstance(hdul, np.ndarray) else ""
            raise InvalidQueryError(f"the {kind} stamp must be an astropy.io.fits.HDUList, "
                                    f"got {type(hdul).__name__}{hint}.")
    return hduls


def _image_hdu(hdul, kind):
    """The first HDU of ``hdul`` holding a 2-D image."""
    for hdu in hdul:
        if hdu.is_image and hdu.data is not None and hdu.data.ndim == 2:
            return hdu
    raise InvalidQueryError(f"the {kind} HDUList holds no 2-D image ({len(hdul)} HDUs).")


def _draw(fig, index, kind, hdu, interval, stretch, cmap, compass, left):
    """One panel: the stamp on its WCS, scaled by ``interval`` and ``stretch``; returns (axes, image)."""
    from astropy.visualization import ImageNormalize
    from astropy.wcs import WCS

    wcs = WCS(hdu.header)
    if not wcs.has_celestial:
        warnings.warn(f"the {kind} stamp's header has no celestial WCS: its panel is drawn in pixels.",
                      AstropyUserWarning, stacklevel=3)
    ax = fig.add_subplot(1, len(STAMP_KINDS), index + 1, projection=wcs)
    data = np.asarray(hdu.data, dtype=float)
    picture = ax.imshow(data, origin="lower", cmap=cmap, norm=ImageNormalize(data, interval=interval, stretch=stretch))
    ax.set_title(kind)
    if wcs.has_celestial:
        _label_sky_axes(ax, left)
        if compass:
            _draw_compass(ax, wcs.celestial, data.shape)
    return ax, picture


def _label_sky_axes(ax, left):
    """
    Few ticks (a stamp spans seconds of arc), the axis names on the first panel (``left`` None).

    The declinations are written once, left of the first panel, when a panel has the same pixel
    grid on the sky as that one (alert templates are resampled to the science image's): repeated
    between the panels they would crowd each other.
    """
    from astropy.wcs import WCSCOMPARE_ANCILLARY

    ra, dec = ax.coords[0], ax.coords[1]
    ra.set_ticks(number=3)
    dec.set_ticks(number=3)
    ra.set_axislabel("RA")
    if left is None:
        dec.set_axislabel("Dec")
    elif (ax.images[0].get_array().shape == left.images[0].get_array().shape
          and ax.wcs.wcs.compare(left.wcs.wcs, cmp=WCSCOMPARE_ANCILLARY, tolerance=1e-10)):
        dec.set_ticklabel_visible(False)


def _draw_compass(ax, celestial, shape):
    """Arrows towards north and east, from the lower right corner (where the usual E-left, N-up compass fits)."""
    from astropy.wcs.utils import proj_plane_pixel_scales

    ny, nx = shape
    centre = ((nx - 1) / 2, (ny - 1) / 2)
    lon, lat = celestial.pixel_to_world_values(*centre)
    step = float(np.min(proj_plane_pixel_scales(celestial)))  # one pixel, in degrees
    towards = {"N": (lon, lat + step), "E": (lon + step / np.cos(np.radians(lat)), lat)}
    directions = {}
    for label, (to_lon, to_lat) in towards.items():
        direction = np.array(celestial.world_to_pixel_values(to_lon, to_lat)) - centre
        directions[label] = direction / np.hypot(*direction)
    length = 0.2 * min(nx, ny)
    reach = 1.35 * length  # the letters stand past the arrow tips
    dx = [d[0] for d in directions.values()]
    dy = [d[1] for d in directions.values()]
    # the arrows' corner 10% from the right and bottom edges, moved inwards so that the letters stay inside;
    # pixel centres are integers, so the image's edges are at -0.5 and n - 0.5
    origin = np.array([0.9 * nx - reach * max(0.0, *dx), 0.1 * ny - reach * min(0.0, *dy)]) - 0.5
    for label, direction in directions.items():
        ax.annotate("", xy=origin + length * direction, xytext=origin, xycoords="data", gid=f"compass-{label}",
                    arrowprops={"arrowstyle": "->", "color": _COMPASS_COLOR, "linewidth": 1.5})
        ax.text(*(origin + reach * direction), label, color=_COMPASS_COLOR, ha="center", va="center",
                fontweight="bold")
