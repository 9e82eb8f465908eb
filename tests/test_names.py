"""
Names where diaObjectIds are expected: TNS designations and SIMBAD names, alone or mixed with ids.

The replica's resolver is the witness: its TNS table holds the TNS names of replica objects
(``astroquery_fink.testing.services.resolvers``) and its objects' alerts carry the same names in
``f:xm_tns_fullname``. The oracle of a resolved name is that second, independent path: the
reverse resolver (diaObjectId -> TNS name, read from the alerts) must give the name back.
SIMBAD's only canned answer (LEDA 1258009) has no replica object near it, so the successful
SIMBAD path is checked with a stand-in client whose answers are written here.
"""
import logging

import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astroquery.exceptions import InvalidQueryError

from astroquery_fink import conf
from astroquery_fink.exceptions import IncompleteResultError, NameResolutionError
from astroquery_fink.names import MATCH_RADIUS, parse_targets, resolve_name, tns_candidates
from astroquery_fink.testing.services.resolvers import _INTERNAL_NAMES

OBJECT = 313761043604045880  # a replica object with forced photometry, no TNS name
BQE = "SN 2026bqe"


def resolver_requests(replica):
    return [(entry["payload"]["resolver"], entry["payload"]["name_or_id"]) for entry in replica.requests
            if entry["path"] == "/api/v1/resolver"]


def tns_name_of(client, dia_object_id):
    """The TNS name the object's alerts carry (reverse resolver: an independent path)."""
    # the object's first nmax alerts are read: all of them
    answer = client.resolve(str(dia_object_id), resolver="tns", reverse=True, nmax=10_000)
    return set(answer["f:xm_tns_fullname"]) if "f:xm_tns_fullname" in answer.colnames else set()


@pytest.mark.parametrize("name", sorted(_INTERNAL_NAMES))
def test_every_tns_name_of_the_replica_resolves_to_its_object(replica_client, name):
    table = replica_client.query_object(name, columns="r:ra,r:dec")
    [ids] = table.meta["resolved_names"].values()
    assert list(table.meta["resolved_names"]) == [name]
    assert ids and list(table["r:diaObjectId"]) == ids
    # the object's own position (/objects) is within the match radius of the TNS position (/resolver)
    tns = replica_client.resolve(name)
    tns = SkyCoord(float(tns["f:ra"][0]), float(tns["f:declination"][0]), unit="deg")
    assert all(tns.separation(SkyCoord(row["r:ra"], row["r:dec"], unit="deg")) <= MATCH_RADIUS for row in table)
    # and its alerts carry the name, where they have the column (broker 4.1 on: not in older alerts)
    for identifier in ids:
        assert tns_name_of(replica_client, identifier) in ({name}, set())


@pytest.mark.parametrize("spelling", ["SN 2026bqe", "2026bqe", "sn2026BQE", "SN  2026bqe", "AT 2026bqe"])
def test_spellings_of_a_tns_name_give_the_same_object(replica_client, spelling):
    # "AT 2026bqe": TNS renames an AT to SN once classified; the old name still finds it
    table = replica_client.query_forced_photometry(spelling)
    [ids] = table.meta["resolved_names"].values()
    assert [tns_name_of(replica_client, identifier) for identifier in ids] == [{BQE}]
    by_id = replica_client.query_forced_photometry(ids[0])
    assert len(table) == len(by_id) > 0
    assert list(table["r:diaForcedSourceId"]) == list(by_id["r:diaForcedSourceId"])


def test_names_and_ids_mixed_keep_their_order(replica_client):
    table = replica_client.query_sources([BQE, OBJECT, "AT 2026ak"], columns="r:psfFlux")
    resolved = table.meta["resolved_names"]
    assert list(resolved) == [BQE, "AT 2026ak"]
    expected = [*resolved[BQE], OBJECT, *resolved["AT 2026ak"]]
    assert table.meta["query"]["diaObjectId"] == ",".join(map(str, expected))
    assert set(table["r:diaObjectId"]) == set(expected)


def test_a_name_given_twice_or_with_its_own_id_is_asked_once(replica_client, replica):
    ids = replica_client.query_object(BQE, columns="r:ra").meta["resolved_names"][BQE]
    replica.clear_requests()
    table = replica_client.query_object([BQE, ids[0], BQE], columns="r:ra")
    assert table.meta["query"]["diaObjectId"] == str(ids[0])
    assert resolver_requests(replica) == [("tns", BQE)]


def test_ids_only_send_no_resolver_request_and_keep_no_meta(replica_client, replica):
    table = replica_client.query_object(OBJECT, columns="r:ra")
    assert "resolved_names" not in table.meta
    assert resolver_requests(replica) == []


