"""
plot_cutouts, tested by its artists: the panels' WCS, pixels, scales, titles and compass.

The oracles do not go through the client: the stamps are asked of the replica with plain
``requests`` and read by ``astropy.io.fits``, their WCS built by ``astropy.wcs.WCS`` and their
display limits computed by astropy's interval classes.
"""
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import requests
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning
from astropy.visualization import AsinhStretch, LinearStretch, PercentileInterval, SqrtStretch, ZScaleInterval
from astropy.wcs import WCS
from astroquery.exceptions import EmptyResponseError, InvalidQueryError, NoResultsWarning

import astroquery_fink
from astroquery_fink.stamps import STAMP_KINDS, plot_cutouts

SOURCE = 170424319673368579  # a diaSourceId with stamps on the replica
NAN_SOURCE = 169298437355340113  # its template lacks four columns (NaN pixels)
UNKNOWN_SOURCE = 123456789012345678
KINDS = ("Science", "Template", "Difference")


def replica_stamp(url, source_id, kind):
    """The image HDU of a stamp as the replica serves it, read by astropy alone."""
    answer = requests.post(f"{url}/api/v1/cutouts", timeout=30,
                           json={"diaSourceId": str(source_id), "kind": kind, "output-format": "FITS"})
    answer.raise_for_status()
    with fits.open(io.BytesIO(answer.content), ignore_missing_simple=True) as hdul:
        return fits.ImageHDU(hdul[0].data.copy(), hdul[0].header.copy())


@pytest.fixture(scope="module")
def oracle(fink_replica):
    """kind -> the replica's image HDU of SOURCE."""
    return {kind: replica_stamp(fink_replica, SOURCE, kind) for kind in KINDS}


def cutout_requests(replica):
    return [entry["payload"] for entry in replica.requests if entry["path"] == "/api/v1/cutouts"]


def image_axes(fig):
    return fig.axes[:3]


def assert_same_wcs(wcs, header):
    expected = WCS(header)
    assert list(wcs.wcs.ctype) == list(expected.wcs.ctype) == ["RA---TAN", "DEC--TAN"]
    pixels = np.array([[0.0, 0.0], [29.0, 0.0], [0.0, 29.0], [14.5, 14.5], [7.0, 22.0]])
    np.testing.assert_allclose(wcs.wcs_pix2world(pixels, 0), expected.wcs_pix2world(pixels, 0), rtol=0, atol=1e-12)


def test_three_wcs_panels_from_a_source_id_in_three_requests(plt, replica, replica_client, oracle):
    from astropy.visualization.wcsaxes import WCSAxes

    fig = plot_cutouts(SOURCE, client=replica_client)
    # three FITS requests: kind="All" exists for pixel arrays only, without the WCS
    assert cutout_requests(replica) == [{"diaSourceId": str(SOURCE), "kind": kind, "output-format": "FITS"}
                                        for kind in KINDS]
    assert len(fig.axes) == 3  # no colour bar by default
    assert fig.get_suptitle() == f"diaSource {SOURCE}"
    # the replica's three stamps share one frame: declinations written left of the first panel only
    assert [ax.coords[1].get_ticklabel_visible() for ax in image_axes(fig)] == [True, False, False]
    assert fig.axes[0].coords[1].get_axislabel() == "Dec"
    assert [ax.coords[0].get_axislabel() for ax in image_axes(fig)] == ["RA"] * 3
    for ax, kind in zip(image_axes(fig), KINDS, strict=True):
        assert isinstance(ax, WCSAxes)
        assert ax.get_title() == kind
        assert_same_wcs(ax.wcs, oracle[kind].header)
        (image,) = ax.images
        np.testing.assert_array_equal(image.get_array(), oracle[kind].data)
        assert image.origin == "lower"
        vmin, vmax = ZScaleInterval().get_limits(oracle[kind].data)
        assert (image.norm.vmin, image.norm.vmax) == pytest.approx((vmin, vmax), rel=1e-12)
        assert isinstance(image.norm.stretch, LinearStretch)
        assert image.get_cmap().name == "gray"


