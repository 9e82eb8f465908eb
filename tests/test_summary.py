"""
Triage summaries (`astroquery_fink.summary.summarize`, `FinkClass.summarize`).

Oracles: hand-built light curves whose peaks, slopes and colours are known by construction or
computed here with numpy in another way than the module does (``np.polyfit`` for the weighted
fit), and the replica's own ``/sources`` and ``/fp`` answers, read with `requests` and reduced
with numpy, for the end-to-end run.
"""
import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.table import MaskedColumn, Table
from astropy.time import Time
from astroquery.exceptions import InvalidQueryError, NoResultsWarning

from astroquery_fink import conf
from astroquery_fink.summary import LATEST_ALERT_COLUMNS, OBJECT_COLUMNS, summarize
from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS

ID = 313761043604045880
# objects of the replica under the server's row limit (which warns)
IDS = [int(i) for i in REAL_OBJECT_IDS if i != BIG_FP_OBJECT_ID]
BANDS_ALL = "ugrizy"
BIG_ID = 2**62 + 3  # not exact in a float64: the id column must stay int64


def lightcurve(rows, **extra):
    """A light curve from ``(object, mjd, band, kind, mag, mag_err)`` tuples; NaN is a masked value."""
    objects, mjd, bands, kinds, mags, errors = (list(column) for column in zip(*rows, strict=True))
    mags, errors = np.array(mags, dtype=float), np.array(errors, dtype=float)
    table = Table({"r:diaObjectId": np.array(objects, dtype=np.int64),
                   "time": Time(mjd, format="mjd", scale="tai"),
                   "r:band": bands, "kind": kinds,
                   "mag": MaskedColumn(mags, mask=np.isnan(mags), unit=u.ABmag),
                   "mag_err": MaskedColumn(errors, mask=np.isnan(errors), unit=u.mag)})
    for name, values in extra.items():
        table[name] = values
    return table


def polyfit_slope(time, mag, mag_err):
    """Weighted least-squares slope and its error from the weights alone, by numpy's own fit."""
    coefficients, covariance = np.polyfit(time, mag, 1, w=1 / np.asarray(mag_err), cov="unscaled")
    return coefficients[0], np.sqrt(covariance[0, 0])


# --- the rate -----------------------------------------------------------------------------------


def test_rate_of_an_exact_line_is_its_slope_whatever_the_weights():
    times = [61000.0, 61001.5, 61003.0, 61006.0]
    rows = [(1, t, "r", "detection", 20.0 + 0.12 * (t - 61000.0), err)
            for t, err in zip(times, [0.05, 0.2, 0.02, 0.1], strict=True)]
    row = summarize(lightcurve(rows), bands="r")[0]
    assert row["rate_r"] == pytest.approx(0.12, abs=1e-9)


def test_rate_and_error_are_numpys_weighted_fit_of_the_window():
    # an old decline outside the 10-day window, then a noisy rise inside it
    old = [(1, 60950.0 + day, "g", "detection", 19.0 + 0.3 * day, 0.05) for day in range(4)]
    times = np.array([61000.0, 61002.0, 61003.5, 61007.0, 61010.0])
    mags = np.array([21.0, 20.9, 20.5, 20.4, 20.0])
    errors = np.array([0.10, 0.05, 0.15, 0.04, 0.08])
    recent = [(1, t, "g", "detection", m, e) for t, m, e in zip(times, mags, errors, strict=True)]
    row = summarize(lightcurve(old + recent), bands="g", rate_window=10)[0]
    slope, error = polyfit_slope(times, mags, errors)
    assert row["rate_g"] == pytest.approx(slope, rel=1e-9)
    assert row["rate_err_g"] == pytest.approx(error, rel=1e-6)  # polyfit works on uncentred MJDs: 1e-8 apart
    assert slope < 0  # brightening: the magnitude falls
    # a shorter window keeps the last three points only
    short = summarize(lightcurve(old + recent), bands="g", rate_window=7 * u.day)[0]
    assert short["rate_g"] == pytest.approx(polyfit_slope(times[2:], mags[2:], errors[2:])[0], rel=1e-9)


def test_rate_masked_with_one_time_only():
    rows = [(1, 61000.0, "r", "detection", 20.0, 0.1), (1, 60980.0, "r", "detection", 19.0, 0.1)]
    row = summarize(lightcurve(rows), bands="r", rate_window=5)[0]
    assert np.ma.is_masked(row["rate_r"]) and np.ma.is_masked(row["rate_err_r"])
    assert row["latest_mag_r"] == 20.0  # the point itself is still the latest


