"""
Schema versions, the Data Transfer schemas and the units of columns the packaged map does not know.

Oracles: the replica's raw ``/api/v1/schema`` JSON, read with `requests` and parsed here by hand
(the unit is the bracketed last token of a field's doc).
"""
import re
import warnings

import pytest
from astropy import units as u
from astroquery.exceptions import InvalidQueryError

from astroquery_fink import annotate as annotate_module
from astroquery_fink import columns, payload, schema
from astroquery_fink.cli import EXIT_OK, EXIT_USAGE, main
from astroquery_fink.exceptions import SchemaVersionWarning, UndescribedColumnWarning
from astroquery_fink.schema import check_schema_versions

OBJECT = 313761043604045880  # has sources and forced photometry on the replica


@pytest.fixture(autouse=True)
def fresh_session():
    """Each test starts with no schema answer remembered and no version warned about."""
    schema.forget_served()
    yield
    schema.forget_served()


def raw_schema(url, http, endpoint, **version):
    answer = http.post(url + "/api/v1/schema", json={"endpoint": endpoint, **version})
    assert answer.status_code == 200, answer.text
    return answer.json()


def bracket_unit(doc):
    """The unit written as ``[...]`` at the very end of a doc (an optional final period after it)."""
    text = doc.rstrip().removesuffix(".").rstrip()
    if not text.endswith("]"):
        return None
    inner = text[text.rindex("[") + 1:-1]
    try:
        return u.Unit(inner, parse_strict="raise")
    except ValueError:  # e.g. mpc_orbits' "[m^2/ton]": no unit rather than a wrong one
        return None


def schema_requests(replica):
    return [entry for entry in replica.requests if entry["path"] == "/api/v1/schema"]


@pytest.mark.remote_data
@pytest.mark.parametrize("endpoint, family", [("datatransfer/lsst", "LSST"), ("datatransfer/fink", "Fink")])
def test_datatransfer_schemas_are_the_servers(replica, replica_client, url, http, endpoint, family):
    raw = raw_schema(url, http, "/" + endpoint)
    assert list(raw) == [family]
    table = replica_client.get_schema(endpoint)
    assert schema_requests(replica)[-1]["payload"] == {"endpoint": "/" + endpoint}
    assert sorted(table["name"]) == sorted(raw[family])
    assert set(table["family"]) == {family}
    for name, info in raw[family].items():
        expected = bracket_unit(info["doc"])
        got = table.loc[name]["unit"]
        assert (got == expected) if expected is not None else got == "", name
        assert table.loc[name]["description"] == info["doc"]


@pytest.mark.remote_data
def test_datatransfer_units_are_there(replica_client):
    table = replica_client.get_schema("/datatransfer/lsst")
    assert table.loc["diaSource.psfFlux"]["unit"] == u.nJy
    assert table.loc["prvDiaForcedSources.psfFlux"]["unit"] == u.nJy
    assert table.loc["diaObject.ra"]["unit"] == u.deg


@pytest.mark.remote_data
def test_version_is_sent_and_served(replica, replica_client, url, http):
    raw_old = raw_schema(url, http, "/api/v1/sources", major_version=10, minor_version=0)
    raw_new = raw_schema(url, http, "/api/v1/sources")
    family = "LSST original fields (r:)"
    changed = [name for name in raw_old[family] if raw_old[family][name]["type"] != raw_new[family][name]["type"]]
    assert changed, "the replica's 10.0 and 11.0 should differ somewhere for this test to mean anything"
    old = replica_client.get_schema("sources", major_version=10, minor_version=0)
    assert schema_requests(replica)[-1]["payload"] == {"endpoint": "/api/v1/sources", "major_version": 10,
                                                       "minor_version": 0}
    latest = replica_client.get_schema("sources")
    for name in changed:
        # e.g. ["null", "int"] in 10.0, "int" in 11.0
        assert old.loc["r:" + name]["nullable"] == ("null" in raw_old[family][name]["type"])
        assert latest.loc["r:" + name]["nullable"] == ("null" in raw_new[family][name]["type"])
        assert old.loc["r:" + name]["nullable"] != latest.loc["r:" + name]["nullable"]


@pytest.mark.remote_data
def test_major_alone_means_minor_zero(replica, replica_client):
    replica_client.get_schema("fp", major_version=10)
    assert schema_requests(replica)[-1]["payload"] == {"endpoint": "/api/v1/fp", "major_version": 10,
                                                       "minor_version": 0}


def test_payload_without_request():
    assert payload.schema_payload("datatransfer/fink") == {"endpoint": "/datatransfer/fink"}
    assert payload.schema_payload("/api/v1/objects", major_version="11", minor_version=0) == {
        "endpoint": "/api/v1/objects", "major_version": 11, "minor_version": 0}


@pytest.mark.remote_data
@pytest.mark.parametrize("arguments, words", [
    ({"minor_version": 0}, "needs major_version"),
    ({"major_version": -1, "minor_version": 0}, "non-negative integer"),
    ({"major_version": 10.5}, "non-negative integer"),
    ({"major_version": True}, "non-negative integer"),
    ({"major_version": "ten"}, "non-negative integer"),
    ({"major_version": 10, "minor_version": -2}, "non-negative integer"),
    ({"major_version": 9, "minor_version": 0}, "10.0 and later"),
])
def test_bad_versions_refused_before_any_request(replica, replica_client, arguments, words):
    before = len(replica.requests)
    with pytest.raises(InvalidQueryError, match=words):
        replica_client.get_schema("sources", **arguments)
    assert len(replica.requests) == before


