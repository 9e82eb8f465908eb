"""Light curves: merge_lightcurve on recorded answers and small tables, get_lightcurve, plot_lightcurve."""
import sys

import numpy as np
import pytest
from astropy import units as u
from astropy.table import MaskedColumn, Table
from astropy.time import Time
from astroquery.exceptions import InputWarning, InvalidQueryError, MaxResultsWarning, NoResultsWarning

from astroquery_fink import FinkClass
from astroquery_fink.lightcurve import (
    BAND_COLORS,
    DETECTION_COLUMNS,
    FORCED_COLUMNS,
    merge_lightcurve,
    plot_lightcurve,
)
from astroquery_fink.testing import BIG_FP_OBJECT_ID

from .recorded import MANIFEST

SOURCES_ID = 314003014107006318  # recorded sources (tests/data)
FP_ID = 313761043604045880  # recorded forced photometry; on the replica it has both
LEADING = ["r:diaObjectId", "time", "r:band", "kind", "r:psfFlux", "r:psfFluxErr", "mag", "mag_err",
           "upper_limit", "mag_limit", "r:diaSourceId", "r:diaForcedSourceId", "r:midpointMjdTai", "r:ra", "r:dec",
           "r:reliability", "r:snr", "r:pixelFlags_bad", "r:pixelFlags_cr", "r:pixelFlags_saturatedCenter",
           "r:pixelFlags_streakCenter", "r:timeWithdrawnMjdTai"]
SOURCES_FILE = "sources_314003014107006318.xml"
FP_FILE = "fp_313761043604045880.xml"


def recorded_sources(client, server, name=SOURCES_FILE):
    server.answer(name)
    payload = MANIFEST[name]["payload"]
    return client.query_sources(SOURCES_ID, columns=payload["columns"], output_format=payload["output-format"])


def recorded_forced(client, server, name=FP_FILE):
    server.answer(name)
    return client.query_forced_photometry(FP_ID, output_format=MANIFEST[name]["payload"]["output-format"])


def small(flux, *, band="r", mjd=None, err=None, **columns):
    """A hand-made detection table in the API's units."""
    flux = np.atleast_1d(flux)
    mjd = np.arange(61000.0, 61000.0 + len(flux)) if mjd is None else mjd
    table = Table({
        "r:midpointMjdTai": MaskedColumn(mjd, unit=u.d),
        "r:band": [band] * len(flux) if isinstance(band, str) else band,
        "r:psfFlux": MaskedColumn(flux, unit=u.nJy),
        "r:psfFluxErr": MaskedColumn(np.full(len(flux), 1.0) if err is None else err, unit=u.nJy),
    })
    for name, values in columns.items():
        table[name] = values
    return table


# --- merge_lightcurve on recorded answers ------------------------------------------------------


@pytest.fixture
def recorded(client, server):
    return recorded_sources(client, server), recorded_forced(client, server)


def test_merge_recorded_rows_kinds_and_ids(recorded):
    sources, forced = recorded
    lc = merge_lightcurve(sources, forced)
    assert len(lc) == len(sources) + len(forced) > 0
    detection = lc["kind"] == "detection"
    assert detection.sum() == len(sources) and (lc["kind"] == "forced").sum() == len(forced)
    # each row carries the id of its own kind, masked for the other
    assert np.array_equal(lc["r:diaSourceId"].mask, ~detection)
    assert np.array_equal(lc["r:diaForcedSourceId"].mask, detection)
    assert sorted(lc["r:diaSourceId"].compressed()) == sorted(sources["r:diaSourceId"])
    assert sorted(lc["r:diaForcedSourceId"].compressed()) == sorted(forced["r:diaForcedSourceId"])
    assert lc["r:diaSourceId"].dtype == lc["r:diaForcedSourceId"].dtype == np.int64