def test_same_exposure_counts_once_in_the_fit_and_the_detection_wins():
    # detection and forced point of each exposure differ a little: counting both would change the slope
    times = np.array([61000.0, 61002.0, 61004.0])
    detected = np.array([20.0, 19.8, 19.5])
    rows = [(1, t, "i", "detection", m, 0.05) for t, m in zip(times, detected, strict=True)]
    rows += [(1, t, "i", "forced", m + 0.3, 0.02) for t, m in zip(times, detected, strict=True)]
    rows.append((1, 61005.0, "i", "forced", 19.6, 0.03))  # a forced point of its own exposure counts
    row = summarize(lightcurve(rows), bands="i")[0]
    fit_times, fit_mags = np.r_[times, 61005.0], np.r_[detected, 19.6]
    assert row["rate_i"] == pytest.approx(polyfit_slope(fit_times, fit_mags, [0.05, 0.05, 0.05, 0.03])[0], rel=1e-9)
    assert row["peak_mag_i"] == 19.5  # the detection of 61004, not its forced twin at 19.8
    assert row["n_detections_i"] == 3 and row["n_forced_i"] == 4


# --- peak, latest, which points count --------------------------------------------------------


def test_peak_and_latest_per_band_with_their_times():
    rows = [(5, 61000.0, "g", "detection", 21.0, 0.1), (5, 61003.0, "g", "detection", 19.7, 0.05),
            (5, 61008.0, "g", "forced", 20.4, 0.08), (5, 61001.0, "r", "detection", 20.2, 0.06)]
    row = summarize(lightcurve(rows), bands="gr")[0]
    assert row["peak_mag_g"] == 19.7 and row["peak_time_g"].mjd == 61003.0
    assert (row["latest_mag_g"], row["latest_mag_err_g"]) == (20.4, 0.08) and row["latest_time_g"].mjd == 61008.0
    assert row["peak_mag_r"] == row["latest_mag_r"] == 20.2


def test_low_signal_to_noise_points_do_not_count_unless_asked():
    # mag_err 0.5 is S/N 2.17; the faint forced point is the latest and, noise, the brightest
    rows = [(1, 61000.0, "r", "detection", 20.0, 0.05), (1, 61001.0, "r", "forced", 19.0, 0.5)]
    row = summarize(lightcurve(rows), bands="r")[0]
    assert row["peak_mag_r"] == 20.0 and row["latest_mag_r"] == 20.0
    everything = summarize(lightcurve(rows), bands="r", min_snr=0)[0]
    assert everything["peak_mag_r"] == 19.0 and everything["latest_mag_r"] == 19.0
    # S/N = 2.5 / ln(10) / mag_err: 0.2 mag is S/N 5.43, kept at 5 and left out at 6
    edge = [(1, 61000.0, "r", "detection", 20.0, 0.05), (1, 61001.0, "r", "forced", 19.0, 0.2)]
    assert summarize(lightcurve(edge), bands="r")[0]["peak_mag_r"] == 19.0
    assert summarize(lightcurve(edge), bands="r", min_snr=6)[0]["peak_mag_r"] == 20.0


def test_upper_limits_are_left_out_when_the_light_curve_flags_them():
    rows = [(1, 61000.0, "z", "detection", 20.0, 0.05), (1, 61002.0, "z", "forced", 19.5, 0.05),
            (1, 61004.0, "z", "forced", 20.5, 0.05)]
    flagged = lightcurve(rows, upper_limit=[False, True, False])
    row = summarize(flagged, bands="z")[0]
    assert row["peak_mag_z"] == 20.0
    assert row["rate_z"] == pytest.approx(0.125)  # (20.5 - 20.0) / 4 d, the flagged point left out
    assert row["n_forced_z"] == 2  # counts keep every row
    assert summarize(lightcurve(rows), bands="z")[0]["peak_mag_z"] == 19.5  # without the column: a point


