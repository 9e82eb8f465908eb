"""The bulk-use warning: an id call above ``conf.bulk_ids_warning`` ids says so once, and points to Data Transfer.

Driven by the session's replica; the number of requests the warning announces is checked against
the replica's request log, not against the client's own arithmetic.
"""
import re
import warnings

import pytest

from astroquery_fink import Conf, conf
from astroquery_fink.cli import EXIT_OK, main
from astroquery_fink.exceptions import BulkQueryWarning
from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS

REAL = [i for i in REAL_OBJECT_IDS if i != BIG_FP_OBJECT_ID][:5]
ID_ROUTES = ("/api/v1/objects", "/api/v1/sources", "/api/v1/fp")


@pytest.fixture(autouse=True)
def settings():
    # 5 ids in requests of 2: 3 requests per query, a threshold of 4 is crossed
    with conf.set_temp("max_retries", 0), conf.set_temp("max_ids_per_request", 2), conf.set_temp("max_workers", 1), \
            conf.set_temp("bulk_ids_warning", 4):
        yield


@pytest.fixture
def fink(replica_client):
    return replica_client


def bulk_warnings(call):
    """Run ``call``; the BulkQueryWarnings it gave (every one, even repeated from one line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [item for item in caught if issubclass(item.category, BulkQueryWarning)]


def id_requests(replica):
    return [entry for entry in replica.requests if entry["path"] in ID_ROUTES]


def announced_requests(message):
    return int(re.search(r"sends (\d+) requests", message).group(1))


@pytest.mark.parametrize("method", ["query_object", "query_sources", "query_forced_photometry"])
def test_one_warning_above_the_threshold_with_the_requests_it_takes(fink, replica, method):
    replica.clear_requests()
    caught = bulk_warnings(lambda: getattr(fink, method)(REAL, columns="r:diaObjectId", verbose=False))
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("5 ids (more than conf.bulk_ids_warning=4)")
    assert announced_requests(message) == len(id_requests(replica)) == 3
    assert "Data Transfer" in message and "https://lsst.fink-portal.org/download" in message
    assert "finkctl transfer -survey lsst -topic" in message
    assert "columns=" in message and "conf.bulk_ids_warning = 0" in message


@pytest.mark.parametrize("threshold", [5, 6])
def test_no_warning_at_or_below_the_threshold(fink, threshold):
    with conf.set_temp("bulk_ids_warning", threshold):
        assert bulk_warnings(lambda: fink.query_object(REAL, columns="r:diaObjectId", verbose=False)) == []


def test_zero_turns_it_off(fink):
    with conf.set_temp("bulk_ids_warning", 0):
        assert bulk_warnings(lambda: fink.query_object(REAL, columns="r:diaObjectId", verbose=False)) == []


def test_duplicate_ids_count_once(fink):
    """The ids sent are counted, not the ids given: the client sends each id once."""
    assert bulk_warnings(lambda: fink.query_object(REAL[:4] * 3, columns="r:diaObjectId", verbose=False)) == []


@pytest.mark.parametrize("forced, queries", [(True, 2), (False, 1)])
def test_once_for_a_light_curve_of_several_queries(fink, replica, forced, queries):
    replica.clear_requests()
    caught = bulk_warnings(lambda: fink.get_lightcurve(REAL, forced=forced, verbose=False))
    assert len(caught) == 1
    assert announced_requests(str(caught[0].message)) == len(id_requests(replica)) == 3 * queries


def test_once_for_a_summary(fink, replica):
    replica.clear_requests()
    caught = bulk_warnings(lambda: fink.summarize(REAL, verbose=False))
    assert len(caught) == 1
    assert announced_requests(str(caught[0].message)) == len(id_requests(replica)) == 9  # sources, fp, objects


def test_get_query_payload_sends_nothing_and_does_not_warn(fink):
    assert bulk_warnings(lambda: fink.query_object(REAL, get_query_payload=True)) == []


def test_the_default_threshold_is_hundreds(fink, replica):
    """At the shipped setting, 500 ids pass quietly and 501 warn (ids the replica does not know: empty answers)."""
    ids = [str(300_000_000_000_000_000 + k) for k in range(501)]
    shipped = Conf.bulk_ids_warning.defaultvalue
    assert shipped == 500
    with conf.set_temp("max_ids_per_request", 100), conf.set_temp("bulk_ids_warning", shipped):
        assert bulk_warnings(lambda: fink.query_object(ids[:500], columns="r:diaObjectId", verbose=False,
                                                       output_format="csv")) == []
        replica.clear_requests()
        caught = bulk_warnings(lambda: fink.query_object(ids, columns="r:diaObjectId", verbose=False,
                                                         output_format="csv"))
    assert len(caught) == 1 and str(caught[0].message).startswith("501 ids")
    assert announced_requests(str(caught[0].message)) == len(id_requests(replica)) == 6


def test_the_warning_points_at_the_callers_line(fink):
    caught = bulk_warnings(lambda: fink.get_lightcurve(REAL, verbose=False))
    assert caught[0].filename == __file__


def test_an_error_filter_stops_the_call_before_any_request(fink, replica):
    replica.clear_requests()
    with warnings.catch_warnings():
        warnings.simplefilter("error", BulkQueryWarning)
        with pytest.raises(BulkQueryWarning):
            fink.query_forced_photometry(REAL, verbose=False)
    assert id_requests(replica) == []


def test_the_command_line_shows_one_warning_line(fink_replica, capsys):
    assert main(["fp", *REAL, "--columns", "r:psfFlux", "--server", fink_replica, "-q"]) == EXIT_OK
    lines = [line for line in capsys.readouterr().err.splitlines() if "bulk_ids_warning" in line]
    assert len(lines) == 1
    assert lines[0].startswith("fink-query: warning: 5 ids (more than conf.bulk_ids_warning=4)")
    assert "https://lsst.fink-portal.org/download" in lines[0]


def test_one_request_is_said_in_the_singular(fink, replica):
    replica.clear_requests()
    with conf.set_temp("bulk_ids_warning", 2), conf.set_temp("max_ids_per_request", 100):
        caught = bulk_warnings(lambda: fink.query_object(REAL[:3], columns="r:diaObjectId", verbose=False))
    assert len(id_requests(replica)) == 1
    assert "this call sends 1 request of at most 100 ids" in str(caught[0].message)