def test_each_panel_has_its_own_scale(plt, replica_client, oracle):
    fig = plot_cutouts(SOURCE, client=replica_client)
    limits = [(ax.images[0].norm.vmin, ax.images[0].norm.vmax) for ax in image_axes(fig)]
    assert len(set(limits)) == 3
    assert limits[2][0] < 0 < limits[2][1]  # the difference straddles zero


def test_stretch_and_interval_can_be_chosen(plt, replica_client, oracle):
    fig = plot_cutouts(SOURCE, client=replica_client, interval=PercentileInterval(99.5), stretch=AsinhStretch(0.05),
                       cmap="viridis")
    for ax, kind in zip(image_axes(fig), KINDS, strict=True):
        norm = ax.images[0].norm
        assert (norm.vmin, norm.vmax) == pytest.approx(PercentileInterval(99.5).get_limits(oracle[kind].data))
        assert isinstance(norm.stretch, AsinhStretch) and norm.stretch.a == 0.05
        assert ax.images[0].get_cmap().name == "viridis"


def test_stamps_already_fetched_need_no_request(plt, replica, fink_replica, oracle):
    hduls = {kind: fits.HDUList([oracle[kind], fits.ImageHDU(np.zeros((30, 30)), name="UNCERT")]) for kind in KINDS}
    as_dict = plot_cutouts({kind.lower(): hdul for kind, hdul in hduls.items()})  # names in any case
    as_sequence = plot_cutouts([hduls[kind] for kind in KINDS], title="my alert")
    assert replica.requests == []
    assert as_dict.get_suptitle() == ""  # no id known: no title unless given
    assert as_sequence.get_suptitle() == "my alert"
    for fig in (as_dict, as_sequence):
        assert [ax.get_title() for ax in image_axes(fig)] == list(KINDS)
        for ax, kind in zip(image_axes(fig), KINDS, strict=True):
            np.testing.assert_array_equal(ax.images[0].get_array(), oracle[kind].data)
            assert_same_wcs(ax.wcs, oracle[kind].header)


def test_each_panel_has_the_wcs_and_pixels_of_its_own_stamp(plt):
    # the replica's three stamps share one WCS: here each kind has its own centre, scale and pixels
    stamps = [handmade([[-SCALE * (i + 1), 0], [0, SCALE]], dec=-30.0 + i) for i in range(3)]
    fig = plot_cutouts(stamps)
    assert [ax.coords[1].get_ticklabel_visible() for ax in image_axes(fig)] == [True, True, True]
    for ax, stamp in zip(image_axes(fig), stamps, strict=True):
        assert_same_wcs(ax.wcs, stamp[0].header)
        np.testing.assert_array_equal(ax.images[0].get_array(), stamp[0].data)


def test_the_image_is_the_first_hdu_with_2d_data(plt, oracle):
    first = fits.HDUList([fits.PrimaryHDU(), oracle["Science"], fits.ImageHDU(np.ones((30, 30)))])
    fig = plot_cutouts([first, first, first])
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), oracle["Science"].data)


def test_nan_pixels_stay_blank_and_do_not_spoil_the_scale(plt, replica_client, fink_replica):
    template = replica_stamp(fink_replica, NAN_SOURCE, "Template").data
    assert np.isnan(template).any()  # the replica's stamp is the case wanted here
    fig = plot_cutouts(NAN_SOURCE, client=replica_client)
    image = fig.axes[1].images[0]
    np.testing.assert_array_equal(image.get_array(), template)  # NaN where NaN
    finite = template[np.isfinite(template)]
    assert (image.norm.vmin, image.norm.vmax) == pytest.approx(ZScaleInterval().get_limits(finite), rel=1e-12)
    assert np.isfinite([image.norm.vmin, image.norm.vmax]).all()


def test_colour_bars_name_the_unit(plt, replica_client):
    fig = plot_cutouts(SOURCE, client=replica_client, colorbar=True)
    assert len(fig.axes) == 6
    bars = [ax.images[0].colorbar for ax in image_axes(fig)]
    assert [bar.ax for bar in bars] == fig.axes[3:]
    assert [bar.ax.get_xlabel() for bar in bars] == ["nJy"] * 3  # BUNIT of the replica's stamps
    for bar, ax in zip(bars, image_axes(fig), strict=True):
        assert (bar.vmin, bar.vmax) == pytest.approx((ax.images[0].norm.vmin, ax.images[0].norm.vmax), rel=1e-12)


