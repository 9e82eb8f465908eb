"""Science-grade light curves: the flux choice, upper limits from forced photometry, withdrawn rows and quality.

The expected magnitudes and limits are computed here with astropy's own AB magnitude
(``u.nJy.to(u.ABmag)``), not with the client's formula; the withdrawn rows are real replica rows
whose ``r:timeWithdrawnMjdTai`` the test sets (the replica withdraws none).
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.table import MaskedColumn, Table
from astroquery.exceptions import InvalidQueryError

from astroquery_fink import FinkClass
from astroquery_fink.lightcurve import QUALITY_COLUMNS, merge_lightcurve, plot_lightcurve

from .test_lightcurve import FP_FILE, SOURCES_FILE, SOURCES_ID

OBJECT_ID = 313761043604045880  # the replica's demo object: 20 detections, 36 forced points
FLAGS = ("r:pixelFlags_bad", "r:pixelFlags_cr", "r:pixelFlags_saturatedCenter", "r:pixelFlags_streakCenter")


def ab(flux_njy):
    """AB magnitudes of fluxes in nJy, by astropy."""
    return (np.asarray(flux_njy, dtype=float) * u.nJy).to_value(u.ABmag)


def table(flux, err, *, name="r:psfFlux", band="g", mjd=None, **columns):
    """A hand-made table of one endpoint: times, band, one flux with its error, other columns."""
    flux = np.ma.atleast_1d(np.ma.asarray(flux, dtype=float))
    mjd = np.arange(61000.0, 61000.0 + len(flux)) if mjd is None else mjd
    made = Table({"r:midpointMjdTai": MaskedColumn(mjd, unit=u.d), "r:band": [band] * len(flux),
                  name: MaskedColumn(flux, unit=u.nJy), f"{name}Err": MaskedColumn(err, unit=u.nJy)})
    for column, values in columns.items():
        made[column] = values
    return made


def floats(column):
    return np.ma.filled(np.ma.asarray(column, dtype=float), np.nan)


# --- the flux choice ---------------------------------------------------------------------------


def test_science_flux_gives_the_magnitudes_and_leads():
    detections = table([1000.0, 250.0], [10.0, 5.0], name="r:scienceFlux",
                       **{"r:psfFlux": [-50.0, 30.0], "r:psfFluxErr": [1.0, 1.0]})
    lc = merge_lightcurve(detections, flux="science")
    np.testing.assert_allclose(lc["mag"], ab([1000.0, 250.0]), rtol=0, atol=1e-9)
    np.testing.assert_allclose(lc["mag_err"], 2.5 / np.log(10) * np.array([10 / 1000, 5 / 250]), rtol=1e-12)
    assert not lc["mag"].mask.any()  # a negative difference flux does not mask the science magnitude
    assert lc.colnames[:12] == ["r:diaObjectId", "time", "r:band", "kind", "r:scienceFlux", "r:scienceFluxErr",
                                "mag", "mag_err", "upper_limit", "mag_limit", "r:psfFlux", "r:psfFluxErr"]
    assert "r:scienceFlux" in lc["mag"].description and "science" in lc["mag"].description
    assert "r:scienceFluxErr" in lc["mag_err"].description
    assert lc.meta["flux"] == "science" and lc.meta["flux_columns"] == ["r:scienceFlux", "r:scienceFluxErr"]


def test_difference_flux_is_the_default():
    detections = table([1000.0], [10.0], **{"r:scienceFlux": [4000.0], "r:scienceFluxErr": [10.0]})
    lc = merge_lightcurve(detections)
    np.testing.assert_allclose(lc["mag"], ab([1000.0]), atol=1e-9)
    assert lc.meta["flux"] == "difference" and "r:psfFlux" in lc["mag"].description


def test_template_flux_of_detections():
    lc = merge_lightcurve(table([400.0], [20.0], name="r:templateFlux"), flux="template")
    np.testing.assert_allclose(lc["mag"], ab([400.0]), atol=1e-9)
    assert lc.meta["flux_columns"] == ["r:templateFlux", "r:templateFluxErr"]


def test_template_flux_with_forced_photometry_refused_with_the_reason():
    detections = table([400.0], [20.0], name="r:templateFlux")
    forced = table([100.0], [10.0], **{"r:diaForcedSourceId": [1]})
    with pytest.raises(ValueError, match="forced photometry .* measures no template flux"):
        merge_lightcurve(detections, forced, flux="template")


def test_chosen_flux_missing_from_an_input_refused():
    with pytest.raises(ValueError, match=r"r:scienceFlux.*science flux"):
        merge_lightcurve(table([1.0], [1.0]), flux="science")


@pytest.mark.parametrize(("options", "match"), [
    ({"flux": "psf"}, "flux must be one of"),
    ({"flux": None}, "flux must be one of"),
    ({"limit_sigma": 0}, "limit_sigma"),
    ({"limit_sigma": -3.0}, "limit_sigma"),
    ({"limit_sigma": float("nan")}, "limit_sigma"),
    ({"limit_sigma": True}, "limit_sigma"),
    ({"limit_sigma": "5"}, "limit_sigma"),
    ({"min_reliability": 1.5}, "min_reliability"),
    ({"min_reliability": -0.1}, "min_reliability"),
    ({"min_reliability": "high"}, "min_reliability"),
])
def test_bad_options_refused(options, match):
    with pytest.raises(ValueError, match=match):
        merge_lightcurve(table([1.0], [1.0], **{"r:reliability": [0.9]}), **options)


def test_get_lightcurve_asks_both_endpoints_for_the_chosen_flux(client, server):
    server.answer(SOURCES_FILE, FP_FILE)
    client.get_lightcurve(SOURCES_ID, flux="science")
    sources_call, fp_call = server.calls
    for call in (sources_call, fp_call):
        asked = call["json"]["columns"].split(",")
        assert "r:scienceFlux" in asked and "r:scienceFluxErr" in asked and "r:psfFlux" in asked
        assert "r:timeWithdrawnMjdTai" in asked
    assert set(QUALITY_COLUMNS) <= set(sources_call["json"]["columns"].split(","))
    assert not set(QUALITY_COLUMNS) & set(fp_call["json"]["columns"].split(","))  # /fp has none


@pytest.mark.parametrize(("options", "match"), [
    ({"flux": "template"}, "forced=False"),
    ({"flux": "total"}, "flux must be one of"),
    ({"limit_sigma": 0}, "limit_sigma"),
    ({"min_reliability": 2}, "min_reliability"),
])
def test_get_lightcurve_bad_options_before_any_request(client, server, options, match):
    with pytest.raises(InvalidQueryError, match=match):
        client.get_lightcurve(SOURCES_ID, **options)
    assert server.calls == []


@pytest.fixture(scope="module")
def fink(fink_replica):
    return FinkClass(server=fink_replica)


@pytest.fixture(scope="module")
def replica_rows(fink):
    """The demo object's rows as the endpoints send them, every flux included."""
    sources = fink.query_sources(OBJECT_ID, columns=[
        "r:diaSourceId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr", "r:scienceFlux",
        "r:scienceFluxErr", "r:templateFlux", "r:templateFluxErr", "r:timeWithdrawnMjdTai", *QUALITY_COLUMNS])
    forced = fink.query_forced_photometry(OBJECT_ID, columns=[
        "r:diaForcedSourceId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr", "r:scienceFlux",
        "r:scienceFluxErr", "r:timeWithdrawnMjdTai"])
    return sources, forced


