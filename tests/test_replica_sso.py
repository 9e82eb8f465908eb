"""The replica's /api/v1/sso over HTTP, answering as the real Fink/LSST server does."""
import numpy as np
import pytest

from astroquery_fink.testing import create_app
from astroquery_fink.testing.services import solar_system

from .replica_http import INTERNAL, assert_error, parquet_frame, post, python_dict_error, records

SSO = "/api/v1/sso"
BC557_ID = 21164728071239491


def sso(http, url, n_or_d="J96T28C", **extra):
    return post(http, url, SSO, n_or_d=n_or_d, **extra)


def test_designations_and_ids():
    assert solar_system.pack_provisional("2015 BC557") == "K15Bt7C"
    assert solar_system.pack_provisional("1996 TC28") == "J96T28C"
    assert solar_system.pack_provisional("1984 CP") == "J84C00P"
    assert solar_system.ss_object_id("K15Bt7C") == BC557_ID


def test_full_read(http, url):
    rows = records(sso(http, url))
    assert rows and {row["f:sso_name"] for row in rows} == {"1996 TC28"}
    columns = list(rows[0])
    assert len(columns) == 140 and columns[-1] == "f:sso_name" and columns[:-1] == sorted(columns[:-1])
    assert {row["r:packed_primary_provisional_designation"] for row in rows} == {"J96T28C"}
    assert all(row["r:diaObjectId"] is None and row["r:salt"] == "96" for row in rows)
    times = [row["r:midpointMjdTai"] for row in rows]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("name", ["1996 TC28", "j96t28c", "1996_TC28", "J96T28C "])
def test_names_resolve_like_quaero(http, url, name):
    assert len(records(sso(http, url, name, columns="r:diaSourceId"))) == 7


def test_columns(http, url):
    rows = records(sso(http, url, "2015 BC557", columns="r:midpointMjdTai,r:psfFlux,r:band,r:ssObjectId"))
    # the packed designation is added silently, f:sso_name computed after
    assert list(rows[0]) == ["r:band", "r:midpointMjdTai", "r:packed_primary_provisional_designation", "r:psfFlux",
                             "r:ssObjectId", "f:sso_name"]
    assert {row["r:ssObjectId"] for row in rows} == {BC557_ID} and rows[0]["f:sso_name"] == "2015 BC557"
    frame = parquet_frame(sso(http, url, "K15Bt7C", columns="r:psfFlux", **{"output-format": "parquet"}))
    assert all(key.startswith("15_K15Bt7C_") for key in frame.index)  # salt = packed[1:3]


def test_ephemerides(http, url):
    plain = records(sso(http, url))
    for flag in (True, "True"):
        rows = records(sso(http, url, withEphem=flag))
        assert len(rows) == len(plain)
        columns = list(rows[0])
        assert columns[:3] == ["index", "Date", "RA"] and columns[-2:] == ["f:sso_name", "i:magpsf_red"]
        assert {"Phase", "SDSS:g", "SDSS:r", "Dobs", "Dhelio", "Elong."} <= set(columns)
        assert [row["index"] for row in rows] == list(range(len(rows)))  # Miriade's row numbers
        for row in rows:
            expected = 31.4 - 2.5 * np.log10(row["r:psfFlux"]) - 5 * np.log10(row["Dobs"] * row["Dhelio"])
            assert row["i:magpsf_red"] == pytest.approx(expected, abs=1e-8)
            assert row["Date"] == pytest.approx(row["r:midpointMjdTai"] + 2400000.5 - 37 / 86400, abs=2e-6)  # TAI->UTC
            assert abs(row["RA"] - row["r:ra"]) * 3600 < 1 and abs(row["DEC"] - row["r:dec"]) * 3600 < 1
    for flag in ("true", 1, "1"):
        assert len(records(sso(http, url, withEphem=flag))[0]) == 140  # not honoured


def test_ephemerides_columns_added_when_selected(http, url):
    rows = records(sso(http, url, "8467", withEphem=True, columns="r:band"))
    assert {"r:band", "r:midpointMjdTai", "r:psfFlux", "r:packed_primary_provisional_designation",
            "f:sso_name", "i:magpsf_red"} <= set(rows[0])
    assert rows[0]["f:sso_name"] == "Benoîtcarry"


def test_residuals_only_switch_ephemerides_on(http, url):
    assert records(sso(http, url, withResiduals=True)) == records(sso(http, url, withEphem=True))
    body = python_dict_error("You cannot request residuals for a list object names.\n")
    assert_error(sso(http, url, "1984 CP,J96T28C", withResiduals=True), 400, body)


def test_several_objects(http, url):
    both = records(sso(http, url, "1984 CP,J96T28C", withEphem=True))
    assert {row["f:sso_name"] for row in both} == {"1984 CP", "1996 TC28"}
    assert len(both) == len(records(sso(http, url, "1984 CP", withEphem=True))) + len(records(sso(http, url)))
    # ephemerides are attached object by object, in name order
    assert [row["f:sso_name"] for row in both] == sorted(row["f:sso_name"] for row in both)


@pytest.mark.parametrize("name", ["8467", 8467, "734394", "713454", "Schwarzschilda", "Ukyounodaibu", "2015 BC557"])
def test_documented_objects_have_alerts(http, url, name):
    assert records(sso(http, url, name, columns="r:diaSourceId"))


def test_comet_without_alerts_is_empty(http, url):
    assert records(sso(http, url, "10P")) == []
    assert sso(http, url, "10P", **{"output-format": "csv"}).content == b"\n"


def test_unknown_name(http, url):
    body = python_dict_error("kdflsjffld is not a valid name or number according to quaero.\n")
    assert_error(sso(http, url, "kdflsjffld"), 400, body)
    assert_error(sso(http, url, "J96T28C, kdflsjffld"), 400, body)  # list items are stripped


def test_no_ephemerides_is_a_400(monkeypatch):
    monkeypatch.setattr(solar_system, "miriade", lambda name, epochs: solar_system.pd.DataFrame())
    response = create_app().test_client().post(SSO, json={"n_or_d": "J96T28C", "withEphem": True})
    assert response.status_code == 400
    assert response.data == python_dict_error("We could not obtain the ephemerides information. "
                                              "Check Miriade availabilities.")


def test_no_packed_designation_is_a_400(monkeypatch):
    monkeypatch.setattr(solar_system, "quaero", lambda name: (200, {"data": [{"name": "X", "aliases": "X, 12"}]}))
    response = create_app().test_client().post(SSO, json={"n_or_d": "X"})
    assert response.data == python_dict_error(
        "We have found 0 packed designation in the aliases for the object X according to quaero.\n")


def test_server_crashes(http, url):
    assert_error(http.post(url + SSO, json={"n_or_d": "J96T28C", "columns": ["r:ra"]}), 500, INTERNAL,
                 "application/json")