def test_counts_and_detection_times_use_every_row():
    nan = float("nan")
    rows = [(1, 61010.0, "g", "detection", nan, nan),  # a negative-flux detection: no magnitude, still detected
            (1, 61000.0, "g", "forced", 22.0, 0.5), (1, 61004.0, "r", "detection", 20.0, 0.05),
            (1, 61020.0, "y", "forced", 21.0, 0.1)]
    row = summarize(lightcurve(rows))[0]
    assert (row["n_detections"], row["n_forced"]) == (2, 2)
    assert (row["n_detections_g"], row["n_forced_g"], row["n_detections_r"], row["n_forced_y"]) == (1, 1, 1, 1)
    assert row["first_detection"].mjd == 61004.0 and row["last_detection"].mjd == 61010.0
    assert np.ma.is_masked(row["peak_mag_g"])  # no measured g point: masked, not NaN or 0
    assert row["n_detections_u"] == 0 and np.ma.is_masked(row["latest_mag_u"])


def test_a_row_without_time_is_counted_but_not_measured():
    lc = lightcurve([(1, 61000.0, "r", "detection", 20.0, 0.1), (1, 61001.0, "r", "detection", 19.0, 0.1),
                     (1, 61002.0, "r", "detection", 18.0, 0.1)])
    lc["time"] = Time(np.ma.array([61000.0, 61001.0, 0.0], mask=[False, False, True]), format="mjd", scale="tai")
    row = summarize(lc, bands="r")[0]
    assert row["n_detections_r"] == 3
    assert row["peak_mag_r"] == 19.0 and row["last_detection"].mjd == 61001.0
    assert row["rate_r"] == pytest.approx(-1.0)


# --- colour ----------------------------------------------------------------------------------


def test_colour_from_the_latest_mutually_nearest_pair():
    rows = [(1, 61000.00, "g", "detection", 20.0, 0.03), (1, 61000.02, "r", "detection", 19.6, 0.04),
            (1, 61010.00, "g", "detection", 20.5, 0.03),
            (1, 61010.01, "r", "detection", 19.9, 0.04),  # nearest to the g of 61010
            (1, 61010.40, "r", "detection", 19.7, 0.04)]  # within tolerance, but the g's nearest r is the other
    row = summarize(lightcurve(rows))[0]
    assert row["color_g_r"] == pytest.approx(20.5 - 19.9)
    assert row["color_g_r_err"] == pytest.approx(0.05)  # sqrt(0.03**2 + 0.04**2)
    assert float(row["color_g_r_time"].mjd) == pytest.approx(61010.005)
    # a later g whose nearest r (0.45 d away) is nearer to another g: not a pair, though within tolerance
    rows = [(1, 61010.00, "g", "detection", 20.5, 0.03), (1, 61010.05, "r", "detection", 19.9, 0.04),
            (1, 61010.50, "g", "detection", 21.0, 0.03)]
    later = summarize(lightcurve(rows))[0]
    assert later["color_g_r"] == pytest.approx(20.5 - 19.9)
    assert later["color_g_r_time"].mjd == pytest.approx(61010.025)


def test_colour_tolerance_and_other_bands():
    rows = [(1, 61000.0, "r", "detection", 20.0, 0.05), (1, 61001.5, "i", "detection", 19.2, 0.05)]
    assert np.ma.is_masked(summarize(lightcurve(rows), color="r-i")[0]["color_r_i"])  # 1.5 d apart
    row = summarize(lightcurve(rows), color=("r", "i"), color_tolerance=2 * u.day, bands="ri")[0]
    assert row["color_r_i"] == pytest.approx(0.8)
    assert "color_g_r" not in row.colnames


# --- rows, columns, units ------------------------------------------------------------------------


def test_rows_follow_the_ids_and_unknown_ids_are_masked_rows():
    rows = [(BIG_ID, 61000.0, "r", "detection", 20.0, 0.05), (7, 61000.0, "r", "detection", 21.0, 0.05)]
    table = summarize(lightcurve(rows), ids=[7, 99, BIG_ID])
    assert table["r:diaObjectId"].dtype == np.int64
    assert table["r:diaObjectId"].tolist() == [7, 99, BIG_ID]
    assert table["peak_mag_r"].tolist() == [21.0, None, 20.0]
    assert table["n_detections"].tolist() == [1, 0, 1]
    assert table.meta["ids_without_data"] == [99]