@pytest.mark.parametrize("endpoint", ["resolver", "datatransfer", "datatransfer/other", "api/v1/datatransfer/lsst"])
def test_endpoints_without_schema_refused(endpoint):
    with pytest.raises(InvalidQueryError, match="has no schema"):
        payload.schema_payload(endpoint)


def test_packaged_schema_version_is_the_generated_one():
    # the JSON map names its source version; DESCRIBED_MAJORS must include it
    assert columns.PACKAGED_SCHEMA_VERSION == "11.0"
    assert int(columns.PACKAGED_SCHEMA_VERSION.split(".")[0]) in schema.DESCRIBED_MAJORS


@pytest.mark.remote_data
@pytest.mark.parametrize("endpoint", ["/api/v1/sources", "/api/v1/objects", "/api/v1/fp", "/api/v1/sso"])
def test_schema_10_has_the_fields_and_docs_of_the_packaged_11(url, http, endpoint):
    # why DESCRIBED_MAJORS includes 10: the same names and docs (hence units) in both versions
    old = raw_schema(url, http, endpoint, major_version=10, minor_version=0)
    new = raw_schema(url, http, endpoint, major_version=11, minor_version=0)
    assert old.keys() == new.keys()
    for family in old:
        assert old[family].keys() == new[family].keys()
        assert {name: info["doc"] for name, info in old[family].items()} == {
            name: info["doc"] for name, info in new[family].items()}


@pytest.mark.remote_data
def test_rows_schema_versions_in_meta(replica_client, url, http):
    raw = http.post(url + "/api/v1/sources", json={"diaObjectId": str(OBJECT), "output-format": "json"}).json()
    expected = sorted({row["f:lsst_schema_version"] for row in raw})
    assert expected  # the replica's rows carry it
    with warnings.catch_warnings():
        warnings.simplefilter("error", SchemaVersionWarning)  # 10.0 rows: described, no warning
        table = replica_client.query_sources(OBJECT, output_format="parquet")
    assert table.meta["lsst_schema_version"] == expected


def test_unknown_major_warns_once_per_version():
    with pytest.warns(SchemaVersionWarning, match=re.escape("'lsst.v12_0'")) as record:
        assert check_schema_versions(["lsst.v12_0", "lsst.v10_0", "lsst.v12_0"]) == ["lsst.v10_0", "lsst.v12_0"]
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_schema_versions(["lsst.v12_0", "lsst.v11_0", "lsst.v10_0"])  # already named once: quiet


def without(function, name):
    """``function`` (a column-map lookup by endpoint) as if the packaged map did not know ``name``."""
    return lambda endpoint: {key: value for key, value in function(endpoint).items() if key != name}


@pytest.fixture
def map_without_psf_flux(monkeypatch):
    """The packaged map as if r:psfFlux were a column of a newer alert schema."""
    for module in (annotate_module, payload):
        for lookup in ("endpoint_columns", "selectable_columns"):
            if hasattr(module, lookup):
                monkeypatch.setattr(module, lookup, without(getattr(module, lookup), "r:psfFlux"))


@pytest.mark.remote_data
def test_unknown_column_gets_the_servers_unit_after_get_schema(map_without_psf_flux, replica_client, url, http):
    doc = raw_schema(url, http, "/api/v1/fp")["LSST original fields (r:)"]["psfFlux"]["doc"]
    with pytest.warns(UndescribedColumnWarning, match=re.escape("['r:psfFlux']")) as record:
        before = replica_client.query_forced_photometry(OBJECT)
    assert len(record) == 1
    assert record[0].filename == __file__  # pointed at the user's call, not at the package
    assert before["r:psfFlux"].unit is None  # nothing fetched yet: the map alone does not know it
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named once per session
        replica_client.query_forced_photometry(OBJECT)
    replica_client.get_schema("fp")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # described now: no warning
        after = replica_client.query_forced_photometry(OBJECT)
    assert after["r:psfFlux"].unit == bracket_unit(doc) == u.nJy
    assert after["r:psfFlux"].description == doc


@pytest.mark.remote_data
def test_requested_unknown_column_fetches_schema_once_and_gets_unit(map_without_psf_flux, replica, replica_client):
    table = replica_client.query_forced_photometry(OBJECT, columns=["r:psfFlux", "r:midpointMjdTai"])
    assert table["r:psfFlux"].unit == u.nJy
    assert len(schema_requests(replica)) >= 1


@pytest.mark.remote_data
def test_cli_schema_version_flag(replica, fink_replica, tmp_path, capsys):
    status = main(["schema", "sources", "--schema-version", "10.0", "--server", fink_replica,
                   "-o", str(tmp_path / "old.ecsv")])
    assert status == EXIT_OK
    assert schema_requests(replica)[-1]["payload"] == {"endpoint": "/api/v1/sources", "major_version": 10,
                                                       "minor_version": 0}
    assert main(["schema", "datatransfer/fink", "--server", fink_replica, "-o", str(tmp_path / "fink.ecsv")]) == EXIT_OK
    assert schema_requests(replica)[-1]["payload"] == {"endpoint": "/datatransfer/fink"}


@pytest.mark.remote_data
def test_cli_bad_schema_version_is_a_usage_error(replica, fink_replica, capsys):
    before = len(replica.requests)
    assert main(["schema", "sources", "--schema-version", "ten", "--server", fink_replica]) == EXIT_USAGE
    assert "major_version" in capsys.readouterr().err
    assert len(replica.requests) == before
