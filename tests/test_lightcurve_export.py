"""
Light curves written to ECSV, Parquet, FITS and VOTable and read back with astropy alone, and
turned into a TimeSeries or QTable (astroquery_fink.export).

Every comparison is against the light curve in memory: values where unmasked, masks, units,
TAI times and meta, as each format can hold them (the conversions are documented in
write_lightcurve's docstring).
"""
import json
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.io import votable
from astropy.table import Column, MaskedColumn, QTable, Table
from astropy.time import Time
from astropy.timeseries import TimeSeries

from astroquery_fink import FinkClass
from astroquery_fink.export import EXPORT_FORMATS, to_qtable, to_timeseries, write_lightcurve
from astroquery_fink.lightcurve import merge_lightcurve

OBJECT_ID = 313761043604045880  # has detections and forced photometry on the replica
ENDINGS = {"ecsv": "lc.ecsv", "parquet": "lc.parquet", "fits": "lc.fits", "votable": "lc.xml"}


@pytest.fixture(scope="module")
def replica_lc(fink_replica):
    return FinkClass(server=fink_replica).get_lightcurve(OBJECT_ID)


def handmade_lc():
    """
    A light curve as the light-curve columns being added will make it: a boolean flag measured
    on detections only (masked in forced rows), an unmasked boolean, a masked integer, a
    negative flux (masked magnitude), and meta of several kinds.
    """
    sources = Table({"r:diaObjectId": np.array([7, 7], dtype=np.int64), "r:midpointMjdTai": [61000.5, 61002.25],
                     "r:band": ["g", "r"], "r:psfFlux": [1000.0, -20.0] * u.nJy, "r:psfFluxErr": [10.0, 5.0] * u.nJy,
                     "r:diaSourceId": np.array([2**62 + 1, 2**62 + 2], dtype=np.int64),
                     "r:pixelFlags_cr": [True, False]})
    forced = Table({"r:diaObjectId": np.array([7, 7, 7], dtype=np.int64),
                    "r:midpointMjdTai": [61001.0, 61003.125, 61000.5], "r:band": ["i", "g", "g"],
                    "r:psfFlux": MaskedColumn([50.0, 0.0, 900.0], mask=[False, True, False], unit=u.nJy),
                    "r:psfFluxErr": [30.0, 1.0, 12.0] * u.nJy,
                    "r:diaForcedSourceId": np.array([11, 12, 13], dtype=np.int64)})
    sources.meta = {"endpoint": "/api/v1/sources", "query": {"diaObjectId": "7", "columns": ["a", "b"]}}
    lc = merge_lightcurve(sources, forced)
    lc["upper_limit"] = Column(np.asarray(lc["kind"]) == "forced", description="Below 5 sigma.")
    lc.meta.update({"flux": "difference", "n_sigma": 5.0, "withdrawn": 0, "note": "café"})
    return lc


@pytest.fixture(params=["replica", "handmade"])
def lc(request, replica_lc):
    return replica_lc.copy() if request.param == "replica" else handmade_lc()


def read_back(path, format):
    """The file read with astropy only, with the options write_lightcurve's docstring gives."""
    options = {"fits": {"astropy_native": True}, "votable": {"use_names_over_ids": True}}.get(format, {})
    return Table.read(path, format=format, **options)


def assert_same_values(original, back, name):
    """Same mask, same values where unmasked (NaN where the original has NaN)."""
    mask = np.ma.getmaskarray(np.ma.asarray(original))
    back_mask = np.ma.getmaskarray(np.ma.asarray(back))
    np.testing.assert_array_equal(back_mask, mask, err_msg=f"mask of {name}")
    expected = np.asarray(np.ma.asarray(original)[~mask])
    got = np.asarray(np.ma.asarray(back)[~mask])
    if got.dtype.kind == "S":  # FITS text is ASCII bytes; astropy reads it as bytes
        got = np.char.decode(got, "ascii")
    if expected.dtype.kind == "f":
        np.testing.assert_array_equal(got, expected, err_msg=name)
    else:
        assert got.tolist() == expected.tolist(), name


def words(text):
    """The text with its white space made single spaces ("" for None)."""
    return " ".join((text or "").split())


def assert_same_time(original, back, format):
    """The times, TAI, to the nanosecond (VOTable: MJD floats, which r:midpointMjdTai is too)."""
    if format == "votable":
        assert back.unit == u.day
        got = Time(np.asarray(back), format="mjd", scale="tai")
    else:
        assert isinstance(back, Time)
        assert back.scale == "tai"
        got = back
    assert np.all(np.abs((got - original).to_value(u.ns)) < 1)


