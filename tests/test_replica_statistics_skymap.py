"""The replica's /api/v1/statistics and /api/v1/skymap over HTTP, answering as the real Fink/LSST server does."""
import gzip
import io

import pytest
from astropy.io import fits
from astropy.time import Time

from astroquery_fink.testing import Dataset, create_app
from astroquery_fink.testing.dataset import TABLES, default_dataset
from astroquery_fink.testing.services import gracedb as skymap

from .replica_http import INTERNAL, assert_error, post, records

STATS = "/api/v1/statistics"
SKY = "/api/v1/skymap"
STAT_COLUMNS = [
    "f:alerts", "f:alerts_g", "f:alerts_i", "f:alerts_r", "f:alerts_u", "f:alerts_y", "f:alerts_z",
    "f:fink_broker_version", "f:fink_science_version", "f:glint_trail", "f:in_tns", "f:isDipole", "f:is_cataloged",
    "f:is_first", "f:is_sso", "f:lsst_schema_version", "f:objects", "f:pixelFlags_cr", "f:pixelFlags_saturated",
    "f:pixelFlags_streak", "f:visits", "f:night",
]
IN_90 = [170587115523932323, 170588203947162415]  # the objects in the 90% region of the test map


def stats(http, url, date, **extra):
    return post(http, url, STATS, date=date, **extra)


def test_statistics_server_tests(http, url):
    assert len(records(stats(http, url, "2025"))) == 37
    (night,) = records(stats(http, url, "20251102"))
    assert list(night) == STAT_COLUMNS
    assert night["f:alerts"] == "1348" and night["f:night"] == "20251102"  # strings: no type restoration
    rows = records(stats(http, url, "2025", columns="f:night,f:alerts"))
    assert list(rows[0]) == ["f:alerts", "f:night"]


def test_statistics_prefixes(http, url):
    nights = [row["f:night"] for row in records(stats(http, url, "", columns="f:night"))]
    assert nights == sorted(nights) and nights[0] == "20250906" and "20260129" in nights
    assert len(records(stats(http, url, 2026))) == len([n for n in nights if n.startswith("2026")])  # JSON number
    assert [row["f:night"] for row in records(stats(http, url, "202511", columns="f:night"))] == [
        n for n in nights if n.startswith("202511")]
    assert records(stats(http, url, "20241104")) == []
    assert stats(http, url, "1999", **{"output-format": "csv"}).content == b"\n"


def test_statistics_columns(http, url):
    # f:night is always there (the row key); unknown names are dropped; no valid name: only the night
    assert list(records(stats(http, url, "20251102", columns="f:alerts"))[0]) == ["f:alerts", "f:night"]
    assert records(stats(http, url, "20251102", columns="f:night")) == [{"f:night": "20251102"}]
    assert records(stats(http, url, "20251102", columns="f:nope")) == []
    assert records(stats(http, url, "20251102", columns="x:alerts")) == []  # unknown family


def test_statistics_nul_values_become_zero():
    # a counter stored as raw zero bytes (fink-science-portal issue 579) reads as the integer 0
    data = default_dataset()
    tables = dict(data.tables)
    tables[TABLES["statistics"]] = tables[TABLES["statistics"]].copy()
    tables[TABLES["statistics"]].loc["20250906", "f:glint_trail"] = "\x00\x00\x00\x00"
    app = create_app(Dataset(tables=tables, schemas=data.schemas))
    app.logger.disabled = True
    client = app.test_client()
    text = client.post(STATS, json={"date": "20250906"}).get_data(as_text=True)
    assert '"f:glint_trail":0,' in text and '"f:alerts":"' in text  # an integer among strings
    # a column mixing integers and strings cannot become Arrow: parquet is a 500
    assert client.post(STATS, json={"date": "2025", "output-format": "parquet"}).status_code == 500


def test_statistics_formats(http, url):
    lines = stats(http, url, "2025", **{"output-format": "csv"}).text.splitlines()
    assert lines[0].split(",") == STAT_COLUMNS and len(lines) == 38
    for fmt in ("votable", "parquet"):
        assert stats(http, url, "2025", **{"output-format": fmt}).status_code == 200


def sky(http, url, **payload):
    return post(http, url, SKY, **payload)


def test_skymap_event(http, url):
    rows = records(sky(http, url, event_name=skymap.EVENT_NAME, credible_level=0.9))
    assert sorted(row["r:diaObjectId"] for row in rows) == IN_90
    expected = Time(skymap.DATE_OBS, scale="utc").tai.mjd
    assert all(row["v:startgwMjdTai"] == pytest.approx(expected, abs=1e-9) for row in rows)
    assert 60991.638 < expected < 60991.639
    assert list(rows[0])[-1] == "v:startgwMjdTai" and "f:pixel1024" in rows[0]
    assert records(sky(http, url, event_name=skymap.EVENT_NAME, credible_level="0.1")) == []  # server test


def test_skymap_uploaded_map(http, url):
    data = skymap.bayestar_bytes()
    by_event = sky(http, url, event_name=skymap.EVENT_NAME, credible_level=0.9)
    uploaded = sky(http, url, bayestar=str(data), credible_level=0.9, n_day_before=1, n_day_after=6)
    assert uploaded.content == by_event.content
    assert records(sky(http, url, bayestar=str(data), credible_level=0.1)) == []
    with fits.open(io.BytesIO(gzip.decompress(data))) as hdul:
        header = hdul[1].header
        assert (header["ORDERING"], header["NSIDE"], header["DATE-OBS"]) == ("NESTED", 64, skymap.DATE_OBS)
        assert hdul[1].data["PROB"].sum() == pytest.approx(1.0)


def test_skymap_unknown_event(http, url):
    response = sky(http, url, event_name="S000000xx", credible_level=0.9)
    assert records(response) == [{"status": '{"detail":"Not found."}'}]


@pytest.mark.parametrize("payload", [
    {"credible_level": 0.9},  # neither bayestar nor event_name
    {"file": "b'\\x1f\\x8b'", "credible_level": 0.9},  # the documented key is not read
    {"bayestar": "b'not gzip'", "credible_level": 0.9},
    {"bayestar": "__import__('os')", "credible_level": 0.9},  # never evaluated as code
    {"event_name": skymap.EVENT_NAME, "credible_level": "high"},
])
def test_skymap_server_crashes(http, url, payload):
    assert_error(sky(http, url, **payload), 500, INTERNAL, "application/json")


def test_skymap_missing_level(http, url):
    body = (b"{'status': 'error', 'text': 'A value for `credible_level` is required. "
            b"See https://api.ztf.fink-portal.org \\n'}")
    assert_error(sky(http, url, event_name=skymap.EVENT_NAME), 400, body)