def test_objects_columns_carried_and_latest_detection_columns():
    rows = [(1, 61000.0, "r", "detection", 20.0, 0.05), (1, 61005.0, "r", "detection", 20.1, 0.05),
            (1, 61009.0, "r", "forced", 20.3, 0.05), (2, 61001.0, "g", "detection", 21.0, 0.05)]
    lc = lightcurve(rows)
    lc["f:clf_cats_class"] = MaskedColumn([11, 12, 0, 21], mask=[False, False, True, False])
    lc["f:clf_earlySNIa_score"] = MaskedColumn([0.8, 0.0, 0.0, 0.1], mask=[False, True, True, False])
    objects = Table({"r:diaObjectId": np.array([2, 1], dtype=np.int64), "r:ra": [10.0, 20.0] * u.deg,
                     "f:main_label_crossmatch": ["Star", "Unknown"]})
    table = summarize(lc, objects, ids=[1, 2, 3])
    assert table["r:ra"].unit == u.deg and table["r:ra"].tolist() == [20.0, 10.0, None]
    assert table["f:main_label_crossmatch"].tolist() == ["Unknown", "Star", None]
    # the latest detection of object 1 is the one of 61005 (the forced row is later but no alert)
    assert table["f:clf_cats_class"].tolist() == [12, 21, None]
    assert table["f:clf_earlySNIa_score"].tolist()[0] is None  # masked in that alert: not an older value
    assert table.meta["ids_without_data"] == [3]


def test_units_and_time_columns():
    rows = [(1, 61000.0, "g", "detection", 20.0, 0.05), (1, 61000.1, "r", "detection", 19.0, 0.05),
            (1, 61003.0, "r", "detection", 19.3, 0.05)]
    table = summarize(lightcurve(rows))
    assert table["peak_mag_r"].unit == u.ABmag and table["latest_mag_err_r"].unit == u.mag
    assert table["rate_r"].unit == u.mag / u.day and table["rate_err_r"].unit == u.mag / u.day
    assert table["color_g_r"].unit == u.mag
    for name in ("first_detection", "last_detection", "peak_time_r", "latest_time_r", "color_g_r_time"):
        assert isinstance(table[name], Time) and table[name].scale == "tai", name
    assert table["latest_time_u"].mask.all()
    assert all(table[name].info.description for name in table.colnames if name != "r:diaObjectId")


@pytest.mark.parametrize("options", [
    {"bands": "gx"}, {"bands": ""}, {"bands": 5}, {"color": "g-g"}, {"color": "gr"}, {"color": "g-q"},
    {"rate_window": 0}, {"rate_window": -3}, {"rate_window": "10"}, {"rate_window": 3 * u.m},
    {"color_tolerance": float("nan")}, {"min_snr": -1}, {"min_snr": True}])
def test_bad_options_refused(options):
    with pytest.raises(InvalidQueryError):
        summarize(lightcurve([(1, 61000.0, "r", "detection", 20.0, 0.05)]), **options)


def test_light_curve_without_needed_column_refused():
    with pytest.raises(ValueError, match="mag_err"):
        summarize(lightcurve([(1, 61000.0, "r", "detection", 20.0, 0.05)])[["r:diaObjectId", "time", "r:band",
                                                                          "kind", "mag"]])


# --- against the replica ---------------------------------------------------------------------------


def replica_rows(http, url, endpoint, identifier, extra=""):
    """The replica's own rows of one object (JSON), withdrawn measurements left out as get_lightcurve does."""
    columns = "r:midpointMjdTai,r:band,r:psfFlux,r:psfFluxErr,r:timeWithdrawnMjdTai" + extra
    answer = http.post(f"{url}/api/v1/{endpoint}",
                       json={"diaObjectId": str(identifier), "columns": columns, "output-format": "json"})
    answer.raise_for_status()
    return [row for row in answer.json() if row.get("r:timeWithdrawnMjdTai") is None]


def measured_points(detections, forced, band, min_snr=5.0):
    """``{time: (mag, mag_err)}`` of one band: S/N >= min_snr, every exposure once (its detection's)."""
    points = {}
    for rows in (detections, forced):  # detections first: an exposure's detection is the one kept
        for row in rows:
            flux, error = row["r:psfFlux"], row["r:psfFluxErr"]
            if row["r:band"] != band or flux is None or error is None or flux <= 0 or flux / error < min_snr:
                continue
            # 3631 Jy is AB magnitude 0, i.e. 31.4 in nJy
            points.setdefault(row["r:midpointMjdTai"], (31.4 - 2.5 * np.log10(flux), 1.0857362 * error / flux))
    return points


def expected_band(points, window):
    """Peak, latest point and weighted rate of ``measured_points``; None where there is nothing to compute."""
    if not points:
        return None
    times = np.array(sorted(points))
    mags = np.array([points[t][0] for t in times])
    errors = np.array([points[t][1] for t in times])
    recent = times >= times[-1] - window
    return {"peak": mags.min(), "latest": mags[-1], "latest_time": times[-1],
            "rate": polyfit_slope(times[recent], mags[recent], errors[recent]) if recent.sum() > 1 else None}


