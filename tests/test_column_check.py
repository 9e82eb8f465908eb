"""Column names are checked before any request: a typo is refused with the close matches, a column of
another endpoint names the endpoints (and methods) that serve it, a computed column is refused, and a
name the packaged map does not know but the server's own schema lists is accepted."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astroquery.exceptions import InvalidQueryError

from astroquery_fink.cli import EXIT_USAGE, main
from astroquery_fink.payload import check_columns, normalize_columns

OBJECT = 313761043604045880  # has sources and forced photometry on the replica
CENTRE = SkyCoord(53.2514, -27.861, unit="deg")


def paths(replica):
    return [entry["path"] for entry in replica.requests]


# --- refused before any request, with get_query_payload=True (the packaged map only) ------------

# every method with columns=, a valid name and a typo there; `client` has no server: any request fails
TYPOS = [
    ("query_object", (OBJECT,), "r:ra", "r:nDiaSource", "'r:nDiaSources'"),
    ("query_sources", (OBJECT,), "r:band", "r:psfFluxx", "'r:psfFlux'"),
    ("query_forced_photometry", (OBJECT,), "r:band", "r:psfFluxx", "'r:psfFlux'"),
    ("query_region", (CENTRE, 10), "r:band", "r:nDiaSourcess", "'r:nDiaSources'"),
    ("query_tags", ("in_tns",), "r:band", "f:xm_tns_fulname", "'f:xm_tns_fullname'"),
    ("query_sso", ("2015 BC557",), "r:band", "r:ephVmagg", "'r:ephVmag'"),
    ("query_statistics", ("2025",), "f:objects", "f:alertz", "'f:alerts'"),
]


@pytest.mark.parametrize("method, args, valid, typo, suggestion", TYPOS, ids=[typo[0] for typo in TYPOS])
def test_a_typo_is_refused_with_the_close_matches(client, server, method, args, valid, typo, suggestion):
    with pytest.raises(InvalidQueryError, match="did you mean") as refused:
        getattr(client, method)(*args, columns=[valid, typo], get_query_payload=True)
    message = str(refused.value)
    assert repr(typo) in message and suggestion in message
    assert repr(valid) not in message  # the valid name is not blamed
    assert server.calls == []
    assert getattr(client, method)(*args, columns=[valid], get_query_payload=True)["columns"].startswith(valid)


def test_the_check_ignores_the_case_of_letters(client, server):
    with pytest.raises(InvalidQueryError, match=r"did you mean 'r:psfFlux'"):
        client.query_forced_photometry(OBJECT, columns="r:PSFFLUX", get_query_payload=True)


def test_valid_names_pass_and_are_sent(client, server):
    payload = client.query_forced_photometry(OBJECT, columns="r:psfFlux,r:band", get_query_payload=True)
    assert payload["columns"] == "r:psfFlux,r:band,r:diaObjectId,r:midpointMjdTai"
    assert server.calls == []


def test_a_column_of_another_endpoint_names_who_serves_it(client, server):
    with pytest.raises(InvalidQueryError) as refused:
        client.query_forced_photometry(OBJECT, columns="r:snr", get_query_payload=True)
    message = str(refused.value)
    assert "'r:snr'" in message and "/api/v1/fp" in message
    assert "/api/v1/sources (query_sources)" in message and "/api/v1/tags (query_tags)" in message
    assert "/api/v1/objects" not in message  # an object has no signal-to-noise ratio
    assert server.calls == []


def test_an_object_column_asked_of_sources_points_to_query_object(client, server):
    with pytest.raises(InvalidQueryError, match=r"/api/v1/objects \(query_object\)"):
        client.query_sources(OBJECT, columns="r:nDiaSources", get_query_payload=True)


@pytest.mark.parametrize("method, args, name", [
    ("query_region", (CENTRE, 10), "v:separation_degree"),  # the server would answer nothing
    ("query_region", (CENTRE, 10), "v:separation_arcsec"),  # the client's name of it
    ("query_sso", ("2015 BC557",), "f:sso_name"),
    ("query_sso", ("2015 BC557",), "i:magpsf_red"),
])
def test_a_computed_column_is_refused_it_is_always_there(client, server, method, args, name):
    with pytest.raises(InvalidQueryError, match="always in the result") as refused:
        getattr(client, method)(*args, columns=["r:ra", name], get_query_payload=True)
    assert repr(name) in str(refused.value)
    assert server.calls == []


def test_an_ephemeris_column_says_it_comes_with_the_ephemerides(client, server):
    with pytest.raises(InvalidQueryError, match="with_ephemerides=True"):
        client.query_sso("2015 BC557", columns="SDSS:g", with_ephemerides=True, get_query_payload=True)


def test_every_refused_name_is_listed_at_once(client, server):
    with pytest.raises(InvalidQueryError) as refused:
        client.query_object(OBJECT, columns="r:ra,r:decc,r:snr", get_query_payload=True)
    message = str(refused.value)
    assert "'r:decc'" in message and "did you mean 'r:dec'" in message and "'r:snr'" in message
    assert "'r:ra'" not in message


def test_a_name_without_its_family_is_refused_with_the_prefixed_name():
    with pytest.raises(InvalidQueryError) as refused:
        normalize_columns("psfFlux,r:band,zzz")
    message = str(refused.value)
    assert "'psfFlux' (did you mean 'r:psfFlux'?)" in message
    assert "'zzz'" in message and "'r:band'" not in message


def test_columns_the_schema_lists_but_the_data_lacks_are_accepted(client, server):
    # /api/v1/schema lists them for sources (the broker writes no value): asking for them is no error
    payload = client.query_sources(OBJECT, columns="f:clf_slsn_score,f:xm_spicy_SPICY", get_query_payload=True)
    assert payload["columns"].startswith("f:clf_slsn_score,f:xm_spicy_SPICY")
    payload = client.query_object(OBJECT, columns="r:diaSourceId", get_query_payload=True)
    assert payload["columns"].startswith("r:diaSourceId")


# --- the server's schema, consulted only when the packaged map refuses a name ----------------------

def test_the_server_schema_is_not_asked_when_the_map_accepts():
    def no_schema(endpoint):
        raise AssertionError("the server's schema was asked for")

    check_columns("fp", {"columns": "r:psfFlux,r:diaObjectId"}, server_schema=no_schema)
    check_columns("sources", {"diaObjectId": "1"}, server_schema=no_schema)  # no selection, nothing to check


def test_a_name_the_server_schema_lists_is_accepted():
    asked = []

    def schema(endpoint):
        asked.append(endpoint)
        return Table({"name": ["r:psfFlux", "r:newFlux"]})

    check_columns("fp", {"columns": "r:newFlux,r:psfFlux"}, server_schema=schema)
    assert asked == ["fp"]
    with pytest.raises(InvalidQueryError, match="'r:otherFlux'") as refused:
        check_columns("fp", {"columns": "r:newFlux,r:otherFlux"}, server_schema=schema)
    assert "'r:newFlux'" not in str(refused.value)


def test_a_computed_column_is_refused_whatever_the_server_schema():
    def schema(endpoint):
        raise AssertionError("the server's schema was asked for")

    with pytest.raises(InvalidQueryError, match="v:separation_degree"):
        check_columns("conesearch", {"columns": "v:separation_degree"}, server_schema=schema)


def test_an_unreadable_server_schema_leaves_the_refusal_with_the_reason():
    def schema(endpoint):
        raise ConnectionError("no route to host")

    with pytest.raises(InvalidQueryError, match="could not be read.*no route to host"):
        check_columns("fp", {"columns": "r:psfFluxx"}, server_schema=schema)


def test_a_typo_asks_the_server_schema_once_then_the_cache(replica, replica_client):
    for _ in range(2):
        with pytest.raises(InvalidQueryError, match="did you mean 'r:psfFlux'"):
            replica_client.query_forced_photometry(OBJECT, columns="r:psfFluxx")
    # one small request for the schema, kept in the cache; the data was never asked for
    assert paths(replica) == ["/api/v1/schema"]
    assert replica.requests[0]["payload"] == {"endpoint": "/api/v1/fp"}


def test_get_lightcurve_checks_its_columns_before_asking_for_data(replica, replica_client):
    with pytest.raises(InvalidQueryError, match="'r:snrr'.*did you mean 'r:snr'"):
        replica_client.get_lightcurve(OBJECT, columns=["r:snrr"])
    assert paths(replica) == ["/api/v1/schema"]


def test_a_typo_no_longer_gives_an_empty_table_and_a_false_no_data(replica, replica_client):
    # before: an empty table, a warning and "no data for diaObjectId", exit 0
    with pytest.raises(InvalidQueryError):
        replica_client.query_forced_photometry(OBJECT, columns="r:psfFluxx")
    table = replica_client.query_forced_photometry(OBJECT, columns="r:psfFlux")
    assert len(table) > 0


def test_an_empty_column_the_schema_lists_comes_back_masked_and_described(replica, replica_client):
    table = replica_client.query_sources(OBJECT, columns="r:psfFlux,f:clf_slsn_score")
    assert len(table) > 0
    assert table["f:clf_slsn_score"].dtype == np.float64 and np.ma.getmaskarray(table["f:clf_slsn_score"]).all()
    assert table["f:clf_slsn_score"].description
    assert table["r:psfFlux"].unit == u.nJy


def test_the_command_line_refuses_a_typo_in_one_line(fink_replica, capsys):
    status = main(["fp", str(OBJECT), "--columns", "r:psfFluxx", "--server", fink_replica])
    captured = capsys.readouterr()
    assert status == EXIT_USAGE
    assert captured.out == ""
    assert captured.err.startswith("fink-query: error: ") and len(captured.err.splitlines()) == 1
    assert "did you mean 'r:psfFlux'" in captured.err
