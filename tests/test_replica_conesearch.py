"""The replica's /api/v1/conesearch over HTTP, answering as the real Fink/LSST server does, with positions
and ids taken from Fink's documentation, server tests and issues."""
import io
import re

import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy.io import votable

from .replica_http import INTERNAL, assert_error, parquet_frame, post, python_dict_error, records

CONE = "/api/v1/conesearch"
RA0, DEC0 = 53.2514, -27.861
NEAR, SEVEN = 314003014107006318, 170043582149071227  # 1.4" and 7" from (RA0, DEC0)
ISSUE_1213 = 170587115523932323


def cone(http, url, ra=RA0, dec=DEC0, radius=10, **extra):
    return post(http, url, CONE, ra=ra, dec=dec, radius=radius, **extra)


def ids(response):
    return [row["r:diaObjectId"] for row in records(response)]


def test_server_tests_radius(http, url):
    rows = records(cone(http, url, radius=5))
    assert [row["r:diaObjectId"] for row in rows] == [NEAR]
    assert rows[0]["v:separation_degree"] * 3600 <= 5
    assert ids(cone(http, url, radius=10)) == [NEAR, SEVEN]  # nearest first


def test_server_tests_dates(http, url):
    assert ids(cone(http, url, startdate="2026-01-10 10:00:00")) == [NEAR]
    window = cone(http, url, startdate="2026-01-07 10:00:00", window="2")
    stop = cone(http, url, startdate="2026-01-07 10:00:00", stopdate="2026-01-09 10:00:00")
    assert ids(window) == [SEVEN]
    assert window.content == stop.content
    # JD and MJD numbers are dates too (isoify_time)
    assert ids(cone(http, url, startdate=2461050.9166667)) == [NEAR]
    assert ids(cone(http, url, startdate="61050.4166667")) == [NEAR]
    assert ids(cone(http, url, stopdate="2026-01-09 10:00:00")) == [SEVEN]  # stopdate alone works
    assert ids(cone(http, url, window=2)) == [NEAR, SEVEN]  # window needs startdate


def test_server_tests_columns(http, url):
    rows = records(cone(http, url, radius=5, columns="r:diaObjectId"))
    assert list(rows[0]) == ["r:dec", "r:diaObjectId", "r:midpointMjdTai", "r:ra", "v:separation_degree"]


def test_sexagesimal_spellings(http, url):
    reference = ids(cone(http, url, columns="r:diaObjectId"))
    spellings = [("03h33m00.33s", "-27d51m39.74s"), ("03 33 00.33", "-27 51 39.74"), ("03:33:00.33", "-27:51:39.74")]
    for ra, dec in spellings:
        assert ids(cone(http, url, ra=ra, dec=dec, columns="r:diaObjectId")) == reference


def test_formats_agree(http, url):
    reference = records(cone(http, url))
    csv = cone(http, url, **{"output-format": "csv"})
    assert csv.headers["Content-Type"] == "application/csv"
    lines = csv.text.splitlines()
    header = lines[0].split(",")
    for row, line in zip(reference, lines[1:], strict=True):
        values = dict(zip(header, line.split(","), strict=True))
        assert float(values["r:ra"]) == pytest.approx(row["r:ra"], abs=1e-10)
    frame = parquet_frame(cone(http, url, **{"output-format": "parquet"}))
    assert np.allclose(frame["r:dec"], [row["r:dec"] for row in reference], atol=1e-10)
    assert all(re.fullmatch(r"\d+_\d+\.\d+_\d{18}", key) for key in frame.index)  # pixel_first_id row keys
    # the VOTable of a full read may answer 500 (a boolean null in the first row): ask for two columns
    vot = cone(http, url, columns="r:diaObjectId", **{"output-format": "votable"})
    table = votable.parse(io.BytesIO(vot.content)).get_first_table()
    assert np.allclose(table.to_table()["r_ra"], [row["r:ra"] for row in reference], atol=1e-10)


def test_real_output_of_issue_1213(http, url):
    (row,) = records(cone(http, url, ra=327.088263, dec=-11.829110, radius=5))
    assert row["r:diaObjectId"] == ISSUE_1213
    assert row["f:firstDiaSourceMjdTaiFink"] == 61217.4109688703
    assert row["r:midpointMjdTai"] == 61228.4225541786
    assert row["r:timeProcessedMjdTai"] == 61228.4242053883
    assert row["r:validityStartMjdTai"] == 61228.4242598533
    # decoded "truncated": no null-filled column (it has no redshift), f:pixel1024 kept
    assert "f:xm_tns_redshift" not in row and isinstance(row["f:pixel1024"], int)
    assert list(row)[-1] == "v:separation_degree"


