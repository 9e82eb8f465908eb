"""
The replica builds its tables on first use: it serves the same bytes as the eager build did.

Two oracles, neither of them the code under test:

* ``RECORDED_TABLES`` and ``RECORDED_ANSWERS``: digests of every table and of the answers to
  ``REQUESTS`` taken from the eager build of commit 87470f5 (the code before issue #11) with
  ``python tests/test_replica_lazy.py`` run from a checkout of that commit (``PYTHONPATH`` set to it);
* a full build (every table made at once, in the dataset's order) against tables first used one
  by one, in other orders.
"""

import hashlib
import json
import sys

import pandas as pd
import pytest
import requests

from astroquery_fink.testing import SPEC_SOURCE_IDS
from astroquery_fink.testing.dataset import DEMO_OBJECT_ID, Dataset, generate_dataset
from astroquery_fink.testing.server import FinkReplica, create_app

# one request per route, which between them read every table of the dataset
REQUESTS = (
    ("POST", "/api/v1/fp", {"diaObjectId": DEMO_OBJECT_ID, "output-format": "votable"}),
    ("POST", "/api/v1/sources", {"diaObjectId": "314003014107006318"}),
    ("POST", "/api/v1/objects", {"diaObjectId": f"{DEMO_OBJECT_ID},314003014107006318", "output-format": "csv"}),
    ("POST", "/api/v1/conesearch", {"ra": 53.2514, "dec": -27.861, "radius": 20}),
    ("POST", "/api/v1/cutouts", {"diaSourceId": SPEC_SOURCE_IDS[0], "kind": "Science", "output-format": "array"}),
    ("POST", "/api/v1/cutouts", {"diaSourceId": SPEC_SOURCE_IDS[1], "kind": "Difference", "output-format": "FITS"}),
    ("GET", "/api/v1/schema", {"endpoint": "/api/v1/fp"}),
    ("POST", "/api/v1/sso", {"n_or_d": "2015 BC557", "withEphem": True}),
    ("POST", "/api/v1/resolver", {"resolver": "tns", "name_or_id": "SN 2026dhm"}),
    ("POST", "/api/v1/resolver", {"resolver": "tns", "name_or_id": "313888627082919999", "reverse": True}),
    ("POST", "/api/v1/resolver", {"resolver": "simbad", "name_or_id": "314003014107006318", "reverse": True}),
    ("POST", "/api/v1/resolver", {"resolver": "ssodnet", "name_or_id": "21164728071239491", "reverse": True}),
    ("POST", "/api/v1/skymap", {"event_name": "S251112cm", "credible_level": 0.9}),
    ("POST", "/api/v1/statistics", {"date": "2025", "output-format": "csv"}),
    ("POST", "/api/v1/tags", {"tag": "in_tns", "n": 50}),
    ("POST", "/api/v1/tags", {"tag": "most_likely_sn", "n": 10, "output-format": "parquet"}),
    ("GET", "/api/v1/blocks", None),
)


def table_digest(frame):
    """SHA-256 of a frame's index, column names, dtypes and the repr of every cell (NaN, None and NA differ)."""
    digest = hashlib.sha256()
    digest.update(repr([list(frame.index), list(frame.columns), [str(t) for t in frame.dtypes]]).encode())
    for name in frame.columns:
        digest.update(repr(frame[name].astype(object).tolist()).encode())
    return digest.hexdigest()


def answer(client, method, path, payload):
    """(status, content type, SHA-256 of the body) of one request to a Flask test client."""
    if method == "GET":
        response = client.get(path, query_string=payload)
    else:
        response = client.post(path, json=payload)
    return response.status_code, response.headers["Content-Type"], hashlib.sha256(response.data).hexdigest()


def answers(dataset, requests=REQUESTS):
    """The `answer` to each request, in order, from a replica app serving ``dataset``."""
    app = create_app(dataset)
    app.logger.disabled = True
    client = app.test_client()
    return [answer(client, method, path, payload) for method, path, payload in requests]


