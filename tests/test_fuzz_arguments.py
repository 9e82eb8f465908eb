"""Any argument value, valid or not, given to any public method: the answer is a payload or a
clear refusal (astroquery's `InvalidQueryError`, or a `ValueError`/`TypeError` saying what is
wrong), and never a request. The network is replaced by a recorder that fails the test on any
request (tests/recorded.py), and every method is asked for its payload only.
"""
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from astroquery.exceptions import InvalidQueryError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astroquery_fink import FinkClass

# values of every shape a caller might pass by mistake (or on purpose)
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=25),
    st.binary(max_size=8),
    st.lists(st.one_of(st.integers(min_value=-(2**65), max_value=2**65), st.text(max_size=6)), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from([np.int64(313761043604045880), np.float64(1.5), np.array([1, 2]), np.ma.masked,
                     1 * u.arcsec, -3 * u.deg, 5 * u.m, Time("2026-01-01"), SkyCoord(1, 2, unit="deg"),
                     object(), float("nan"), "313761043604045880", "r:psfFlux", "in_tns", "tns", "Science"]),
)

# a valid call of each method; the fuzzed argument replaces one of these values
VALID = {
    "query_object": {"dia_object_id": 313761043604045880},
    "query_sources": {"dia_object_id": 313761043604045880, "midpoint_mjd_tai": None, "columns": None,
                      "output_format": "votable"},
    "query_forced_photometry": {"dia_object_id": 313761043604045880, "columns": None, "output_format": "csv"},
    "get_schema": {"endpoint": "fp"},
    "query_region": {"coordinates": SkyCoord(53.2514, -27.861, unit="deg"), "radius": 10 * u.arcsec, "n": None,
                     "start_time": None, "stop_time": None, "window": None, "columns": None},
    "query_tags": {"tag": "in_tns", "n": None, "start_time": None, "stop_time": None, "columns": None},
    "query_sso": {"name_or_number": "2015 BC557", "with_ephemerides": False, "columns": None},
    "resolve": {"name": "SN 2022and", "resolver": "tns", "reverse": False, "nmax": None},
    "get_cutouts": {"dia_source_id": 170424319673368579, "kind": "Science", "output_format": "FITS",
                    "stretch": None, "colormap": None},
    "query_statistics": {"date": "20251102", "columns": None},
    "query_skymap": {"event_name": "S251112cm", "credible_level": 0.9},
}
CASES = [(method, argument) for method, arguments in VALID.items() for argument in arguments]


@pytest.mark.parametrize("method, argument", CASES, ids=[f"{m}-{a}" for m, a in CASES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=ANY_VALUE)
def test_any_argument_gives_a_payload_or_a_clear_refusal(server, method, argument, value):
    fink = FinkClass(server="https://fink.example.org")
    arguments = {**VALID[method], argument: value}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. an AstropyWarning about a Time given as text
        try:
            payload = getattr(fink, method)(**arguments, get_query_payload=True)
        except (InvalidQueryError, ValueError, TypeError) as error:
            message = str(error)
            # a refusal that says what is wrong, not an internal error's few words
            assert len(message) > 20, repr(error)
        else:
            if isinstance(payload, list):  # names among the ids: the resolver requests they would send first
                assert argument == "dia_object_id" and payload
                assert all(request["resolver"] in ("tns", "simbad") for request in payload)
            else:
                assert isinstance(payload, dict)
    assert server.calls == []  # nothing reached the network
