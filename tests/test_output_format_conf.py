"""``conf.output_format``: the transport format of every tabular method and of fink-query, read at every call.

The oracle is the replica's request log: the ``output-format`` the server was asked for, whatever the
client then reports about itself.
"""
import inspect
import warnings

import astropy.units as u
import pytest
from astropy.coordinates import SkyCoord
from astroquery.exceptions import InvalidQueryError, MaxResultsWarning, NoResultsWarning

from astroquery_fink import FinkClass, conf
from astroquery_fink.cli import EXIT_OK, EXIT_USAGE, main

OBJECT = 313761043604045880  # sources and forced photometry on the replica
API = "/api/v1/"

# every tabular method: how to call it on the replica, and the endpoints it asks for tables
CALLS = {
    "query_object": (lambda fink, **kw: fink.query_object(OBJECT, **kw), ("objects",)),
    "query_sources": (lambda fink, **kw: fink.query_sources(OBJECT, columns="r:psfFlux", **kw), ("sources",)),
    "query_forced_photometry": (lambda fink, **kw: fink.query_forced_photometry(OBJECT, **kw), ("fp",)),
    "get_lightcurve": (lambda fink, **kw: fink.get_lightcurve(OBJECT, **kw), ("sources", "fp")),
    "summarize": (lambda fink, **kw: fink.summarize(OBJECT, **kw), ("sources", "fp", "objects")),
    "query_region": (lambda fink, **kw: fink.query_region(SkyCoord(53.2514, -27.861, unit="deg"), 10 * u.arcsec,
                                                          **kw), ("conesearch",)),
    "query_tags": (lambda fink, **kw: fink.query_tags("in_tns", n=5, **kw), ("tags",)),
    "query_sso": (lambda fink, **kw: fink.query_sso("2015 BC557", columns="r:psfFlux", **kw), ("sso",)),
    "query_statistics": (lambda fink, **kw: fink.query_statistics("20251102", **kw), ("statistics",)),
    "query_skymap": (lambda fink, **kw: fink.query_skymap(event_name="S251112cm", credible_level=0.9, **kw),
                     ("skymap",)),
}
# the methods that can show their payload instead of sending it
WITH_PAYLOAD = [name for name in CALLS if "get_query_payload" in inspect.signature(getattr(FinkClass, name)).parameters]


def call(fink, name, **options):
    with warnings.catch_warnings():
        # some endpoints answer nothing for these arguments, or as many rows as n allows
        warnings.simplefilter("ignore", NoResultsWarning)
        warnings.simplefilter("ignore", MaxResultsWarning)
        return CALLS[name][0](fink, **options)


def asked_formats(replica, name):
    """The ``output-format`` of the first table request to each endpoint of the method, from the replica's log."""
    first = {}
    for entry in replica.requests:
        endpoint = entry["path"].removeprefix(API)
        if endpoint in CALLS[name][1] and entry["method"] == "POST" and endpoint not in first:
            first[endpoint] = entry["payload"].get("output-format")
    assert set(first) == set(CALLS[name][1]), f"{name} did not ask every endpoint: {first}"
    return set(first.values())


def test_every_tabular_method_is_covered():
    # a method with an output_format of the table kind (not get_cutouts' images) must be in CALLS,
    # and must default to None: "conf.output_format now"
    tabular = {name for name, method in inspect.getmembers(FinkClass, inspect.isfunction)
               if not name.startswith("_") and "output_format" in inspect.signature(method).parameters}
    assert tabular - {"get_cutouts"} == set(CALLS)
    for name in CALLS:
        assert inspect.signature(getattr(FinkClass, name)).parameters["output_format"].default is None


def test_the_default_is_votable():
    assert conf.output_format == "votable"


@pytest.mark.parametrize("name", CALLS)
def test_conf_is_read_at_call_time(replica_client, replica, name):
    # the client exists before the setting changes: nothing is frozen at construction or import
    with conf.set_temp("output_format", "parquet"):
        call(replica_client, name)
    assert asked_formats(replica, name) == {"parquet"}
    replica.clear_requests()
    conf.output_format = "csv"
    try:
        call(replica_client, name)
    finally:
        conf.reset("output_format")
    assert asked_formats(replica, name) == {"csv"}
    replica.clear_requests()
    call(replica_client, name)  # set_temp and reset gave the default back
    assert asked_formats(replica, name) == {"votable"}


@pytest.mark.parametrize("name", CALLS)
def test_an_explicit_argument_wins(replica_client, replica, name):
    with conf.set_temp("output_format", "parquet"):
        call(replica_client, name, output_format="json")
    assert asked_formats(replica, name) == {"json"}


@pytest.mark.parametrize("name", CALLS)
def test_a_bad_setting_is_refused_before_any_request(replica_client, replica, name):
    with conf.set_temp("output_format", "xml"), pytest.raises(InvalidQueryError) as raised:
        call(replica_client, name)
    assert "conf.output_format 'xml' is not supported" in str(raised.value)
    assert "parquet" in str(raised.value)  # the valid choices are named
    assert replica.requests == []


@pytest.mark.parametrize("name", WITH_PAYLOAD)
def test_the_payload_shows_the_format_used(replica_client, replica, name):
    with conf.set_temp("output_format", "Parquet"):  # written as a user may: normalized as an argument is
        payload = call(replica_client, name, get_query_payload=True)
        assert payload["output-format"] == "parquet"
        with pytest.raises(InvalidQueryError):
            call(replica_client, name, get_query_payload=True, output_format="xml")
    with conf.set_temp("output_format", "xml"), pytest.raises(InvalidQueryError, match="conf.output_format"):
        call(replica_client, name, get_query_payload=True)
    assert replica.requests == []


def test_the_bad_argument_error_is_unchanged(replica_client, replica):
    # an argument is refused with the payload builder's words, naming the argument, not the setting
    with pytest.raises(InvalidQueryError, match=r"^output_format 'xml' is not supported"):
        replica_client.query_object(OBJECT, output_format="xml")
    assert replica.requests == []


# --- fink-query ------------------------------------------------------------------------------------

def fp_command(replica, tmp_path, *options):
    return main(["fp", str(OBJECT), "--server", replica.url, "-q", "-o", str(tmp_path / "fp.ecsv"), "--overwrite",
                 *options])


def test_the_command_line_follows_the_setting(replica, tmp_path):
    with conf.set_temp("output_format", "parquet"):
        assert fp_command(replica, tmp_path) == EXIT_OK
    assert asked_formats(replica, "query_forced_photometry") == {"parquet"}
    replica.clear_requests()
    assert fp_command(replica, tmp_path) == EXIT_OK
    assert asked_formats(replica, "query_forced_photometry") == {"votable"}


def test_the_transport_option_wins_over_the_setting(replica, tmp_path):
    with conf.set_temp("output_format", "parquet"):
        assert fp_command(replica, tmp_path, "--transport", "json") == EXIT_OK
    assert asked_formats(replica, "query_forced_photometry") == {"json"}


def test_the_command_line_refuses_a_bad_setting_before_any_request(replica, tmp_path, capsys):
    with conf.set_temp("output_format", "xml"):
        assert fp_command(replica, tmp_path) == EXIT_USAGE
    assert "conf.output_format 'xml' is not supported" in capsys.readouterr().err
    assert replica.requests == []