def test_draws_in_the_figure_given(plt, replica_client):
    fig = plt.figure()
    assert plot_cutouts(SOURCE, client=replica_client, fig=fig) is fig
    assert len(fig.axes) == 3
    top, bottom = plt.figure().subfigures(2, 1)
    assert plot_cutouts(SOURCE, client=replica_client, fig=bottom) is bottom
    assert len(bottom.axes) == 3 and not top.axes


def test_the_default_client_is_fink(plt, replica):
    with astroquery_fink.conf.set_temp("server", replica.url):
        fig = astroquery_fink.plot_cutouts(str(SOURCE))
    assert len(cutout_requests(replica)) == 3 and len(fig.axes) == 3


# --- compass: hand-made WCS whose north and east are known --------------------------------------

SCALE = 0.2 / 3600  # degrees per pixel


def handmade(cd, shape=(30, 30), dec=-30.0):
    """A stamp of random pixels on a TAN projection with the given CD matrix, centred at (54.4, dec)."""
    header = fits.Header({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRPIX1": 15.5, "CRPIX2": 15.5,
                          "CRVAL1": 54.4, "CRVAL2": dec, "CD1_1": cd[0][0], "CD1_2": cd[0][1],
                          "CD2_1": cd[1][0], "CD2_2": cd[1][1]})
    data = np.random.default_rng(round(dec * 1000) % 2**32).normal(size=shape)
    return fits.HDUList([fits.ImageHDU(data, header)])


def compass(ax):
    """label -> (origin, unit direction) of the compass arrows, from the annotations drawn."""
    arrows = {}
    for annotation in ax.texts:
        if (annotation.get_gid() or "").startswith("compass-"):
            origin, tip = np.array(annotation.xyann), np.array(annotation.xy)
            arrows[annotation.get_gid().removeprefix("compass-")] = (origin, (tip - origin) / np.hypot(*(tip - origin)))
    return arrows


@pytest.mark.parametrize(("cd", "north", "east"), [
    pytest.param([[-SCALE, 0], [0, SCALE]], (0, 1), (-1, 0), id="north-up-east-left"),
    pytest.param([[SCALE, 0], [0, SCALE]], (0, 1), (1, 0), id="mirrored"),
    pytest.param([[0, -SCALE], [SCALE, 0]], (1, 0), (0, -1), id="rotated"),
])
def test_compass_points_north_and_east(plt, cd, north, east):
    # pixel offsets (dx, dy) map to (east, north) offsets CD @ (dx, dy): north is where CD's second row
    # grows, east where its first one does
    stamp = handmade(cd)
    fig = plot_cutouts([stamp] * 3)
    for ax in image_axes(fig):
        arrows = compass(ax)
        assert set(arrows) == {"N", "E"}
        np.testing.assert_allclose(arrows["N"][1], north, atol=1e-6)
        np.testing.assert_allclose(arrows["E"][1], east, atol=1e-6)
        letters = {text.get_text(): np.array(text.get_position()) for text in ax.texts if text.get_text()}
        assert set(letters) == {"N", "E"}
        for position in (*letters.values(), *(origin for origin, _ in arrows.values())):
            assert (-0.5 <= position).all() and (position <= 29.5).all()  # inside the stamp


def test_compass_can_be_left_out(plt):
    fig = plot_cutouts([handmade([[-SCALE, 0], [0, SCALE]])] * 3, compass=False)
    assert all(not ax.texts for ax in image_axes(fig))


def test_a_stamp_without_sky_coordinates_is_drawn_in_pixels_with_a_warning(plt):
    bare = fits.HDUList([fits.ImageHDU(np.arange(100.0).reshape(10, 10))])
    sky = handmade([[-SCALE, 0], [0, SCALE]])
    with pytest.warns(AstropyUserWarning, match="Template stamp's header has no celestial WCS"):
        fig = plot_cutouts([sky, bare, sky])
    assert not compass(fig.axes[1]) and compass(fig.axes[0])
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), bare[0].data)


# --- refusals ---------------------------------------------------------------------------------------


def hdul():
    return handmade([[-SCALE, 0], [0, SCALE]])