@pytest.mark.parametrize(("ra", "dec", "radius", "expected"), [
    (61.964820, -48.713443, 10, [313761043604045880, 313699514821640259]),
    (61.964820, -48.713443, 30, [313761043604045880, 313699514821640259, 313762118806337461]),
    (8.986275, -42.709834, 5, [313756671442681875]),
    (8.986275, -42.709834, 10, [313756671442681875, 313755032990713512]),
    (7.4550, -44.635, 150, [313888627082919999, 313889004712635843, 313890577316982674]),
    (7.4550, -44.635, 180, [313888627082919999, 313889004712635843, 313890577316982674, 313887162041295805]),
    (7.893627, -44.771556, 2, [313972183328621131]),
    (7.893627, -44.771556, 4, [313972183328621131, 313973390556212789]),
    ("10 02 38.65", "+00 51 02.6", 5, [313907453120558196]),
    ("10 02 38.65", "+00 51 02.6", 7, [313907453120558196, 313906882749143027]),
    (327.088263, -11.829110, 31, [ISSUE_1213, 170588203947162415]),
])
def test_published_positions(http, url, ra, dec, radius, expected):
    rows = records(cone(http, url, ra=ra, dec=dec, radius=radius, columns="r:diaObjectId"))
    assert [row["r:diaObjectId"] for row in rows] == expected
    separations = [row["v:separation_degree"] for row in rows]
    assert separations == sorted(separations) and separations[-1] * 3600 <= radius


def test_one_row_per_object_latest_alert(http, url):
    rows = records(cone(http, url, ra=150.1, dec=2.2, radius=3600, columns="r:diaObjectId,r:midpointMjdTai"))
    assert len(rows) > 5 and len({row["r:diaObjectId"] for row in rows}) == len(rows)
    latest = records(post(http, url, "/api/v1/sources", diaObjectId=str(rows[0]["r:diaObjectId"]),
                          columns="r:midpointMjdTai"))[0]["r:midpointMjdTai"]
    assert rows[0]["r:midpointMjdTai"] == latest


def test_n_is_a_limit_per_pixel(http, url):
    # both objects share one NSIDE-1024 pixel; its scan returns the smallest row key first
    assert ids(cone(http, url, n=1)) == [SEVEN]
    assert ids(cone(http, url, n="2")) == [NEAR, SEVEN]
    assert records(cone(http, url, n=0)) == []


def test_empty_answers(http, url):
    assert records(cone(http, url, ra=0, dec=80, radius=1)) == []
    assert cone(http, url, ra=0, dec=80, radius=1, **{"output-format": "csv"}).content == b"\n"
    assert records(cone(http, url, radius=-1)) == []
    # rows found in the pixels but all dropped by the radius: the frame keeps its columns
    csv = cone(http, url, radius=0, columns="r:diaObjectId", **{"output-format": "csv"})
    assert csv.content == b"r:dec,r:diaObjectId,r:midpointMjdTai,r:ra,v:separation_degree\n"
    empty = pq.read_table(io.BytesIO(cone(http, url, ra=0, dec=80, radius=1, **{"output-format": "parquet"}).content))
    assert empty.num_columns == 0


def test_radius_limits(http, url):
    body = python_dict_error("`radius` cannot be bigger than 18,000 arcseconds (5 degrees).\n")
    assert_error(cone(http, url, radius=36000), 400, body)
    assert_error(cone(http, url, radius="18000.5"), 400, body)
    assert_error(cone(http, url, radius="ten"), 500, INTERNAL, "application/json")
    assert records(cone(http, url, ra=0, dec=80, radius=18000)) == []  # 5 degrees exactly is allowed


def test_bad_coordinates_show_the_exception_repr(http, url):
    response = cone(http, url, ra="kfdlkj", dec="lkfdjf", radius=5)
    assert_error(response, 400, b"{'status': 'error', 'text': ValueError(\"Invalid character at col 0 parsing "
                                b"angle 'kfdlkj'\")}")
    response = cone(http, url, dec=95)
    assert_error(response, 400, b"{'status': 'error', 'text': ValueError('Latitude angle(s) must be within -90 deg "
                                b"<= angle <= 90 deg, got 95.0 deg')}")


def test_dates_need_the_first_detection_column(http, url):
    body = python_dict_error("You need to specify f:firstDiaSourceMjdTaiFink in the columns to filter on dates.\n")
    assert_error(cone(http, url, startdate="2026-01-10 10:00:00", columns="r:diaObjectId"), 400, body)
    assert_error(cone(http, url, stopdate="2026-01-10 10:00:00", columns="*"), 400, body)  # "*" gets ",r:ra..."
    rows = records(cone(http, url, startdate="2026-01-10 10:00:00", columns="r:diaObjectId,f:firstDiaSourceMjdTaiFink"))
    assert [row["r:diaObjectId"] for row in rows] == [NEAR]


@pytest.mark.parametrize("extra", [
    {"columns": "r:diaObjectId,r:raErr"},  # "r:ra" is a substring: not added, then KeyError
    {"startdate": "yesterday"},
    {"window": "x", "startdate": "2026-01-07"},
    {"n": "ten"},
    {"ra": 53.2514, "columns": ["r:ra"]},
])
def test_server_crashes(http, url, extra):
    payload = {"ra": RA0, "dec": DEC0, "radius": 10, **extra}
    assert_error(http.post(url + CONE, json=payload), 500, INTERNAL, "application/json")


def test_missing_argument(http, url):
    body = b"{'status': 'error', 'text': 'A value for `radius` is required. See https://api.ztf.fink-portal.org \\n'}"
    assert_error(http.get(url + CONE, params={"ra": RA0, "dec": DEC0}), 400, body)


def test_kind_is_ignored(http, url):
    assert cone(http, url, kind="across").content == cone(http, url).content