def test_get_lightcurve_science_on_the_replica(fink, replica_rows):
    sources, forced = replica_rows
    lc = fink.get_lightcurve(OBJECT_ID, flux="science")
    assert len(lc) == len(sources) + len(forced)
    for kind, rows, key in (("detection", sources, "r:diaSourceId"), ("forced", forced, "r:diaForcedSourceId")):
        mine = lc[lc["kind"] == kind]
        expected = dict(zip(rows[key].tolist(), floats(rows["r:scienceFlux"]), strict=True))
        science = np.array([expected[key_value] for key_value in mine[key].tolist()])
        no_limit = ~np.asarray(mine["upper_limit"])
        np.testing.assert_allclose(mine["mag"][no_limit], ab(science[no_limit]), rtol=0, atol=1e-9)
        # the same as the magnitude Fink's portal shows, 31.4 - 2.5 log10(flux / nJy)
        np.testing.assert_allclose(mine["mag"][no_limit], 31.4 - 2.5 * np.log10(science[no_limit]), atol=1e-4)
    assert lc.meta["flux"] == "science"


def test_get_lightcurve_template_flux_of_the_detections(fink, replica_rows):
    sources, _ = replica_rows
    lc = fink.get_lightcurve(OBJECT_ID, flux="template", forced=False)
    assert set(lc["kind"]) == {"detection"} and len(lc) == len(sources)
    by_id = dict(zip(sources["r:diaSourceId"].tolist(), floats(sources["r:templateFlux"]), strict=True))
    np.testing.assert_allclose(lc["mag"], ab([by_id[key] for key in lc["r:diaSourceId"].tolist()]), atol=1e-9)