def expected_color(first, second, tolerance):
    """Brute force over every pair: the latest pair of mutually nearest points at most ``tolerance`` apart."""
    best = None
    for t1 in first:
        t2 = min(second, key=lambda t: (abs(t - t1), t))  # t1's nearest, the earlier on a tie
        if min(first, key=lambda t: (abs(t - t2), t)) != t1 or abs(t2 - t1) > tolerance:
            continue
        if best is None or (t1 + t2) / 2 > (best[0] + best[1]) / 2:
            best = (t1, t2)
    return None if best is None else first[best[0]][0] - second[best[1]][0]


def test_replica_summary_matches_numpy_on_the_replicas_own_rows(replica_client, http, url):
    ids = IDS[:6]
    table = replica_client.summarize(ids, rate_window=30, verbose=False)
    compared = {"rate": 0, "colour": 0, "snr_matters": 0}
    for row, identifier in zip(table, ids, strict=True):
        detections = replica_rows(http, url, "sources", identifier, ",f:clf_cats_class,f:xm_tns_fullname")
        forced = replica_rows(http, url, "fp", identifier)
        assert row["r:diaObjectId"] == identifier
        assert (row["n_detections"], row["n_forced"]) == (len(detections), len(forced))
        times = [r["r:midpointMjdTai"] for r in detections]
        assert float(row["first_detection"].mjd) == pytest.approx(min(times), abs=1e-9)
        assert float(row["last_detection"].mjd) == pytest.approx(max(times), abs=1e-9)
        latest_alert = max(detections, key=lambda r: r["r:midpointMjdTai"])
        for name in ("f:clf_cats_class", "f:xm_tns_fullname"):
            assert (None if np.ma.is_masked(row[name]) else row[name]) == latest_alert.get(name), name
        for band in BANDS_ALL:
            where = (identifier, band)
            assert row[f"n_detections_{band}"] == sum(r["r:band"] == band for r in detections), where
            assert row[f"n_forced_{band}"] == sum(r["r:band"] == band for r in forced), where
            points = measured_points(detections, forced, band)
            expected = expected_band(points, window=30)
            if expected != expected_band(measured_points(detections, forced, band, min_snr=0), window=30):
                compared["snr_matters"] += 1
            if expected is None:
                assert np.ma.is_masked(row[f"peak_mag_{band}"]) and np.ma.is_masked(row[f"rate_{band}"]), where
                continue
            assert row[f"peak_mag_{band}"] == pytest.approx(expected["peak"], abs=1e-6), where
            assert row[f"latest_mag_{band}"] == pytest.approx(expected["latest"], abs=1e-6), where
            assert float(row[f"latest_time_{band}"].mjd) == pytest.approx(expected["latest_time"], abs=1e-9), where
            if expected["rate"] is None:
                assert np.ma.is_masked(row[f"rate_{band}"]), where
            else:
                compared["rate"] += 1
                assert row[f"rate_{band}"] == pytest.approx(expected["rate"][0], rel=1e-5), where
                assert row[f"rate_err_{band}"] == pytest.approx(expected["rate"][1], rel=1e-5), where
        g, r = measured_points(detections, forced, "g"), measured_points(detections, forced, "r")
        colour = expected_color(g, r, tolerance=1.0) if g and r else None
        if colour is None:
            assert np.ma.is_masked(row["color_g_r"]), identifier
        else:
            compared["colour"] += 1
            assert row["color_g_r"] == pytest.approx(colour, abs=1e-6), identifier
    # the oracle met fitted rates, colours, and points the S/N rule leaves out
    assert min(compared.values()) >= 1, compared


def test_replica_several_ids_in_three_requests_in_the_order_given(replica, replica_client):
    ids = IDS[:6][::-1]
    table = replica_client.summarize(ids, verbose=False)
    assert table["r:diaObjectId"].tolist() == ids
    paths = sorted(entry["path"] for entry in replica.requests)
    assert paths == ["/api/v1/fp", "/api/v1/objects", "/api/v1/sources"]
    payloads = {entry["path"]: entry["payload"] for entry in replica.requests}
    assert all(payload["diaObjectId"].split(",") == [str(i) for i in ids] for payload in payloads.values())
    assert set(OBJECT_COLUMNS) <= set(payloads["/api/v1/objects"]["columns"].split(","))
    assert set(LATEST_ALERT_COLUMNS) <= set(payloads["/api/v1/sources"]["columns"].split(","))
    # the queries behind the summary stay in its meta
    assert table.meta["objects"]["query"] == payloads["/api/v1/objects"]
    assert table.meta["lightcurve"]["detections"]["query"] == payloads["/api/v1/sources"]