# recorded from commit 87470f5 (see the module docstring)
RECORDED_TABLES = {
    "rubin.diaSource_static":
        "196e301091bc8a7bfc007894c8039c218f6ef026b6cdf6fcdb13250d2bc197b5",
    "rubin.fp":
        "3adf65baa190d6f41e93faf1d01307157b1bd9d5963b611f0b7ae434cfde9958",
    "rubin.diaObject":
        "e038f6dd7cd52cf968f22261e9dbf7719071fe7da46847b033442fabfcb96a07",
    "rubin.pixel1024":
        "98671432357ecb788c0d80c4a4d19762ef312f905cf6389a5014140c715c9892",
    "rubin.tag_in_tns":
        "879b31b6daa0880adfe8b6fb62dd1d05ded6056c517fda3a81dd858b34a3ebf6",
    "rubin.tag_most_likely_sn":
        "449be385fca287fbe00979912ab31b8bf3a7bebb0f7a42b4f4c0e1d60198eb85",
    "rubin.tag_sn_near_galaxy_candidate":
        "dfbfc0c94b858bd534e0a8b7b9168a5b86e5799b67e531f252fa930f3a2235a5",
    "rubin.tag_extragalactic_lt20mag_candidate":
        "5641d5735116127f685aeee5623cafd270781ba80b8c8ff697d64ca22beee2a2",
    "rubin.tag_extragalactic_new_candidate":
        "45637ba577d477877a879aa5f85083c8f2f0c619c74ddb563122acb3f66a9cfe",
    "rubin.tag_hostless_candidate":
        "c1d44c77de91e76d9f49af525291516d9df1974659f860cacf0e5f8d054b15b7",
    "rubin.diaSource_sso":
        "b948831634fe6c8bf3ef177425feebe6debbffa0954f524f58068c40704a62bb",
    "rubin.sso_resolver":
        "e640ab64d00aaf20dff233648ea60734ccf73d7da314e3e07f14a1c0e2e3a5c8",
    "rubin.cutouts":
        "a29c45c13132a3b4a42560a0ae9e73d0acdf1bd0e7829775296acf4b29528f82",
    "rubin.tns_resolver":
        "6e606318b025813dbe60789a69e212828c3c0dae9e3ff794f3d52177fc745f08",
    "rubin.statistics":
        "54542daa289f7a23ebd8ce87513d3ab60760fa669b23c8061a3f510bdc181b6a",
}
# status, content type and body digest of each of REQUESTS, in order
RECORDED_ANSWERS = [
    (200, "text/xml", "b8b3da7bc127e00a10d7791f0cc2f014cb7388dfed347bcedf58824eaa9ac437"),
    (200, "application/json", "e10fb35fa475c9d984b34621627ed82959e559fbab65256b7dd4585b86cbd48b"),
    (200, "application/csv", "d090d9dfd7b613f8ace651a66fdb59c085b1d52e0de61487fd1ca1fd5eb3935a"),
    (200, "application/json", "f8341abf7048b2cd7ff03d5391e1fc7f7c6399e77dd3b4791cfff58d48613390"),
    (200, "application/json", "53a5383294311df9ee88b0a514fecce85a71a7e7733558ebb4976be995dbb066"),
    (200, "application/octet-stream", "194d6d537f25d5fd5b210ce568df3d0141a94dc619b3b977f6a744c0237b19f8"),
    (200, "application/json", "0d0fb15d7b8d55e4ecc37f0c723e69cc0cede87a724d1b2c4914cf7e3f3e01d5"),
    (200, "application/json", "dd1f7a36e4fbc9c8806d5f13b03ae35f5ee259c9bc9131b5eafe070a61ca8492"),
    (200, "application/json", "323e68b2c80f7789e9c0ff489650b87e1342b08f47b8e75b197fb424276eb6cd"),
    (200, "application/json", "71e6467dfb05f69e5392036b16ea78a66466baafe3086c31a106193833e298ad"),
    (200, "application/json", "0411c46b639b01c60a43c645f9b3b18e4dd2fa12340b8131d50964f3369845e0"),
    (200, "application/json", "f7119e45345bec23c31c8674aaf4b1c994298b7fdcbd55120a4379ebaf4d3a66"),
    (200, "application/json", "06acdf0fac0d64e39ad3fcbcff8ac82f96c8f0ba562458a456ed58cde71c0720"),
    (200, "application/csv", "7a3cc1c3b22407455c502aa2cb04e1572a4f1f97f8b1fbde0b0249ef47241a6a"),
    (200, "application/json", "9880a412a7bdf40e3986dc9a02d5b2575c5dadbac52c80b01336daf8b4b3c7d0"),
    (200, "parquet", "c631a80f017e7dfed5e040ec82c7190a278315b939779d51caaf0429c4d10015"),
    (200, "application/json", "494c322afb066bfbc7a8fcd19ce44e74f564a489e9ec9a8b4cdc63791c4ae5a2"),
]


