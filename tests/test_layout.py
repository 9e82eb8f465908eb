"""Tables lead with the columns people read, whatever the transport, and carry none of the server's internals.

The oracles are the server's own JSON answers (read with `requests` and `json` only), the spec's
facts (the server's columns come in code-point order; Miriade's ``Date`` is the alert's TAI time
as a Julian date in UTC) and literal lists written here.
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from astropy.table import MaskedColumn, Table
from astropy.time import Time

from astroquery_fink import FinkClass
from astroquery_fink.cli import EXIT_OK, main
from astroquery_fink.columns import ENDPOINTS, endpoint_columns
from astroquery_fink.layout import CLIENT_COLUMNS, LEADING, arrange, leading_first
from astroquery_fink.lightcurve import merge_lightcurve
from astroquery_fink.schema import schema_table

OBJECT = 313761043604045880
CENTRE = SkyCoord(53.2514, -27.861, unit="deg")
PHOTOMETRY = ["r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr"]


def served(http, url, endpoint, **payload):
    """The server's JSON rows, decoded by the standard library alone."""
    response = http.post(f"{url}/api/v1/{endpoint}", json={**payload, "output-format": "json"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


# --- the declaration -----------------------------------------------------------------------------

def test_every_leading_name_is_a_column_of_its_table():
    for key, names in LEADING.items():
        if key in ENDPOINTS:
            known = set(endpoint_columns(key)) | set(CLIENT_COLUMNS.get(key, ()))
        elif key == "schema":
            known = set(schema_table("fp", {}).colnames)
        else:
            assert key == "lightcurve"
            detections = Table({"r:midpointMjdTai": [61000.0], "r:band": ["g"], "r:psfFlux": [1.0],
                                "r:psfFluxErr": [0.1]})
            known = set(merge_lightcurve(detections).colnames)
        assert set(names) <= known, (key, set(names) - known)
        assert len(set(names)) == len(names), key


def test_leading_first_then_the_requested_then_the_others():
    names = ["r:band", "r:detector", "r:diaObjectId", "r:midpointMjdTai", "r:psfFlux", "r:visit", "r:x"]
    assert leading_first(names, "fp") == ["r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:detector",
                                          "r:visit", "r:x"]
    assert leading_first(names, "fp", requested=["r:x", "r:nosuch", "r:visit"]) == [
        "r:diaObjectId", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:x", "r:visit", "r:detector"]
    assert leading_first(names, "no_such_table") == names


# --- what each method returns ------------------------------------------------------------------------

TABLES = [
    ("query_forced_photometry", (OBJECT,), {}, "fp", {"diaObjectId": str(OBJECT)}, PHOTOMETRY),
    ("query_sources", (OBJECT,), {}, "sources", {"diaObjectId": str(OBJECT)}, PHOTOMETRY + ["r:snr"]),
    ("query_object", (OBJECT,), {}, "objects", {"diaObjectId": str(OBJECT)},
     ["r:diaObjectId", "r:ra", "r:dec", "r:nDiaSources"]),
    ("query_tags", ("in_tns",), {"n": 3}, "tags", {"tag": "in_tns", "n": 3}, PHOTOMETRY),
    ("query_sso", ("2015 BC557",), {}, "sso", {"n_or_d": "2015 BC557"},
     ["f:sso_name", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr"]),
    ("query_statistics", ("2025",), {}, "statistics", {"date": "2025"}, ["f:night", "f:alerts", "f:objects"]),
]


@pytest.mark.filterwarnings("ignore::astroquery.exceptions.MaxResultsWarning")
@pytest.mark.parametrize("method, args, options, endpoint, payload, leading", TABLES, ids=[t[0] for t in TABLES])
def test_tables_lead_with_what_people_read_then_the_server_order(replica_client, http, url, method, args, options,
                                                                 endpoint, payload, leading):
    table = getattr(replica_client, method)(*args, **options)
    rows = served(http, url, endpoint, **payload)
    assert table.colnames[:len(leading)] == leading
    assert set(table.colnames) == set(rows[0]) - {"r:salt"}
    # after the leading columns, the server's order: code-point order of the stored names
    rest = [name for name in table.colnames if name not in LEADING[endpoint]]
    stored = [name for name in rest if name not in ("f:night", "f:sso_name")]  # computed, appended by the server
    assert stored == sorted(stored)


@pytest.mark.parametrize("method, args, options, leading", [
    ("query_skymap", (), {"event_name": "S251112cm", "credible_level": 0.9},
     ["r:diaObjectId", "r:ra", "r:dec", "r:nDiaSources", "f:main_label_crossmatch"]),
    ("resolve", ("LEDA 1258009",), {"resolver": "simbad"}, ["name", "otype", "jradeg", "jdedeg"]),
    ("resolve", (313888627082919999,), {"reverse": True},
     ["r:diaObjectId", "f:xm_tns_fullname", "f:xm_tns_type", "f:xm_tns_redshift"]),
    ("resolve", ("2015 BC557",), {"resolver": "ssodnet"}, ["f:sso_name", "r:ssObjectId"]),
    ("get_schema", ("fp",), {}, ["name", "unit", "type", "description"]),
])
def test_other_tables_lead_with_what_people_read(replica_client, method, args, options, leading):
    table = getattr(replica_client, method)(*args, **options)
    assert len(table) > 0 and table.colnames[:len(leading)] == leading
    assert "r:salt" not in table.colnames


@pytest.mark.parametrize("output_format", ["votable", "json", "csv", "parquet"])
def test_every_transport_gives_the_same_order(replica_client, output_format):
    table = replica_client.query_forced_photometry(OBJECT, output_format=output_format)
    assert table.colnames == [*PHOTOMETRY, "r:diaForcedSourceId", "r:ra", "r:dec", "r:detector", "r:scienceFlux",
                              "r:scienceFluxErr", "r:timeProcessedMjdTai", "r:timeWithdrawnMjdTai", "r:visit"]


def test_a_selection_keeps_the_users_order_after_the_leading_columns(replica_client):
    table = replica_client.query_forced_photometry(OBJECT, columns=["r:visit", "r:psfFlux", "r:detector"])
    assert table.colnames == ["r:diaObjectId", "r:midpointMjdTai", "r:psfFlux", "r:visit", "r:detector"]
    objects = replica_client.query_object(OBJECT, columns="r:nDiaSources,f:is_sso,r:ra")
    assert objects.colnames == ["r:diaObjectId", "r:ra", "r:nDiaSources", "f:is_sso"]


# --- no internals ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, args, endpoint, payload", [
    ("query_forced_photometry", (OBJECT,), "fp", {"diaObjectId": str(OBJECT)}),
    ("query_sources", (OBJECT,), "sources", {"diaObjectId": str(OBJECT)}),
    ("query_object", (OBJECT,), "objects", {"diaObjectId": str(OBJECT)}),
    ("query_region", (CENTRE, 10), "conesearch", {"ra": 53.2514, "dec": -27.861, "radius": 10}),
])
def test_the_storage_key_prefix_is_left_out(replica_client, http, url, method, args, endpoint, payload):
    assert "r:salt" in served(http, url, endpoint, **payload)[0]  # the server sends it
    assert "r:salt" not in getattr(replica_client, method)(*args).colnames


def test_the_storage_key_prefix_is_kept_when_asked_for(replica_client):
    table = replica_client.query_forced_photometry(OBJECT, columns="r:psfFlux,r:salt")
    assert table.colnames == ["r:diaObjectId", "r:midpointMjdTai", "r:psfFlux", "r:salt"]
    assert all(len(str(value)) == 3 for value in table["r:salt"])  # the last 3 digits of the id


def test_the_tns_resolver_key_prefix_is_left_out(replica_client, http, url):
    assert "f:salt" in served(http, url, "resolver", resolver="tns", name_or_id="SN 2022and")[0]
    table = replica_client.resolve("SN 2022and")
    assert "f:salt" not in table.colnames
    assert table.colnames[:4] == ["f:fullname", "f:internalname", "f:type", "f:redshift"]


def test_cone_separation_in_arcsec(replica_client, http, url):
    table = replica_client.query_region(CENTRE, 10 * u.arcsec, output_format="json")
    degrees = [row["v:separation_degree"] for row in served(http, url, "conesearch", ra=53.2514, dec=-27.861,
                                                            radius=10)]
    separation = table["v:separation_arcsec"]
    assert separation.unit == u.arcsec
    np.testing.assert_allclose(np.asarray(separation), np.array(degrees) * 3600, rtol=1e-15, atol=0)
    assert np.all(Angle(separation) <= 10 * u.arcsec)
    assert Angle(separation).unit == u.arcsec
    assert "v:separation_degree" in separation.description and "arcsec" in separation.description
    assert "v:separation_degree" not in table.colnames
    assert table.colnames[:4] == ["r:diaObjectId", "v:separation_arcsec", "r:ra", "r:dec"]


def test_empty_cone_has_the_separation_column(replica_client):
    with pytest.warns(Warning, match="no data"):
        table = replica_client.query_region(SkyCoord(0, 80, unit="deg"), 1)
    assert len(table) == 0 and table["v:separation_arcsec"].unit == u.arcsec


def test_ephemerides_date_is_a_utc_time_after_the_alert_columns(replica_client, http, url):
    table = replica_client.query_sso("2015 BC557", with_ephemerides=True, output_format="json")
    rows = served(http, url, "sso", n_or_d="2015 BC557", withEphem=True)
    assert "index" in rows[0] and "index" not in table.colnames
    date = table["Date"]
    assert isinstance(date, Time) and date.scale == "utc" and date.format == "jd"
    order = np.argsort(-np.array([row["r:midpointMjdTai"] for row in rows]), kind="stable")  # newest first
    np.testing.assert_allclose(date.jd, np.array([row["Date"] for row in rows])[order], rtol=0, atol=1e-8)
    # the alert's time (TAI) converted to UTC by the server, rounded to 1e-6 day by Miriade
    np.testing.assert_allclose(date.tai.mjd, np.asarray(table["r:midpointMjdTai"]), rtol=0, atol=1e-6)
    assert "UTC" in date.info.description
    # the alert's columns, then Miriade's in the server's order, Date first
    miriade = [name for name in rows[0] if name != "index" and not name.startswith(("r:", "f:", "i:"))]
    assert miriade[0] == "Date"
    assert table.colnames[-len(miriade):] == miriade
    assert table.colnames[:6] == ["f:sso_name", "r:midpointMjdTai", "r:band", "r:psfFlux", "r:psfFluxErr",
                                  "i:magpsf_red"]


def test_a_missing_ephemeris_date_is_a_masked_time():
    table = Table({"f:sso_name": ["a", "b"], "Date": MaskedColumn([2461112.5, 0.0], mask=[False, True])})
    arranged = arrange(table, "sso_ephemerides")
    assert isinstance(arranged["Date"], Time)
    assert arranged["Date"].mask.tolist() == [False, True]
    assert arranged["Date"][0].jd == 2461112.5
    empty = arrange(Table({"index": np.zeros(0, int), "Date": np.zeros(0)}), "sso_ephemerides")
    assert empty.colnames == ["Date"] and isinstance(empty["Date"], Time) and len(empty) == 0


def test_arrange_shares_the_data(replica_client):
    table = Table({"r:band": ["g"], "r:diaObjectId": [1], "r:salt": ["001"]})
    arranged = arrange(table, "fp")
    assert arranged.colnames == ["r:diaObjectId", "r:band"]
    assert np.shares_memory(arranged["r:band"], table["r:band"])


# --- the command line can still write them -------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".ecsv", ".csv", ".xml", ".fits"])
def test_the_command_line_writes_a_cone_with_its_arcsec_separation(fink_replica, tmp_path, suffix, capsys):
    path = tmp_path / f"cone{suffix}"
    assert main(["cone", "53.2514", "-27.861", "--radius", "10arcsec", "--server", fink_replica, "-o", str(path),
                 "-q"]) == EXIT_OK
    options = {".xml": {"format": "votable", "use_names_over_ids": True}, ".csv": {"format": "ascii.csv"}}
    table = Table.read(path, **options.get(suffix, {}))
    assert len(table) == 2 and "v:separation_arcsec" in table.colnames
    assert np.all(np.asarray(table["v:separation_arcsec"]) <= 10)
    if suffix != ".csv":  # CSV has no units
        assert table["v:separation_arcsec"].unit == u.arcsec


@pytest.mark.parametrize("suffix", [".ecsv", ".xml", ".csv", ".fits", ".parquet", ".ipac"])
def test_the_command_line_writes_ephemerides(fink_replica, tmp_path, suffix):
    # the Date column is an astropy Time: formats that cannot hold one get its Julian Date as a number
    path = tmp_path / f"sso{suffix}"
    assert main(["sso", "2015 BC557", "--ephemerides", "--server", fink_replica, "-o", str(path), "-q"]) == EXIT_OK
    expected = FinkClass(server=fink_replica).query_sso("2015 BC557", with_ephemerides=True)["Date"]
    options = {".xml": {"use_names_over_ids": True}, ".fits": {"astropy_native": True},
               ".ipac": {"format": "ascii.ipac"}}.get(suffix, {})
    written = Table.read(path, **options)["Date"]
    days = written.jd if isinstance(written, Time) else np.asarray(written, dtype=float)
    assert np.allclose(days, expected.jd, rtol=0, atol=1e-8)