def test_merge_recorded_columns_units_descriptions(recorded):
    sources, forced = recorded
    lc = merge_lightcurve(sources, forced)
    assert lc.colnames[:len(LEADING)] == LEADING
    # the other columns of the recorded sources follow, masked in forced rows
    extras = [name for name in sources.colnames if name not in LEADING]
    assert lc.colnames[len(LEADING):] == extras + ["r:detector", "r:scienceFlux", "r:scienceFluxErr",
                                                   "r:timeProcessedMjdTai", "r:visit"]
    assert np.array_equal(np.ma.getmaskarray(lc["r:snr"]), lc["kind"] == "forced")
    for name in ("r:psfFlux", "r:psfFluxErr", "r:midpointMjdTai", "r:ra", "r:dec", "r:snr"):
        source_unit = sources[name].unit
        assert lc[name].unit == source_unit, name
    assert lc["r:psfFlux"].unit == u.nJy and lc["r:ra"].unit == u.deg
    assert lc["r:band"].description == sources["r:band"].description
    # the endpoints describe r:ra differently (detection centroid, object position): both are kept
    assert sources["r:ra"].description in lc["r:ra"].description
    assert forced["r:ra"].description in lc["r:ra"].description
    assert lc["r:psfFlux"].meta["ucd"] == "phot.count"
    assert lc["r:psfFluxErr"].meta["ucd"] == forced["r:psfFluxErr"].meta["ucd"]  # filled in by /fp


def test_merge_recorded_keeps_input_masks(recorded):
    sources, forced = recorded
    masked_rows = forced[np.ma.getmaskarray(forced["r:psfFlux"])]
    assert len(masked_rows) == 1  # the recorded answer has one null flux
    lc = merge_lightcurve(sources, forced)
    row = lc[lc["r:diaForcedSourceId"] == masked_rows["r:diaForcedSourceId"][0]]
    assert row["r:psfFlux"].mask[0] and row["mag"].mask[0] and row["mag_err"].mask[0]
    assert np.ma.getmaskarray(lc["r:psfFlux"]).sum() == 1


def test_merge_recorded_time_sorted_ascending(recorded):
    sources, forced = recorded
    assert sources["r:midpointMjdTai"][0] > sources["r:midpointMjdTai"][-1]  # the server: newest first
    lc = merge_lightcurve(sources, forced)
    assert isinstance(lc["time"], Time)
    assert (lc["time"].scale, lc["time"].format) == ("tai", "mjd")
    assert np.all(np.diff(lc["time"].mjd) >= 0)
    np.testing.assert_allclose(lc["time"].mjd, lc["r:midpointMjdTai"], rtol=0, atol=1e-9)


def test_merge_recorded_group_by_band(recorded):
    lc = merge_lightcurve(*recorded)
    grouped = lc.group_by("r:band")
    assert grouped.groups.keys["r:band"].tolist() == sorted(set(lc["r:band"]))
    assert sum(len(group) for group in grouped.groups) == len(lc)
    for group in grouped.groups:  # the time order survives the grouping
        assert len(set(group["r:band"])) == 1
        assert np.all(np.diff(group["time"].mjd) >= 0)
    assert len(lc.group_by("r:diaObjectId").groups) == 2


def test_merge_does_not_touch_inputs(recorded):
    sources, forced = recorded
    before = (sources.colnames, forced.colnames, sources["r:diaSourceId"].tolist())
    merge_lightcurve(sources, forced)
    assert (sources.colnames, forced.colnames, sources["r:diaSourceId"].tolist()) == before


def test_merge_same_for_every_transport(client, server):
    votable = merge_lightcurve(recorded_sources(client, server), recorded_forced(client, server))
    parquet = merge_lightcurve(recorded_sources(client, server, SOURCES_FILE.replace(".xml", ".parquet")),
                               recorded_forced(client, server, FP_FILE.replace(".xml", ".parquet")))
    assert parquet.colnames == votable.colnames
    for name in ("kind", "r:band", "r:diaSourceId", "r:diaForcedSourceId", "mag", "mag_err"):
        assert np.array_equal(np.ma.getmaskarray(parquet[name]), np.ma.getmaskarray(votable[name])), name
        assert parquet[name].tolist() == votable[name].tolist(), name


def test_merge_meta_keeps_both_queries(recorded):
    lc = merge_lightcurve(*recorded)
    assert lc.meta["detections"]["endpoint"] == "/api/v1/sources"
    assert lc.meta["forced"]["endpoint"] == "/api/v1/fp"