# --- upper limits ------------------------------------------------------------------------------


def test_upper_limits_below_n_sigma_by_hand():
    flux = np.ma.array([100.0, 30.0, -20.0, 49.99, 50.0, 80.0, 70.0], mask=[0, 0, 0, 0, 0, 1, 0])
    err = np.ma.array([10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0], mask=[0, 0, 0, 0, 0, 0, 1])
    forced = table(flux, err, **{"r:diaForcedSourceId": np.arange(7)})
    lc = merge_lightcurve(table([], [])[:0], forced)
    # f < 5 sigma: 30, -20 and 49.99 (50 is exactly 5 sigma: a measurement); unknown flux or error: no limit
    assert lc["upper_limit"].tolist() == [False, True, True, True, False, False, False]
    expected_limit = ab(5 * 10.0)  # 5 sigma = 50 nJy
    np.testing.assert_allclose(lc["mag_limit"][lc["upper_limit"]], [expected_limit] * 3, rtol=0, atol=1e-9)
    assert expected_limit == pytest.approx(31.4 - 2.5 * np.log10(50), abs=1e-4)
    assert lc["mag_limit"].mask.tolist() == [True, False, False, False, True, True, True]
    # the limits have no magnitude; the measurements above 5 sigma do
    assert lc["mag"].mask.tolist() == [False, True, True, True, False, True, False]
    assert lc["mag_err"].mask.tolist() == [False, True, True, True, False, True, True]
    np.testing.assert_allclose(lc["mag"][[0, 4, 6]], ab([100.0, 50.0, 70.0]), atol=1e-9)
    assert lc["mag_limit"].unit == u.ABmag and lc["upper_limit"].dtype == bool
    assert "5-sigma" in lc["mag_limit"].description and "5 times" in lc["upper_limit"].description


def test_limit_sigma_moves_the_threshold_and_the_limit():
    forced = table([30.0, 45.0], [10.0, 10.0], **{"r:diaForcedSourceId": [1, 2]})
    lc = merge_lightcurve(table([], [])[:0], forced, limit_sigma=3)
    assert lc["upper_limit"].tolist() == [False, False]  # 3.0 and 4.5 sigma: not below 3 sigma
    lc = merge_lightcurve(table([], [])[:0], forced, limit_sigma=4)
    assert lc["upper_limit"].tolist() == [True, False]
    np.testing.assert_allclose(lc["mag_limit"][0], ab(4 * 10.0), atol=1e-9)
    assert lc.meta["limit_sigma"] == 4.0 and "4-sigma" in lc["mag_limit"].description


def test_detections_are_never_limits():
    lc = merge_lightcurve(table([2.0, -30.0], [1.0, 10.0]))  # 2 and -3 sigma
    assert not lc["upper_limit"].any() and lc["mag_limit"].mask.all()
    np.testing.assert_allclose(lc["mag"][0], ab(2.0), atol=1e-9)  # detections keep their magnitude


def test_limits_follow_the_chosen_flux():
    # a faint transient on a bright host: below 5 sigma in difference flux, far above in science flux
    forced = table([20.0], [10.0], **{"r:scienceFlux": [5000.0], "r:scienceFluxErr": [12.0],
                                      "r:diaForcedSourceId": [1]})
    detections = table([], [], **{"r:scienceFlux": [], "r:scienceFluxErr": []})[:0]
    assert merge_lightcurve(detections, forced)["upper_limit"].tolist() == [True]
    science = merge_lightcurve(detections, forced, flux="science")
    assert science["upper_limit"].tolist() == [False]
    np.testing.assert_allclose(science["mag"], ab([5000.0]), atol=1e-9)


