"""The first calls a user types, with their defaults (VOTable), against the replica in both pandas
flavours of the server: each returns the right rows, none lost, in the documented order.

The replica crashes where the server does (VOTable writes of null booleans, pandas-2 null
columns), sends rows in Java HashMap order, and drops rows whose selected cells are all null.
The oracle is the server's own JSON answer to the same query, read with `requests` and `json`
only, never through the client's decoders.
"""
import warnings

import numpy as np
import pytest
import requests
from astropy import units as u
from astropy.coordinates import SkyCoord

from astroquery_fink import FinkClass
from astroquery_fink.testing import REAL_OBJECT_IDS

# in an order that differs from the server's (HashMap) order of their storage keys
IDS = [313761043604045880, 313699514821640259, 314003014107006318, 170261592629837872]
DEMO = 313761043604045880
CENTRE = SkyCoord(53.2514, -27.861, unit="deg")


@pytest.fixture(params=[3, 2], ids=["pandas3", "pandas2"])
def url(request):
    return request.getfixturevalue("fink_replica" if request.param == 3 else "fink_replica_pandas2")


@pytest.fixture
def fink(url):
    return FinkClass(server=url)


def server_json(url, endpoint, **payload):
    """The server's JSON rows for a query, decoded by the standard library alone."""
    response = requests.post(f"{url}/api/v1/{endpoint}", json={**payload, "output-format": "json"}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def quietly(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MaxResultsWarning for a full tag list; tested elsewhere
        return call(*args, **kwargs)


def test_the_server_order_is_not_the_given_order(url):
    # without a time column the server does not keep the order of the ids: the tests below mean something
    rows = server_json(url, "objects", diaObjectId=",".join(map(str, IDS)), columns="r:diaObjectId")
    assert sorted(row["r:diaObjectId"] for row in rows) == sorted(IDS)
    assert [row["r:diaObjectId"] for row in rows] != IDS


def test_query_object(fink, url):
    table = fink.query_object(IDS)
    assert table["r:diaObjectId"].tolist() == IDS
    served = server_json(url, "objects", diaObjectId=str(IDS[0]))[0]
    assert set(table.colnames) == set(served) - {"r:salt"}  # the storage key prefix is left out


@pytest.mark.parametrize("method, endpoint, own_id", [
    ("query_sources", "sources", "r:diaSourceId"),
    ("query_forced_photometry", "fp", "r:diaForcedSourceId"),
])
def test_id_queries_lose_no_row_and_sort_newest_first(fink, url, method, endpoint, own_id):
    table = getattr(fink, method)(IDS)
    expected = server_json(url, endpoint, diaObjectId=",".join(map(str, IDS)), columns=f"{own_id},r:diaObjectId")
    assert sorted(table[own_id].tolist()) == sorted(row[own_id] for row in expected)
    times = np.asarray(table["r:midpointMjdTai"])
    assert np.all(np.diff(times) <= 0)
    assert set(table["r:diaObjectId"].tolist()) == set(IDS)


def test_a_selection_keeps_rows_whose_cells_are_null(fink, url):
    everything = server_json(url, "fp", diaObjectId=str(DEMO), columns="r:diaForcedSourceId")
    alone = server_json(url, "fp", diaObjectId=str(DEMO), columns="r:psfFlux")
    assert len(alone) < len(everything)  # the server drops the row without a flux
    table = fink.query_forced_photometry(DEMO, columns="r:psfFlux")
    assert len(table) == len(everything)
    assert int(np.sum(np.ma.getmaskarray(table["r:psfFlux"]))) == len(everything) - len(alone)
    assert table["r:diaObjectId"].tolist() == [DEMO] * len(everything)


def test_query_tags(fink, url):
    table = quietly(fink.query_tags, "in_tns")
    expected = server_json(url, "tags", tag="in_tns", n=10, columns="r:diaSourceId")
    assert sorted(table["r:diaSourceId"].tolist()) == sorted(row["r:diaSourceId"] for row in expected)
    assert np.all(np.diff(np.asarray(table["r:midpointMjdTai"])) <= 0)


def test_query_region(fink, url):
    table = fink.query_region(CENTRE, 10 * u.arcsec)
    expected = server_json(url, "conesearch", ra=53.2514, dec=-27.861, radius=10)
    assert sorted(table["r:diaObjectId"].tolist()) == sorted(row["r:diaObjectId"] for row in expected)
    assert len(table) > 0 and np.all(np.diff(np.asarray(table["v:separation_arcsec"])) >= 0)


def test_get_lightcurve(fink, url):
    ids = [DEMO, int(REAL_OBJECT_IDS[1])]
    lc = fink.get_lightcurve(ids)
    joined = ",".join(map(str, ids))
    detections = server_json(url, "sources", diaObjectId=joined, columns="r:diaSourceId")
    forced = server_json(url, "fp", diaObjectId=joined, columns="r:diaForcedSourceId")
    assert np.sum(lc["kind"] == "detection") == len(detections)
    assert np.sum(lc["kind"] == "forced") == len(forced)
    assert np.all(np.diff(lc["time"].mjd) >= 0)  # oldest first
