"""The replica's /api/v1/tags and /api/v1/blocks over HTTP, answering as the real Fink/LSST server does."""
import io

import pandas as pd
import pytest

from astroquery_fink.testing.services import tag_lists as tags

from .replica_http import INTERNAL, assert_error, parquet_frame, post, records

TAGS = "/api/v1/tags"
BLOCKS = "/api/v1/blocks"
TAG_NAMES = ["extragalactic_lt20mag_candidate", "extragalactic_new_candidate", "extragalactic_svom",
             "hostless_candidate", "in_tns", "most_likely_sn", "remove_unlikely_transients",
             "sn_near_galaxy_candidate", "uniform_sample"]
SUPPORTED = ["extragalactic_lt20mag_candidate", "extragalactic_new_candidate", "hostless_candidate", "in_tns",
             "most_likely_sn", "sn_near_galaxy_candidate"]


def tag_query(http, url, tag="in_tns", **extra):
    return post(http, url, TAGS, tag=tag, **extra)


def test_bare_get_lists_the_tags(http, url):
    response = http.get(url + TAGS)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    assert response.content.startswith(b'{"extragalactic_lt20mag_candidate":{"API support":true,"description":'
                                       b'"Select alerts that are rising, bright (mag < 20), and extragalactic '
                                       b'candidates"},')
    assert response.content.endswith(b'"Select 1% of all live alerts in a uniformly random way"}}\n')
    body = response.json()
    assert list(body) == TAG_NAMES
    assert [name for name, info in body.items() if info["API support"]] == SUPPORTED
    assert body["in_tns"]["description"] == ("Select alerts with a known counterpart in TNS (AT or confirmed) at the "
                                             "time of emission by Rubin")


def test_unknown_tag_plain_text(http, url):
    body = ("\n        cataloged is not a valid tag. Here is the list of tags:\n        "
            f"{TAG_NAMES!r}\n        And you can always retrieve available tags at "
            "https://api.lsst.fink-portal.org/api/v1/tags\n        ").encode()
    assert_error(tag_query(http, url, "cataloged"), 400, body)


@pytest.mark.parametrize("tag", ["extragalactic_svom", "remove_unlikely_transients", "uniform_sample"])
def test_tag_without_api_support(http, url, tag):
    body = (f"\n        {tag} is only available from the Livestream service (no API support defined).\n        "
            "And you can always retrieve available tags and their API support at "
            "https://api.lsst.fink-portal.org/api/v1/tags\n        ").encode()
    assert_error(tag_query(http, url, tag), 400, body)


def test_server_tests(http, url):
    assert len(records(tag_query(http, url))) == 10  # default n
    for n in (1, 10, 50):
        assert len(records(tag_query(http, url, n=n))) == n
    two = records(tag_query(http, url, columns="r:midpointMjdTai,r:psfFlux"))
    assert list(two[0]) == ["r:midpointMjdTai", "r:psfFlux"]
    from_json = pd.DataFrame(records(tag_query(http, url)))
    from_csv = pd.read_csv(io.BytesIO(tag_query(http, url, **{"output-format": "csv"}).content), index_col=False)
    from_parquet = parquet_frame(tag_query(http, url, **{"output-format": "parquet"})).reset_index()
    assert from_json["r:diaSourceId"].equals(from_csv["r:diaSourceId"])
    assert from_json["r:diaSourceId"].astype(pd.Int64Dtype()).equals(from_parquet["r:diaSourceId"])


def test_full_rows_are_source_rows(http, url):
    (row,) = records(tag_query(http, url, n=1))
    assert len(row) == 131
    source = records(post(http, url, "/api/v1/sources", diaObjectId=str(row["r:diaObjectId"]),
                          midpointMjdTai=row["r:midpointMjdTai"]))
    assert source == [row]


def test_latest_alerts_in_the_window(http, url):
    everything = records(tag_query(http, url, n=1000, startdate="2025-11-01", columns="r:midpointMjdTai"))
    times = [row["r:midpointMjdTai"] for row in everything]
    assert len(times) >= 60 and times == sorted(times, reverse=True)
    assert min(times) < 61040 and max(times) > 61190  # from 2025-12 to after 2026-06
    window = records(tag_query(http, url, n=3, startdate="2026-01-01", stopdate="2026-02-01",
                               columns="r:midpointMjdTai"))
    inside = [t for t in times if 61041 <= t <= 61072]
    assert [row["r:midpointMjdTai"] for row in window] == inside[:3]  # the 3 most recent of the window
    swapped = records(tag_query(http, url, n=3, startdate="2026-02-01", stopdate="2026-01-01",
                                columns="r:midpointMjdTai"))
    assert swapped == window  # the range scan sorts its bounds
    assert records(tag_query(http, url, stopdate="2019-12-01")) == []


def test_without_time_column_rows_keep_row_key_order(http, url):
    frame = parquet_frame(tag_query(http, url, n=5, columns="r:diaObjectId", **{"output-format": "parquet"}))
    keys = list(frame.index)
    assert keys == sorted(keys)  # oldest of the five first
    latest = records(tag_query(http, url, n=5, columns="r:diaObjectId,r:midpointMjdTai"))
    assert [row["r:diaObjectId"] for row in latest] == [int(key.split("_")[1]) for key in reversed(keys)]


@pytest.mark.parametrize("tag", SUPPORTED)
def test_every_supported_tag_has_alerts(http, url, tag):
    assert len(records(tag_query(http, url, tag, n=5, stopdate="2027-01-01"))) == 5


@pytest.mark.parametrize("extra", [{"startdate": 61000}, {"startdate": "61000"}, {"stopdate": 2461000.5},
                                   {"n": "ten"}, {"columns": ["r:ra"]}])
def test_server_crashes(http, url, extra):
    assert_error(tag_query(http, url, **extra), 500, INTERNAL, "application/json")


def test_blocks(http, url):
    response = http.get(url + BLOCKS)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    body = response.json()
    assert list(body) == sorted(tags.BLOCKS) and len(body) == 15
    assert body["b_is_new"] == "Return alerts for which the underlying object is seen for the first time by Rubin"
    assert response.content.startswith(b'{"b_extragalactic_loose_candidate":"Flag for alerts in Rubin that are '
                                       b'extragalactic candidates",')
    assert response.content.endswith(b'"}\n')
    assert http.get(url + BLOCKS, params={"x": "1"}).content == response.content