# --- merge_lightcurve on small tables ----------------------------------------------------------


def test_magnitude_zero_points():
    lc = merge_lightcurve(small([3631e9, 1.0, 1000.0]))  # 3631 Jy, 1 nJy, 1000 nJy
    np.testing.assert_allclose(lc["mag"], [0.0, 31.4, 23.9], atol=1e-4)
    # exactly astropy's AB zero point: the magnitudes convert back to the fluxes
    np.testing.assert_allclose(lc["mag"].quantity.to_value(u.nJy), lc["r:psfFlux"], rtol=1e-12)


def test_magnitude_of_flux_in_other_unit():
    table = small([1.0])
    table["r:psfFlux"] = MaskedColumn([1e-3], unit=u.mJy)  # 1000 nJy
    table["r:psfFluxErr"] = MaskedColumn([1e-4], unit=u.mJy)
    lc = merge_lightcurve(table)
    np.testing.assert_allclose(lc["mag"], 23.9, atol=1e-12)
    np.testing.assert_allclose(lc["mag_err"], 2.5 / np.log(10) * 0.1, rtol=1e-12)


def test_magnitude_masked_where_flux_not_positive_or_missing():
    flux = MaskedColumn([100.0, 0.0, -30.0, 50.0, np.nan], mask=[False, False, False, True, False], unit=u.nJy)
    table = small([1.0] * 5)
    table["r:psfFlux"] = flux
    lc = merge_lightcurve(table)  # filterwarnings=error: no log10 of a negative number happened
    assert lc["mag"].mask.tolist() == [False, True, True, True, True]
    assert lc["mag_err"].mask.tolist() == [False, True, True, True, True]
    assert lc["mag"][0] == pytest.approx(31.4 - 5.0)


def test_magnitude_error_formula():
    lc = merge_lightcurve(small([200.0, 50.0, 80.0], err=MaskedColumn([10.0, 5.0, 1.0], mask=[False, False, True])))
    np.testing.assert_allclose(lc["mag_err"][:2], 2.5 / np.log(10) * np.array([10 / 200, 5 / 50]), rtol=1e-12)
    assert lc["mag_err"].mask.tolist() == [False, False, True]
    assert not lc["mag"].mask[2]  # a magnitude without its error is still a magnitude


def test_magnitude_columns_units_and_descriptions():
    lc = merge_lightcurve(small([10.0]))
    assert lc["mag"].unit == u.ABmag and lc["mag_err"].unit == u.mag
    assert "AB" in lc["mag"].description and "masked" in lc["mag"].description
    assert "r:psfFluxErr" in lc["mag_err"].description
    assert isinstance(lc["mag"], MaskedColumn) and isinstance(lc["mag_err"], MaskedColumn)


def test_time_column_is_tai_mjd():
    lc = merge_lightcurve(small([1.0, 2.0], mjd=[61000.5, 61001.25]))
    assert isinstance(lc["time"], Time)
    assert (lc["time"].scale, lc["time"].format) == ("tai", "mjd")
    assert lc["time"].mjd.tolist() == [61000.5, 61001.25]
    assert not np.ma.isMaskedArray(lc["time"].mjd)


def test_rows_sorted_by_time_detection_first_on_ties():
    detections = small([1.0, 2.0, 3.0], mjd=[61003.0, 61001.0, 61002.0], **{"r:diaSourceId": [3, 1, 2]})
    forced = small([4.0, 5.0], mjd=[61002.0, 61000.0], **{"r:diaForcedSourceId": [20, 10]})
    lc = merge_lightcurve(detections, forced)
    assert lc["r:midpointMjdTai"].tolist() == [61000.0, 61001.0, 61002.0, 61002.0, 61003.0]
    assert lc["kind"].tolist() == ["forced", "detection", "detection", "forced", "detection"]


def test_rows_without_time_go_last():
    detections = small([1.0, 2.0])
    detections["r:midpointMjdTai"] = MaskedColumn([61005.0, 61001.0], mask=[True, False], unit=u.d)
    lc = merge_lightcurve(detections)
    assert lc["r:psfFlux"].tolist() == [2.0, 1.0]
    assert lc["time"].mask.tolist() == [False, True]


