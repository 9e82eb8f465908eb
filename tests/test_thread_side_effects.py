"""Worker threads of a split query leave the process as they found it: astroquery's cache switch above all.

astroquery's ``BaseQuery._request`` sends an uncached request inside
``cache_conf.set_temp("cache_active", False)``: a save, a change and a restore of one process-wide
setting. Several threads doing that at once can restore each other's ``False``, and every astroquery
service of the session then stops caching without a word. These tests run a split query on 4 worker
threads against the session's replica, many times, and look at the switch and at another service.
"""
import warnings

import pytest
from astroquery import cache_conf
from astroquery.exceptions import NoResultsWarning
from astroquery.query import BaseQuery

from astroquery_fink import FinkClass, conf
from astroquery_fink.testing import BIG_FP_OBJECT_ID, REAL_OBJECT_IDS

# 40 requests of one id each: real objects (not the one past the server's row limit), then ids the
# replica has no rows for (cheap answers)
REAL = [identifier for identifier in REAL_OBJECT_IDS if identifier != BIG_FP_OBJECT_ID][:8]
IDS = REAL + [str(300_000_000_000_000_000 + k) for k in range(40 - len(REAL))]
RUNS = 20


class OtherService(BaseQuery):
    """A minimal astroquery service, standing for any other one a session may use (SIMBAD, VizieR...)."""

    def ask(self, url):
        # cache=None: the global switch decides, as for most astroquery services' defaults
        return self._request("GET", url, cache=None)


@pytest.fixture
def split_query(replica, tmp_path, monkeypatch):
    """Run the id query as one-id requests on 4 worker threads (uncached: the Fink client's default)."""
    client = FinkClass(server=replica.url)
    client.cache_location = tmp_path / "fink-cache"
    monkeypatch.setattr(conf, "max_ids_per_request", 1)
    monkeypatch.setattr(conf, "max_workers", 4)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoResultsWarning)  # the padding ids have no rows
            return client.query_forced_photometry(IDS, columns="r:psfFlux", verbose=False)

    return run


@pytest.mark.parametrize("run", range(RUNS))
def test_a_split_query_leaves_the_cache_switch_alone(replica, split_query, run):
    with cache_conf.set_temp("cache_active", True):
        table = split_query()
        assert cache_conf.cache_active is True
    # the query did run on several threads, one request per id
    fp_requests = [entry for entry in replica.requests if entry["path"] == "/api/v1/fp"]
    assert len(fp_requests) == len(IDS)
    assert len(table) > 0


@pytest.mark.parametrize("run", range(RUNS))
def test_another_service_still_caches_after_a_split_query(replica, split_query, tmp_path, run):
    other = OtherService()
    other.cache_location = tmp_path / "other-cache"
    with cache_conf.set_temp("cache_active", True):
        split_query()
        answer = other.ask(replica.url + "/api/v1/tags")
    assert answer.status_code == 200
    assert len(list(other.cache_location.glob("*.pickle"))) == 1


def test_the_switch_off_is_still_obeyed(replica, split_query, tmp_path):
    # what the global switch means is unchanged: switched off, the other service caches nothing
    other = OtherService()
    other.cache_location = tmp_path / "other-cache"
    with cache_conf.set_temp("cache_active", False):
        split_query()
        assert cache_conf.cache_active is False
        other.ask(replica.url + "/api/v1/tags")
    assert not list(other.cache_location.glob("*.pickle"))


def test_decoding_in_worker_threads_leaves_the_warning_filters_alone(replica):
    # Worker threads decode their answers. An answer the fast VOTable reader declines (here: a
    # DOCTYPE) is read by astropy inside warnings.catch_warnings, which saves and restores the
    # process's warning filters and showwarning: threads doing it at once can leave a dead
    # recorder in place, and every later warning of the session is then lost.
    import threading

    import requests

    from astroquery_fink.columns import column_kinds
    from astroquery_fink.decode import decode_table

    answer = requests.post(f"{replica.url}/api/v1/fp", json={"diaObjectId": REAL[0], "output-format": "votable"},
                           timeout=60).content
    declaration_end = answer.index(b"?>") + 2
    declined = answer[:declaration_end] + b"\n<!DOCTYPE VOTABLE>" + answer[declaration_end:]

    def decode_a_few():
        for _ in range(5):
            decode_table(declined, "votable", column_kinds("fp"), content_type="text/xml")

    changed = 0
    for _ in range(RUNS):
        with warnings.catch_warnings():  # in this thread: puts the state back for the next run and tests
            show, filters = warnings.showwarning, list(warnings.filters)
            threads = [threading.Thread(target=decode_a_few) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            changed += warnings.showwarning is not show or warnings.filters != filters
    assert changed == 0, f"the warning state was left changed after {changed} of {RUNS} runs"