# --- every format, every column -----------------------------------------------------------


@pytest.mark.remote_data
@pytest.mark.parametrize("format", sorted(EXPORT_FORMATS))
def test_write_lightcurve_round_trip(lc, format, tmp_path):
    before = lc.copy()
    path = tmp_path / ENDINGS[format]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning on writing, in any format
        write_lightcurve(lc, path)
    back = read_back(path, format)
    assert back.colnames == lc.colnames
    for name in lc.colnames:
        if name == "time":
            assert_same_time(lc["time"], back["time"], format)
            continue
        assert_same_values(lc[name], back[name], name)
        if lc[name].dtype.kind in "iuf":  # 64-bit ids stay 64-bit; FITS turns masked booleans into uint8
            assert (back[name].dtype.kind, back[name].dtype.itemsize) == (lc[name].dtype.kind,
                                                                          lc[name].dtype.itemsize), name
        # descriptions kept (VOTable reflows them), with the note of a conversion after them
        assert words(back[name].info.description).startswith(words(lc[name].info.description))
        expected_unit = lc[name].unit
        if expected_unit == u.ABmag and format in ("fits", "votable"):
            assert back[name].unit == u.mag
            assert "mag(AB)" in back[name].info.description
            if format == "fits":
                assert back[name].meta["astropy_unit"] == "mag(AB)"
                assert u.Unit(back[name].meta["astropy_unit"]) == u.ABmag
        else:
            assert back[name].unit == expected_unit, name
        if lc[name].meta.get("ucd"):
            assert back[name].meta["ucd"] == lc[name].meta["ucd"], name
    if format in ("ecsv", "parquet"):
        assert back.meta == lc.meta
    # the light curve written is left as it was
    assert lc.colnames == before.colnames and lc["mag"].unit == before["mag"].unit
    assert isinstance(lc["time"], Time)


@pytest.mark.remote_data
@pytest.mark.parametrize("format", ["ecsv", "parquet"])
def test_plain_write_keeps_everything(lc, format, tmp_path):
    """ECSV and Parquet need no conversion: lc.write and Table.read alone keep all, meta included."""
    path = tmp_path / ENDINGS[format]
    lc.write(path)
    back = Table.read(path)
    assert isinstance(back["time"], Time) and back["time"].scale == "tai" and back["time"].format == "mjd"
    assert back["mag"].unit == u.ABmag
    for name in lc.colnames:
        if name != "time":
            assert_same_values(lc[name], back[name], name)
            assert (back[name].dtype.kind, back[name].dtype.itemsize) == (lc[name].dtype.kind,
                                                                          lc[name].dtype.itemsize), name
    assert back.meta == lc.meta


def test_handmade_light_curve_has_what_the_test_needs():
    """The hand-made table exercises a masked boolean, a masked magnitude and a masked id."""
    lc = handmade_lc()
    assert lc["r:pixelFlags_cr"].dtype == bool and lc["r:pixelFlags_cr"].mask.tolist() == [
        False, True, True, False, True]
    negative = np.ma.asarray(lc["r:psfFlux"]).filled(0) < 0
    assert negative.sum() == 1 and lc["mag"].mask[negative].all() and lc["r:diaSourceId"].mask.sum() == 3


# --- what FITS and VOTable cannot hold ---------------------------------------------------


def test_fits_masked_boolean_becomes_masked_integers(tmp_path):
    lc = handmade_lc()
    write_lightcurve(lc, tmp_path / "lc.fits")
    back = Table.read(tmp_path / "lc.fits")
    flags = back["r:pixelFlags_cr"]
    assert flags.dtype == np.uint8
    assert flags.mask.tolist() == lc["r:pixelFlags_cr"].mask.tolist()
    assert flags.astype(bool).tolist() == lc["r:pixelFlags_cr"].tolist()
    # an unmasked boolean stays one
    assert back["upper_limit"].dtype == bool
    assert back["upper_limit"].tolist() == lc["upper_limit"].tolist()


def test_fits_meta_is_in_the_header(tmp_path):
    lc = handmade_lc()
    lc.meta.update({"no_limit": float("nan"), "unset": None, "SHORT": 1})
    write_lightcurve(lc, tmp_path / "lc.fits")
    meta = Table.read(tmp_path / "lc.fits").meta
    assert json.loads(meta["no_limit"]) != json.loads(meta["no_limit"])  # NaN, as JSON text
    assert json.loads(meta["unset"]) is None and meta["SHORT"] == 1
    assert json.loads(meta["detections"]) == lc.meta["detections"]
    assert meta["flux"] == "difference" and meta["n_sigma"] == 5.0 and meta["withdrawn"] == 0
    assert json.loads(meta["note"]) == "café"  # FITS headers hold ASCII only