def test_group_by_band_on_small_table():
    lc = merge_lightcurve(small([1.0, 2.0, 3.0, 4.0], band=["g", "r", "g", "i"]))
    grouped = lc.group_by("r:band")
    assert grouped.groups.keys["r:band"].tolist() == ["g", "i", "r"]
    assert [len(group) for group in grouped.groups] == [2, 1, 1]


def test_detections_only_have_the_same_leading_columns():
    lc = merge_lightcurve(small([1.0]))
    assert lc.colnames == LEADING
    assert lc["r:diaForcedSourceId"].mask.all() and lc["r:diaSourceId"].mask.all()
    assert lc["r:ra"].mask.all() and lc["r:ra"].unit == u.deg  # absent from the input: masked, typed
    assert lc["r:diaForcedSourceId"].dtype == np.int64
    assert "forced" not in lc.meta


def test_empty_inputs_give_an_empty_light_curve(client, server):
    server.answer("empty.xml")
    with pytest.warns(NoResultsWarning):
        forced = client.query_forced_photometry(123456789012345678)
    lc = merge_lightcurve(small([])[:0], forced)
    assert len(lc) == 0 and lc.colnames[:len(LEADING)] == LEADING


def test_missing_flux_column_refused():
    table = small([1.0])
    del table["r:psfFluxErr"]
    with pytest.raises(ValueError, match="r:psfFluxErr"):
        merge_lightcurve(table)


def test_forced_photometry_given_as_sources_refused(client, server):
    with pytest.raises(ValueError, match="forced="):
        merge_lightcurve(recorded_forced(client, server))


def test_computed_column_names_refused():
    with pytest.raises(ValueError, match="mag"):
        merge_lightcurve(small([1.0], mag=[20.0]))


# --- get_lightcurve (recorded answers, then the replica over HTTP) -----------------------------


def test_get_lightcurve_asks_only_light_curve_columns(client, server):
    server.answer(SOURCES_FILE, FP_FILE)
    client.get_lightcurve(SOURCES_ID)
    sources_call, fp_call = server.calls
    assert sources_call["url"].endswith("/api/v1/sources") and fp_call["url"].endswith("/api/v1/fp")
    assert sources_call["json"]["columns"] == ",".join(DETECTION_COLUMNS)
    assert fp_call["json"]["columns"] == ",".join(FORCED_COLUMNS)
    assert sources_call["json"]["diaObjectId"] == fp_call["json"]["diaObjectId"] == str(SOURCES_ID)


def test_get_lightcurve_extra_columns_go_where_served(client, server):
    server.answer(SOURCES_FILE, FP_FILE)
    client.get_lightcurve(SOURCES_ID, columns="r:extendedness,r:visit,r:snr", output_format="votable")
    sources_call, fp_call = server.calls
    assert sources_call["json"]["columns"].split(",")[-2:] == ["r:extendedness", "r:visit"]  # r:snr asked once
    assert sources_call["json"]["columns"].split(",").count("r:snr") == 1
    assert fp_call["json"]["columns"].split(",")[-1] == "r:visit"  # /fp has no r:extendedness, no r:snr


def test_get_lightcurve_without_forced_photometry(client, server):
    server.answer(SOURCES_FILE)
    lc = client.get_lightcurve(SOURCES_ID, forced=False)
    assert len(server.calls) == 1
    assert set(lc["kind"]) == {"detection"}


def test_get_lightcurve_object_without_forced_photometry_does_not_warn(client, server):
    server.answer(SOURCES_FILE, "empty.xml")
    lc = client.get_lightcurve(SOURCES_ID)  # filterwarnings=error: no NoResultsWarning escapes
    assert len(lc) > 0 and set(lc["kind"]) == {"detection"}


def test_get_lightcurve_empty_warns_once(client, server):
    server.answer("empty.xml")
    with pytest.warns(NoResultsWarning, match="/api/v1/sources and /api/v1/fp") as record:
        lc = client.get_lightcurve(123456789012345678)
    assert len(record) == 1 and len(lc) == 0
    assert record[0].filename == __file__  # points at the caller
    assert lc.colnames[:len(LEADING)] == LEADING