@pytest.mark.parametrize("name", list(RECORDED_TABLES))
def test_a_table_used_first_is_as_recorded(name):
    # a fresh dataset whose first use is this table: what it depends on is built on the way
    dataset = generate_dataset()
    assert table_digest(dataset.tables[name]) == RECORDED_TABLES[name]


def test_every_table_as_recorded_in_the_recorded_order():
    dataset = generate_dataset()
    assert list(dataset.tables) == list(RECORDED_TABLES)
    assert {name: table_digest(frame) for name, frame in dataset.tables.items()} == RECORDED_TABLES


@pytest.mark.parametrize("order", [1, -1], ids=["routes in order", "routes reversed"])
def test_answers_as_recorded(order):
    # each run starts from a fresh dataset, so the first request builds its tables
    got = answers(generate_dataset(), REQUESTS[::order])
    assert got[::order] == RECORDED_ANSWERS


def test_a_replica_makes_only_the_tables_its_requests_read():
    dataset = generate_dataset()
    with FinkReplica(dataset=dataset) as url:
        assert dataset.tables.made() == []
        response = requests.post(url + "/api/v1/fp", json={"diaObjectId": DEMO_OBJECT_ID})
        assert response.status_code == 200 and len(response.json()) == 36
        assert dataset.tables.made() == ["rubin.fp"]
        requests.post(url + "/api/v1/conesearch", json={"ra": 53.2514, "dec": -27.861, "radius": 20})
    # the pixel table is derived from the sources and the objects, made on the way
    assert dataset.tables.made() == ["rubin.diaSource_static", "rubin.fp", "rubin.diaObject", "rubin.pixel1024"]


def test_preload_makes_every_table():
    dataset = generate_dataset()
    replica = FinkReplica(dataset=dataset)
    assert replica.preload() is replica
    assert dataset.tables.made() == list(dataset.tables) == list(RECORDED_TABLES)


def test_a_full_build_serves_what_tables_made_on_first_use_serve():
    full = generate_dataset()
    eager = Dataset(tables=dict(full.tables), schemas=dict(full.schemas))  # plain dicts, every table made
    assert answers(generate_dataset(), REQUESTS[::-1])[::-1] == answers(eager)


def test_tables_used_one_by_one_equal_a_full_build():
    full = generate_dataset()
    built = dict(full.tables)  # every table, in the dataset's order
    lazy = generate_dataset()
    for name in reversed(list(built)):
        pd.testing.assert_frame_equal(lazy.tables[name], built[name], check_exact=True)
        assert lazy.schemas[name] == full.schemas[name]


if __name__ == "__main__":
    # print the digests of the checkout on PYTHONPATH, to paste into RECORDED_TABLES and RECORDED_ANSWERS
    from astroquery_fink.testing.dataset import default_dataset

    data = default_dataset()
    json.dump({"tables": {name: table_digest(frame) for name, frame in data.tables.items()},
               "answers": dict(zip([f"{m} {p} {json.dumps(q)}" for m, p, q in REQUESTS], answers(data), strict=True))},
              sys.stdout, indent=1)