def test_fits_time_without_astropy_native_is_the_julian_date(tmp_path):
    lc = handmade_lc()
    write_lightcurve(lc, tmp_path / "lc.fits")
    back = Table.read(tmp_path / "lc.fits")
    jd = back["time"][:, 0] + back["time"][:, 1]
    np.testing.assert_allclose(jd, lc["r:midpointMjdTai"] + 2400000.5, rtol=0, atol=1e-9)


def test_votable_time_refers_to_a_tai_time_system(tmp_path):
    lc = handmade_lc()
    write_lightcurve(lc, tmp_path / "lc.vot")
    document = votable.parse(str(tmp_path / "lc.vot"))
    assert document.version == "1.4"
    (system,) = document.resources[0].time_systems
    assert (system.timescale, system.timeorigin) == ("TAI", "MJD-origin")
    field = document.get_first_table().get_field_by_id_or_name("time")
    assert field.ref == system.ID and field.ucd == "time.epoch"
    infos = {info.name: info.value for info in document.get_first_table().infos}
    assert json.loads(infos["detections"]) == lc.meta["detections"]
    assert infos["flux"] == "difference"


def test_votable_masked_values_stay_masked(tmp_path):
    lc = handmade_lc()
    write_lightcurve(lc, tmp_path / "lc.xml")
    back = Table.read(tmp_path / "lc.xml", use_names_over_ids=True)
    assert back["r:pixelFlags_cr"].dtype == bool
    assert back["r:pixelFlags_cr"].mask.tolist() == lc["r:pixelFlags_cr"].mask.tolist()
    assert back["r:diaSourceId"].dtype == np.int64
    assert back["r:diaSourceId"].mask.tolist() == lc["r:diaSourceId"].mask.tolist()
    assert back["r:diaSourceId"].compressed().tolist() == [2**62 + 1, 2**62 + 2]  # exact 64-bit ids


@pytest.mark.parametrize("format", sorted(EXPORT_FORMATS))
def test_masked_time_is_kept_masked(tmp_path, format):
    lc = handmade_lc()
    lc["time"][1] = np.ma.masked
    write_lightcurve(lc, tmp_path / ENDINGS[format])
    back = read_back(tmp_path / ENDINGS[format], format)["time"]
    assert np.asarray(back.mask).tolist() == [False, True, False, False, False]


def test_votable_meta_and_columns_do_not_share_ids(tmp_path):
    """A meta key named like a column must not give two elements the same XML ID (an invalid file)."""
    lc = handmade_lc()
    lc.meta["kind"] = "clash"
    write_lightcurve(lc, tmp_path / "lc.xml")
    document = votable.parse(str(tmp_path / "lc.xml"), verify="exception")  # fails on a duplicate ID
    table = document.get_first_table()
    ids = [field.ID for field in table.fields] + [info.ID for info in table.infos]
    assert len(ids) == len(set(ids))
    assert {info.name: info.value for info in table.infos}["kind"] == "clash"


# --- choosing the format, overwriting -------------------------------------------------


@pytest.mark.parametrize("name, format", [("a.ECSV", "ecsv"), ("a.fits.gz", "fits"), ("a.vot", "votable"),
                                          ("a.pq", "parquet"), ("a.xml", "votable"), ("a.fit", "fits")])
def test_format_from_the_file_name(tmp_path, name, format):
    write_lightcurve(handmade_lc(), tmp_path / name)
    assert read_back(tmp_path / name, format).colnames == handmade_lc().colnames


def test_format_argument_wins_over_the_name(tmp_path):
    write_lightcurve(handmade_lc(), tmp_path / "lc.dat", format="votable")
    assert votable.parse(str(tmp_path / "lc.dat")).get_first_table().get_field_by_id_or_name("mag").unit == u.mag


@pytest.mark.parametrize("kwargs, words", [({"path": "lc.csv"}, "cannot tell the format of 'lc.csv'"),
                                           ({"path": "lc.fits", "format": "hdf5"}, "format must be one of")])
def test_unknown_format_is_refused(tmp_path, kwargs, words):
    path = tmp_path / kwargs.pop("path")
    with pytest.raises(ValueError, match=words):
        write_lightcurve(handmade_lc(), path, **kwargs)
    assert not path.exists()