def test_replica_long_id_lists_are_batched_not_one_request_per_object(replica, replica_client):
    ids = IDS[:10]
    with conf.set_temp("max_ids_per_request", 4):
        table = replica_client.summarize(ids, verbose=False)
    assert len(table) == 10
    per_endpoint = {}
    for entry in replica.requests:
        per_endpoint[entry["path"]] = per_endpoint.get(entry["path"], 0) + 1
    assert per_endpoint == {"/api/v1/sources": 3, "/api/v1/fp": 3, "/api/v1/objects": 3}  # ceil(10 / 4) each


def test_replica_names_are_resolved_like_the_other_id_methods(replica_client):
    table = replica_client.summarize(["SN 2026bqe", ID], verbose=False)
    assert table["r:diaObjectId"].tolist() == [313888627082919999, ID]
    assert table.meta["resolved_names"] == {"SN 2026bqe": [313888627082919999]}


def test_replica_unknown_ids_warn_once_and_keep_their_row(replica_client):
    with pytest.warns(NoResultsWarning, match=r"1 of 2 diaObjectId\(s\): 1234\b") as caught:
        table = replica_client.summarize([ID, 1234], verbose=False)
    assert len(caught) == 1
    assert table["r:diaObjectId"].tolist() == [ID, 1234]
    assert table["n_detections"][1] == 0 and np.ma.is_masked(table["r:ra"][1])


def test_replica_bad_options_refused_before_any_request(replica, replica_client):
    for options in ({"bands": "gq"}, {"color": "r-r"}, {"rate_window": -1}):
        with pytest.raises(InvalidQueryError):
            replica_client.summarize(ID, **options)
    with pytest.raises(InvalidQueryError):
        replica_client.summarize([ID, -5])
    with pytest.raises(InvalidQueryError):
        replica_client.summarize(ID, on_error="ignore")
    assert replica.requests == []


def test_replica_detections_only_makes_no_forced_request(replica, replica_client):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = replica_client.summarize(ID, forced=False, bands="r", verbose=False)
    assert table["n_forced"][0] == 0
    assert "/api/v1/fp" not in {entry["path"] for entry in replica.requests}


def test_replica_failed_requests_with_on_error_warn_are_not_called_no_data(replica, replica_client):
    ids = IDS[:4]
    replica.inject("500", ids=[ids[1]])  # every request naming it fails: /sources, /fp and /objects
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = replica_client.summarize(ids, on_error="warn", verbose=False)
    said = [(w.category.__name__, str(w.message)) for w in caught]
    assert {category for category, _ in said} == {"IncompleteResultWarning"}, said  # no NoResultsWarning
    assert table.meta["failed_ids"] == [ids[1]]
    assert table["r:diaObjectId"].tolist() == ids
    assert table["n_detections"].tolist()[1] == 0 and np.ma.is_masked(table["r:ra"][1])
    assert all(count > 0 for count in table["n_detections"].tolist()[::2])


def test_replica_science_flux_summary_uses_the_science_magnitudes(replica_client, http, url):
    table = replica_client.summarize(ID, flux="science", forced=False, verbose=False)
    assert table.meta["summary"]["flux"] == "science"
    answer = http.post(f"{url}/api/v1/sources", json={
        "diaObjectId": str(ID), "output-format": "json",
        "columns": "r:band,r:scienceFlux,r:scienceFluxErr,r:psfFlux,r:timeWithdrawnMjdTai"})
    rows = [row for row in answer.json() if row.get("r:timeWithdrawnMjdTai") is None]
    compared = 0
    for band in BANDS_ALL:
        mags = [31.4 - 2.5 * np.log10(row["r:scienceFlux"]) for row in rows
                if row["r:band"] == band and row["r:scienceFlux"] and row["r:scienceFluxErr"]
                and row["r:scienceFlux"] / row["r:scienceFluxErr"] >= 5]
        if mags:
            assert table[f"peak_mag_{band}"][0] == pytest.approx(min(mags), abs=1e-9)
            compared += 1
    assert compared >= 2
    with pytest.raises(InvalidQueryError, match="template"):
        replica_client.summarize(ID, flux="template")  # forced photometry has no template flux