@pytest.mark.parametrize(("stamps", "options", "match"), [
    (SOURCE, {"interval": "zscale"}, "interval must be an astropy.visualization interval"),
    (SOURCE, {"stretch": "asinh"}, "stretch must be an astropy.visualization stretch"),
    (SOURCE, {"stretch": ZScaleInterval()}, "stretch must be"),
    (SOURCE, {"cmap": "no-such-map"}, "cmap must be a matplotlib colour map"),
    (SOURCE, {"fig": "figure"}, "fig must be a matplotlib Figure"),
    (SOURCE, {"title": 5}, "title must be a string"),
    ("not-an-id", {}, "dia_source_id"),
    ([SOURCE] * 3, {}, "the Science stamp must be an astropy.io.fits.HDUList, got int"),
    (True, {}, "stamps must be a diaSourceId"),
    (2.5, {}, "stamps must be a diaSourceId"),
    ({"Science": None, "Template": None}, {}, r"keys \['Science', 'Template', 'Difference'\]"),
    ({"Science": None, "science": None, "Template": None, "Difference": None}, {}, "keys"),
    ({kind: np.zeros((30, 30)) for kind in KINDS}, {}, "pixel arrays carry no sky coordinates"),
    ("two", {}, "dia_source_id"),
    (None, {}, "stamps must be a diaSourceId"),
])
def test_bad_arguments_are_refused_before_any_request(plt, replica, replica_client, stamps, options, match):
    with pytest.raises(InvalidQueryError, match=match):
        plot_cutouts(stamps, client=replica_client, **options)
    assert replica.requests == []
    assert not plt.get_fignums()  # no figure left behind either


def test_sequences_of_the_wrong_length_and_empty_hdulists_are_refused(plt):
    with pytest.raises(InvalidQueryError, match="give three stamps .*got 2"):
        plot_cutouts([hdul(), hdul()])
    with pytest.raises(InvalidQueryError, match=r"the Difference HDUList holds no 2-D image \(0 HDUs\)"):
        plot_cutouts([hdul(), hdul(), fits.HDUList()])
    with pytest.raises(InvalidQueryError, match="holds no 2-D image"):
        plot_cutouts([fits.HDUList([fits.ImageHDU(np.zeros(5))]), hdul(), hdul()])


def test_a_figure_with_axes_is_refused(plt, replica, replica_client):
    fig, _ = plt.subplots()
    with pytest.raises(InvalidQueryError, match="fig already holds 1 axes"):
        plot_cutouts(SOURCE, client=replica_client, fig=fig)
    assert replica.requests == []


def test_an_unknown_source_stops_after_one_request(plt, replica, replica_client):
    with pytest.warns(NoResultsWarning), pytest.raises(EmptyResponseError, match=f"no stamps for diaSourceId "
                                                                                  f"{UNKNOWN_SOURCE}"):
        plot_cutouts(UNKNOWN_SOURCE, client=replica_client)
    assert len(cutout_requests(replica)) == 1
    assert not plt.get_fignums()


def test_other_stretches_are_passed_through(plt, oracle):
    fig = plot_cutouts([fits.HDUList([oracle[kind]]) for kind in KINDS], stretch=SqrtStretch())
    assert all(isinstance(ax.images[0].norm.stretch, SqrtStretch) for ax in image_axes(fig))


# --- matplotlib is optional ---------------------------------------------------------------------


def test_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'plot_cutouts needs matplotlib.*pip install "astroquery-fink\[plot\]"'):
        plot_cutouts([hdul()] * 3)


def test_the_public_name_loads_no_matplotlib(tmp_path):
    code = ("import sys, json, astroquery_fink\n"
            "before = 'matplotlib' in sys.modules\n"
            "from astroquery_fink import plot_cutouts\n"
            "import astroquery_fink.stamps as stamps\n"
            "print(json.dumps([before, 'matplotlib' in sys.modules, plot_cutouts is stamps.plot_cutouts,\n"
            "                  'astroquery_fink.core' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, False, True, False]


def test_stamp_kinds_match_the_service_vocabulary():
    from astroquery_fink.cutouts import KINDS as SERVICE_KINDS

    assert STAMP_KINDS == KINDS and set(STAMP_KINDS) < set(SERVICE_KINDS)
    assert "plot_cutouts" in dir(astroquery_fink) and "plot_cutouts" in astroquery_fink.__all__