@pytest.mark.parametrize("name", sorted(ENDINGS.values()))
def test_existing_file_needs_overwrite(tmp_path, name):
    path = tmp_path / name
    path.write_text("keep me")
    with pytest.raises(OSError, match="already exists"):
        write_lightcurve(handmade_lc(), path)
    assert path.read_text() == "keep me"
    write_lightcurve(handmade_lc(), path, overwrite=True)
    assert path.read_bytes() != b"keep me"


# --- TimeSeries and QTable ---------------------------------------------------------


@pytest.mark.remote_data
def test_to_timeseries_without_warnings(lc):
    before = lc.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        series = to_timeseries(lc)
        # and none when the series is sliced, selected or folded either (astropy re-checks the columns)
        folded = series[1:]["time", "mag", "r:psfFlux"].fold(period=3.5 * u.day)
    assert isinstance(series, TimeSeries)
    assert series.time.scale == "tai" and np.all(series.time == lc["time"])
    assert series.colnames == ["time"] + [name for name in lc.colnames if name != "time"]
    for name in lc.colnames:
        if name == "time":
            continue
        column, original = series[name], lc[name]
        assert column.unit == original.unit, name
        assert column.info.description == original.info.description, name
        assert column.info.meta == original.info.meta, name
        if original.unit is None:
            assert isinstance(column, Column), name
            assert_same_values(original, column, name)
            continue
        assert isinstance(column, u.Quantity), name
        mask = np.ma.getmaskarray(np.ma.asarray(original))
        np.testing.assert_array_equal(getattr(column, "mask", np.zeros(len(column), bool)), mask, err_msg=name)
        values = column.unmasked.value if hasattr(column, "unmasked") else column.value
        np.testing.assert_array_equal(values[~mask], np.ma.asarray(original)[~mask].data, err_msg=name)
    assert isinstance(series["mag"], u.Magnitude) and series["mag"].unit == u.ABmag
    # the magnitudes give back the fluxes they were made of, where they exist
    measured = ~series["mag"].mask
    np.testing.assert_allclose(series["mag"].unmasked[measured].to_value(u.nJy),
                               np.ma.asarray(lc["r:psfFlux"])[measured].data, rtol=1e-12)
    assert series.meta == lc.meta
    series.meta["detections"]["changed"] = True  # a copy: the light curve keeps its own
    assert "changed" not in lc.meta["detections"]
    assert folded.colnames == ["time", "mag", "r:psfFlux"] and len(folded) == len(lc) - 1
    assert lc.colnames == before.colnames and isinstance(lc["time"], Time) and isinstance(lc["mag"], MaskedColumn)


def test_to_timeseries_unmasked_magnitudes_become_magnitudes():
    lc = merge_lightcurve(Table({"r:midpointMjdTai": [61000.0], "r:band": ["g"],
                                 "r:psfFlux": [3631e9], "r:psfFluxErr": [1.0]}))
    lc["mag"] = Column(lc["mag"].filled(np.nan), unit=lc["mag"].unit)
    series = to_timeseries(lc)
    assert isinstance(series["mag"], u.Magnitude)
    assert series["mag"].to(u.Jy)[0].value == pytest.approx(3631)


def test_to_timeseries_needs_the_time_column():
    lc = handmade_lc()
    lc.remove_column("time")
    with pytest.raises(ValueError, match="'time' column"):
        to_timeseries(lc)


def test_to_qtable_without_warnings():
    lc = handmade_lc()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = to_qtable(lc)
    assert isinstance(table, QTable) and table.colnames == lc.colnames
    assert isinstance(table["r:psfFlux"], u.Quantity) and table["r:psfFlux"].mask.tolist() == [
        False, False, False, False, True]  # the forced point at 61003.125, the last
    assert isinstance(table["mag"], u.Magnitude) and table["mag"].unit == u.ABmag
    assert table["mag"].mask.tolist() == lc["mag"].mask.tolist()
    assert table[1:]["mag"].mask.tolist() == lc["mag"].mask.tolist()[1:]
    assert isinstance(table["time"], Time) and table["time"].scale == "tai"


def test_plain_qtable_still_warns_which_is_why_to_qtable_exists():
    """The astropy behaviour to_qtable and to_timeseries work around: if astropy stops warning, this says so."""
    with pytest.warns(UserWarning, match="column mag[a-z_]* has a unit but is kept as a MaskedColumn"):
        QTable(handmade_lc())