def test_replica_limits_by_hand(fink, replica_rows):
    _, forced = replica_rows
    lc = fink.get_lightcurve(OBJECT_ID)
    flux, err = floats(forced["r:psfFlux"]), floats(forced["r:psfFluxErr"])
    low = np.isfinite(flux) & (flux < 5 * err)
    expected = sorted(forced["r:diaForcedSourceId"][low].tolist())
    assert len(expected) == 4  # the replica's demo object has four forced points below 5 sigma
    limits = lc[lc["upper_limit"]]
    assert sorted(limits["r:diaForcedSourceId"].tolist()) == expected
    by_id = dict(zip(forced["r:diaForcedSourceId"].tolist(), err, strict=True))
    np.testing.assert_allclose(limits["mag_limit"], ab([5 * by_id[key] for key in limits["r:diaForcedSourceId"]]),
                               atol=1e-9)
    assert limits["mag"].mask.all() and limits["mag_err"].mask.all()


def test_get_lightcurve_passes_limit_sigma_on(fink, replica_rows):
    _, forced = replica_rows
    flux, err = floats(forced["r:psfFlux"]), floats(forced["r:psfFluxErr"])
    expected = int((np.isfinite(flux) & (flux < 1.5 * err)).sum())
    assert expected == 3  # the 1.6-sigma point is no limit at 1.5 sigma
    lc = fink.get_lightcurve(OBJECT_ID, limit_sigma=1.5)
    assert lc["upper_limit"].sum() == expected and lc.meta["limit_sigma"] == 1.5


# --- withdrawn rows ----------------------------------------------------------------------------


def withdraw(rows, positions, when=61300.5):
    """A copy of ``rows`` whose rows at ``positions`` Rubin withdrew."""
    copy = rows.copy()
    column = MaskedColumn(copy["r:timeWithdrawnMjdTai"], copy=True)
    column[positions] = when
    copy["r:timeWithdrawnMjdTai"] = column
    return copy


def test_withdrawn_rows_dropped_and_counted(replica_rows):
    sources, forced = replica_rows
    assert np.ma.getmaskarray(sources["r:timeWithdrawnMjdTai"]).all()  # the replica withdraws nothing
    sources_w, forced_w = withdraw(sources, [0, 5]), withdraw(forced, [3])
    gone_sources = set(sources["r:diaSourceId"][[0, 5]].tolist())
    gone_forced = {forced["r:diaForcedSourceId"][3]}
    lc = merge_lightcurve(sources_w, forced_w)
    assert len(lc) == len(sources) + len(forced) - 3
    assert lc.meta["dropped"] == {"withdrawn": 3, "low_reliability": 0}
    assert not gone_sources & set(lc["r:diaSourceId"].compressed().tolist())
    assert not gone_forced & set(lc["r:diaForcedSourceId"].compressed().tolist())
    assert "withdrawn" not in lc.colnames and np.ma.getmaskarray(lc["r:timeWithdrawnMjdTai"]).all()
    assert np.all(np.diff(lc["time"].mjd) >= 0)


def test_withdrawn_rows_kept_and_flagged_on_request(replica_rows):
    sources, forced = replica_rows
    lc = merge_lightcurve(withdraw(sources, [0, 5]), withdraw(forced, [3]), keep_withdrawn=True)
    assert len(lc) == len(sources) + len(forced) and lc.meta["dropped"]["withdrawn"] == 0
    flagged = lc[lc["withdrawn"]]
    assert sorted(flagged["r:diaSourceId"].compressed().tolist()) == sorted(sources["r:diaSourceId"][[0, 5]])
    assert flagged["r:diaForcedSourceId"].compressed().tolist() == [forced["r:diaForcedSourceId"][3]]
    assert (flagged["r:timeWithdrawnMjdTai"] == 61300.5).all()
    assert lc["withdrawn"].dtype == bool and lc.colnames.index("withdrawn") + 1 == lc.colnames.index(
        "r:timeWithdrawnMjdTai")


def test_input_without_withdrawal_times_has_no_withdrawn_row():
    lc = merge_lightcurve(table([1.0, 2.0], [1.0, 1.0]), keep_withdrawn=True)
    assert lc["withdrawn"].tolist() == [False, False] and lc.meta["dropped"]["withdrawn"] == 0


def test_get_lightcurve_on_the_replica_drops_nothing(fink):
    lc = fink.get_lightcurve(OBJECT_ID, keep_withdrawn=True)
    assert len(lc) == 56 and not lc["withdrawn"].any()
    assert fink.get_lightcurve(OBJECT_ID).meta["dropped"] == {"withdrawn": 0, "low_reliability": 0}


# --- quality columns and the reliability filter -------------------------------------------------