def test_get_lightcurve_ids_from_an_iterator_serve_both_queries(client, server):
    server.answer(SOURCES_FILE, FP_FILE)
    client.get_lightcurve(iter([SOURCES_ID]))
    assert [call["json"]["diaObjectId"] for call in server.calls] == [str(SOURCES_ID)] * 2


def test_get_lightcurve_lets_other_warnings_through(client, server, monkeypatch):
    # a column the server's schema lists (newer than the packaged map) but the answer lacks: said
    monkeypatch.setattr(client, "get_schema", lambda endpoint: Table({"name": ["r:noSuchColumn"]}))
    server.answer(SOURCES_FILE, FP_FILE)
    with pytest.warns(InputWarning, match="r:noSuchColumn"):
        client.get_lightcurve(SOURCES_ID, columns=["r:noSuchColumn"])


def test_get_lightcurve_bad_input_before_any_request(client, server):
    with pytest.raises(InvalidQueryError):
        client.get_lightcurve("12-34")  # no letter: not a name
    with pytest.raises(InvalidQueryError):
        client.get_lightcurve("SN 2026bqe", columns=["psfFlux"])  # the columns are checked before the name is resolved
    with pytest.raises(InvalidQueryError):
        client.get_lightcurve(SOURCES_ID, columns=["psfFlux"])
    assert server.calls == []


def test_get_lightcurve_replica(fink_replica):
    fink = FinkClass(server=fink_replica)
    lc = fink.get_lightcurve(FP_ID)
    sources = fink.query_sources(FP_ID, columns=["r:diaSourceId", "r:psfFlux"])
    forced = fink.query_forced_photometry(FP_ID, columns=["r:diaForcedSourceId", "r:psfFlux"])
    assert (lc["kind"] == "detection").sum() == len(sources) == 20
    assert (lc["kind"] == "forced").sum() == len(forced) == 36
    assert set(lc["r:diaObjectId"]) == {FP_ID}
    assert np.all(np.diff(lc["time"].mjd) >= 0)
    flux = np.ma.filled(np.ma.asarray(lc["r:psfFlux"], dtype=float), np.nan)
    no_mag = np.ma.getmaskarray(lc["r:psfFlux"]) | ~(np.nan_to_num(flux, nan=-1.0) > 0)
    assert no_mag.sum() == 2  # one null, one negative flux
    # the forced points below 5 sigma (one of them the negative flux) are limits, without magnitude
    signal_to_noise = flux / np.ma.filled(np.ma.asarray(lc["r:psfFluxErr"], dtype=float), np.nan)
    limits = (lc["kind"] == "forced") & (np.nan_to_num(signal_to_noise, nan=np.inf) < 5)
    assert limits.sum() == 4 and np.array_equal(lc["upper_limit"], limits)
    assert np.array_equal(lc["mag"].mask, no_mag | limits)
    assert set(lc.group_by("r:band").groups.keys["r:band"]) == set("ugrizy")


def test_get_lightcurve_replica_several_ids_one_table(fink_replica):
    lc = FinkClass(server=fink_replica).get_lightcurve([FP_ID, SOURCES_ID], output_format="parquet")
    assert set(lc["r:diaObjectId"]) == {FP_ID, SOURCES_ID}
    for group in lc.group_by("r:diaObjectId").groups:
        assert set(group["kind"]) == {"detection", "forced"}
        assert np.all(np.diff(group["time"].mjd) >= 0)


def test_get_lightcurve_replica_same_for_every_transport(fink_replica):
    fink = FinkClass(server=fink_replica)
    votable = fink.get_lightcurve(FP_ID)
    for output_format in ("json", "csv", "parquet"):
        other = fink.get_lightcurve(FP_ID, output_format=output_format)
        assert other.colnames == votable.colnames
        assert other["r:diaSourceId"].tolist() == votable["r:diaSourceId"].tolist()
        np.testing.assert_allclose(other["mag"].filled(np.nan), votable["mag"].filled(np.nan), rtol=1e-9)