def test_what_a_name_resolved_to_is_logged(replica_client, caplog):
    with caplog.at_level(logging.INFO, logger="astroquery"):
        table = replica_client.query_object("2026bqe", columns="r:ra")
    [identifier] = table.meta["resolved_names"]["2026bqe"]
    lines = [record.getMessage() for record in caplog.records if "resolved" in record.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("'2026bqe' resolved by TNS to SN 2026bqe at (ra, dec) = (")
    assert f"diaObjectId {identifier} (within 1.5 arcsec)" in lines[0]


def test_a_light_curve_by_name(replica_client):
    lightcurve = replica_client.get_lightcurve(BQE)
    [identifier] = lightcurve.meta["resolved_names"][BQE]
    assert set(lightcurve["r:diaObjectId"]) == {identifier}
    assert set(lightcurve["kind"]) == {"detection", "forced"}


def test_a_single_time_with_a_name(replica_client):
    [identifier] = replica_client.query_object(BQE, columns="r:ra").meta["resolved_names"][BQE]
    every = replica_client.query_sources(identifier, columns="r:psfFlux")
    first = float(every["r:midpointMjdTai"][-1])
    table = replica_client.query_sources(BQE, midpoint_mjd_tai=first, columns="r:psfFlux")
    assert list(table["r:midpointMjdTai"]) == [first]


# --- names that give no object -----------------------------------------------------------------

def test_a_tns_name_without_a_fink_object_says_what_each_resolver_answered(replica_client, replica):
    # SN 2022and is the resolver documentation's example: TNS knows it, Rubin never saw it
    with pytest.raises(NameResolutionError) as raised:
        replica_client.query_forced_photometry("SN 2022and")
    error = raised.value
    assert isinstance(error, InvalidQueryError)
    assert error.name == "SN 2022and"
    assert [resolver for resolver, _ in error.attempts] == ["tns", "simbad"]
    message = str(error)
    assert "TNS gives SN 2022and at (ra, dec) = (150.027554, 3.757143) deg, but Fink has no object within " \
           "1.5 arcsec of it" in message
    assert "SIMBAD does not know it" in message
    assert "only digits" in message and "Fink.resolve(" in message
    assert resolver_requests(replica) == [("tns", "SN 2022and"), ("simbad", "SN 2022and")]
    assert [entry["path"] for entry in replica.requests].count("/api/v1/fp") == 0


def test_the_tns_search_is_a_prefix_search_but_only_the_exact_name_counts(replica_client):
    # the server's TNS search for "SN 2022an" also returns SN 2022ann (same last letter)
    assert set(replica_client.resolve("SN 2022an", nmax=100)["f:fullname"]) == {"SN 2022an", "SN 2022ann"}
    with pytest.raises(NameResolutionError, match=r"SN 2022an at \(ra, dec\) = \(201\.368342, -13\.250771\)"):
        replica_client.query_object("SN 2022an")


def test_a_simbad_name_far_from_any_object(replica_client, replica):
    with pytest.raises(NameResolutionError) as raised:
        replica_client.query_object("LEDA 1258009")
    message = str(raised.value)
    assert "TNS not asked ('LEDA 1258009' is not a TNS designation" in message
    assert "SIMBAD gives LEDA 1258009 at (ra, dec) = (150.027920, 3.757220) deg, but Fink has no object" in message
    assert resolver_requests(replica) == [("simbad", "LEDA 1258009")]


@pytest.mark.parametrize("name", ["M 31", "ZTF21abc", "31376104360404588O"])
def test_an_unknown_name_says_it_is_not_an_id_either(replica_client, name):
    with pytest.raises(NameResolutionError) as raised:
        replica_client.query_object(name)
    assert str(raised.value).startswith(f"{name!r} is not a diaObjectId (those contain only digits)")
    assert "SIMBAD does not know it" in str(raised.value)


def test_an_unknown_tns_designation_names_both_prefixes_tried(replica_client, replica):
    with pytest.raises(NameResolutionError, match=r"TNS knows no 'SN 2026zzz' nor 'AT 2026zzz'"):
        replica_client.query_object("2026zzz")
    assert resolver_requests(replica) == [("tns", "SN 2026zzz"), ("tns", "AT 2026zzz"), ("simbad", "2026zzz")]


# --- before any request -------------------------------------------------------------------------

def test_the_payload_of_a_query_by_name_is_the_first_resolver_request(server, client):
    payloads = client.query_forced_photometry([OBJECT, BQE, "M 31"], get_query_payload=True)
    assert payloads == [
        {"resolver": "tns", "name_or_id": "SN 2026bqe", "nmax": 100, "output-format": "json"},
        {"resolver": "simbad", "name_or_id": "M 31", "output-format": "json"},
    ]
    assert server.calls == []


@pytest.mark.parametrize("kwargs", [{"columns": "psfFlux"}, {"output_format": "fits"}, {"on_error": "ignore"}])
def test_other_arguments_are_checked_before_a_name_is_resolved(server, client, kwargs):
    with pytest.raises(InvalidQueryError):
        client.query_forced_photometry(BQE, **kwargs)
    assert server.calls == []


def test_a_single_time_with_several_targets_is_refused_before_any_request(server, client):
    with pytest.raises(InvalidQueryError, match="single dia_object_id"):
        client.query_sources([BQE, OBJECT], midpoint_mjd_tai=61000.5)
    assert server.calls == []


def test_targets_are_sorted_into_ids_and_names():
    targets = parse_targets([OBJECT, " SN  2026bqe ", "313761043604045880", "M 31", "2026bqe"])
    assert targets.items == [("id", str(OBJECT)), ("name", "SN 2026bqe"), ("name", "M 31"), ("name", "2026bqe")]
    assert parse_targets("SN 2026bqe,313761043604045880").items == [("name", "SN 2026bqe"), ("id", str(OBJECT))]
    for bad in ("12-34", "", -1, 1.5):  # with a name, every id is checked before any request
        with pytest.raises(InvalidQueryError):
            parse_targets(["SN 2026bqe", bad])
    assert parse_targets([OBJECT, "12"]).items is None  # ids only: checked once, by the payload builder


@pytest.mark.parametrize(("name", "asked"), [
    ("SN 2026bqe", ["SN 2026bqe", "AT 2026bqe"]),
    ("2026bqe", ["SN 2026bqe", "AT 2026bqe"]),
    ("AT2026abc", ["AT 2026abc", "SN 2026abc"]),
    ("TDE 2025abc", ["TDE 2025abc"]),
    ("SN 1987A", ["SN 1987A", "AT 1987A"]),
    ("M 31", []),
    ("LEDA 1258009", []),
    ("ZTF21abc", []),
])
def test_tns_designations(name, asked):
    assert tns_candidates(name) == asked


# --- the SIMBAD path, with written answers --------------------------------------------------------

class StandIn:
    """A client whose resolver and cone search answer from the tables given, recording the calls."""

    def __init__(self, tns=None, simbad=None, cones=None):
        self.tns = tns or {}
        self.simbad = simbad or {}
        self.cones = cones or {}
        self.calls = []

    def resolve(self, name, *, resolver, cache, nmax=None):
        self.calls.append((resolver, name))
        rows = (self.tns if resolver == "tns" else self.simbad).get(name, [])
        names = ["f:fullname", "f:ra", "f:declination"] if resolver == "tns" else ["oname", "jradeg", "jdedeg"]
        return Table(rows=rows, names=names) if rows else Table(names=names, dtype=[str, float, float])

    def query_region(self, coordinates, radius, *, columns, cache):
        assert radius == MATCH_RADIUS
        position = (round(coordinates.ra.deg, 5), round(coordinates.dec.deg, 5))
        self.calls.append(("cone", position))
        return Table({"r:diaObjectId": self.cones.get(position, [])}, dtype=[int])


def test_simbad_gives_the_position_when_tns_does_not_know_the_name():
    stand_in = StandIn(simbad={"NGC 1365 SN": [("NGC 1365 SN", 53.40155, -36.14044)]},
                       cones={(53.40155, -36.14044): [170000000000000001, 170000000000000002]})
    assert resolve_name(stand_in, "NGC 1365 SN") == [170000000000000001, 170000000000000002]
    assert stand_in.calls == [("simbad", "NGC 1365 SN"), ("cone", (53.40155, -36.14044))]


def test_simbad_is_asked_when_the_tns_position_holds_no_object():
    stand_in = StandIn(tns={"SN 2026xyz": [("SN 2026xyz", 10.0, 20.0)]},
                       simbad={"SN 2026xyz": [("SN 2026xyz", 10.00002, 20.0)]},
                       cones={(10.00002, 20.0): [170000000000000003]})
    assert resolve_name(stand_in, "SN 2026xyz") == [170000000000000003]
    assert stand_in.calls == [("tns", "SN 2026xyz"), ("cone", (10.0, 20.0)), ("simbad", "SN 2026xyz"),
                              ("cone", (10.00002, 20.0))]


def test_tns_wins_when_its_position_holds_an_object():
    stand_in = StandIn(tns={"AT 2026xyz": [("AT 2026xyz", 10.0, 20.0)]}, cones={(10.0, 20.0): [7]})
    assert resolve_name(stand_in, "2026xyz") == [7]
    assert stand_in.calls == [("tns", "SN 2026xyz"), ("tns", "AT 2026xyz"), ("cone", (10.0, 20.0))]


def test_a_longer_tns_name_that_starts_like_the_one_asked_is_not_it():
    # the server's TNS search is a prefix search: asked for "SN 2026ab", it may answer with SN 2026abb only
    stand_in = StandIn(tns={"SN 2026ab": [("SN 2026abb", 1.0, 2.0)]}, cones={(1.0, 2.0): [8]})
    with pytest.raises(NameResolutionError, match="TNS knows no 'SN 2026ab' nor 'AT 2026ab'; SIMBAD does not know"):
        resolve_name(stand_in, "SN 2026ab")
    assert ("cone", (1.0, 2.0)) not in stand_in.calls


def test_a_partial_result_tells_what_the_names_gave(replica, replica_client):
    replica.inject("500", endpoint="fp", ids=[str(OBJECT)])
    with conf.set_temp("max_retries", 0), pytest.raises(IncompleteResultError) as raised:
        replica_client.query_forced_photometry([BQE, OBJECT])
    [identifier] = raised.value.table.meta["resolved_names"][BQE]
    assert raised.value.failed_ids == [str(OBJECT)]
    assert set(raised.value.table["r:diaObjectId"]) == {identifier}