def test_quality_columns_carried_from_the_detections(fink, replica_rows):
    sources, _ = replica_rows
    lc = fink.get_lightcurve(OBJECT_ID)
    detection = np.asarray(lc["kind"] == "detection")
    by_id = {key: row for key, row in zip(sources["r:diaSourceId"].tolist(), sources, strict=True)}
    for name in QUALITY_COLUMNS:
        assert np.array_equal(np.ma.getmaskarray(lc[name]), ~detection), name  # /fp has no quality columns
        values = [by_id[key][name] for key in lc["r:diaSourceId"][detection].tolist()]
        assert lc[name][detection].tolist() == [value.item() for value in values], name
    for name in FLAGS:
        assert lc[name].dtype == bool, name
    assert lc["r:pixelFlags_cr"][detection].sum() == 2  # the replica flags two of its detections
    assert lc["r:snr"].unit in (None, u.dimensionless_unscaled) and "reliability" not in lc["r:snr"].description


def test_min_reliability_drops_detections_only(fink, replica_rows):
    sources, forced = replica_rows
    lc = fink.get_lightcurve(OBJECT_ID, min_reliability=0.7)
    reliability = floats(sources["r:reliability"])
    kept = sorted(sources["r:diaSourceId"][reliability >= 0.7].tolist())
    assert 0 < len(kept) < len(sources)
    assert sorted(lc["r:diaSourceId"].compressed().tolist()) == kept
    assert (lc["kind"] == "forced").sum() == len(forced)  # forced points have no reliability: all kept
    assert lc.meta["dropped"]["low_reliability"] == len(sources) - len(kept)
    assert lc.meta["min_reliability"] == 0.7
    assert (lc["r:reliability"].compressed() >= 0.7).all()


def test_min_reliability_drops_unknown_reliability():
    detections = table([10.0, 20.0, 30.0], [1.0, 1.0, 1.0],
                       **{"r:reliability": MaskedColumn([0.9, 0.95, 0.2], mask=[False, True, False])})
    lc = merge_lightcurve(detections, min_reliability=0.5)
    assert lc["r:psfFlux"].tolist() == [10.0] and lc.meta["dropped"]["low_reliability"] == 2


def test_min_reliability_without_reliability_refused():
    with pytest.raises(ValueError, match="r:reliability"):
        merge_lightcurve(table([10.0], [1.0]), min_reliability=0.5)


# --- the plot ----------------------------------------------------------------------------------


def limit_lines(ax):
    return {line.get_label().split()[0]: line for line in ax.lines if line.get_label().endswith("upper limit")}


def test_plot_upper_limits_open_downward_triangles(plt, fink):
    from matplotlib.colors import same_color

    from astroquery_fink.lightcurve import BAND_COLORS

    lc = fink.get_lightcurve(OBJECT_ID)
    _, ax = plt.subplots()
    plot_lightcurve(lc, ax, y="mag")
    lines = limit_lines(ax)
    limits = lc[lc["upper_limit"]]
    assert set(lines) == set(limits["r:band"]) == {"u", "i", "r"}
    for band, line in lines.items():
        rows = limits[limits["r:band"] == band]
        assert line.get_marker() == "v" and line.get_linestyle() == "None"
        assert line.get_markerfacecolor() == "none"
        assert same_color(line.get_markeredgecolor(), BAND_COLORS[band])
        np.testing.assert_allclose(line.get_xdata(), rows["r:midpointMjdTai"])
        np.testing.assert_allclose(line.get_ydata(), rows["mag_limit"])
    # the limits are not drawn as magnitudes too
    drawn = sum(len(container.lines[0].get_xdata()) for container in ax.containers)
    assert drawn == (~lc["mag"].mask).sum()
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "u upper limit" in legend


def test_plot_flux_draws_the_chosen_flux_and_no_limit(plt, fink):
    lc = fink.get_lightcurve(OBJECT_ID, flux="science")
    _, ax = plt.subplots()
    plot_lightcurve(lc, ax, y="flux")
    assert not limit_lines(ax)  # in flux every measurement is a point, limits included
    drawn = np.concatenate([container.lines[0].get_ydata() for container in ax.containers])
    assert sorted(drawn) == pytest.approx(sorted(floats(lc["r:scienceFlux"])[~np.ma.getmaskarray(lc["r:scienceFlux"])]))
    assert "science" in ax.get_ylabel()
    _, ax = plt.subplots()
    plot_lightcurve(lc, ax, y="mag")
    assert "science" in ax.get_ylabel()