def test_get_lightcurve_replica_row_limit_warning_passes(fink_replica):
    with pytest.warns(MaxResultsWarning, match=str(BIG_FP_OBJECT_ID)):
        lc = FinkClass(server=fink_replica).get_lightcurve(BIG_FP_OBJECT_ID, output_format="parquet")
    assert (lc["kind"] == "forced").sum() == 10_000


# --- plot_lightcurve ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replica_lightcurve(fink_replica):
    return FinkClass(server=fink_replica).get_lightcurve(FP_ID)


def expected_labels(lc, value="r:psfFlux"):
    rows = lc[~np.ma.getmaskarray(lc[value])]
    return {f"{band} {kind}" for band, kind in zip(rows["r:band"], rows["kind"], strict=True)}


def test_plot_flux_one_container_per_band_and_kind(plt, replica_lightcurve):
    _, ax = plt.subplots()
    assert plot_lightcurve(replica_lightcurve, ax) is ax
    labels = [container.get_label() for container in ax.containers]
    assert len(labels) == len(set(labels)) and set(labels) == expected_labels(replica_lightcurve)
    assert len(labels) == 9  # detections in r, i, z; forced points in all six bands
    assert [text.get_text() for text in ax.get_legend().get_texts()] == labels
    drawn = sum(len(container.lines[0].get_xdata()) for container in ax.containers)
    assert drawn == (~np.ma.getmaskarray(replica_lightcurve["r:psfFlux"])).sum()
    assert "MJD" in ax.get_xlabel() and "TAI" in ax.get_xlabel() and "[d]" in ax.get_xlabel()
    assert "nJy" in ax.get_ylabel()
    assert not ax.yaxis_inverted()


def test_plot_mag_inverted_without_invalid_points(plt, replica_lightcurve):
    _, ax = plt.subplots()
    plot_lightcurve(replica_lightcurve, ax, y="mag")
    assert ax.yaxis_inverted()
    assert {container.get_label() for container in ax.containers} == expected_labels(replica_lightcurve, "mag")
    drawn = sum(len(container.lines[0].get_xdata()) for container in ax.containers)
    assert drawn == (~replica_lightcurve["mag"].mask).sum()
    assert "mag" in ax.get_ylabel()
    plot_lightcurve(replica_lightcurve, ax, y="mag")  # drawing again does not flip the axis back
    assert ax.yaxis_inverted()


def test_plot_styles_band_colours_filled_and_open(plt, replica_lightcurve):
    from matplotlib.colors import same_color

    _, ax = plt.subplots()
    plot_lightcurve(replica_lightcurve, ax)
    for container in ax.containers:
        band, kind = container.get_label().split()
        marker_line = container.lines[0]
        assert same_color(marker_line.get_color(), BAND_COLORS[band])
        if kind == "detection":
            assert same_color(marker_line.get_markerfacecolor(), BAND_COLORS[band])
        else:
            assert marker_line.get_markerfacecolor() == "none" and marker_line.get_alpha() < 1
    x = ax.containers[0].lines[0].get_xdata()
    assert 61000 < min(x) < 62000  # MJD


def test_plot_band_selection_and_current_axes(plt, replica_lightcurve):
    ax = plot_lightcurve(replica_lightcurve, bands="gr")
    assert ax is plt.gca()
    assert {container.get_label() for container in ax.containers} == {"g forced", "r detection", "r forced"}


def test_plot_empty_light_curve_has_no_legend(plt):
    ax = plot_lightcurve(merge_lightcurve(small([])[:0]))  # filterwarnings=error: no "no artists" warning
    assert ax.get_legend() is None and not ax.containers


def test_plot_refuses_what_it_cannot_draw(plt, replica_lightcurve):
    with pytest.raises(ValueError, match="y must be"):
        plot_lightcurve(replica_lightcurve, y="counts")
    with pytest.raises(ValueError, match="merge_lightcurve"):
        plot_lightcurve(small([1.0]))
    two = merge_lightcurve(small([1.0, 2.0], **{"r:diaObjectId": [1, 2]}))
    with pytest.raises(ValueError, match="2 objects"):
        plot_lightcurve(two)


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "astroquery-fink\[plot\]"'):
        plot_lightcurve(merge_lightcurve(small([1.0])))
