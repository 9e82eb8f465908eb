"""
Time sanity: a Julian Date given as an MJD is refused with the conversion, a stop before the
start is refused, and a window where no Rubin alert can be is warned about (OutsideSurveyWarning).

All through ``get_query_payload=True`` or the payload builders: nothing is sent. The oracles are
written out by hand (JD 2461176.5 is MJD 61176.0; MJD 60676 is 2025-01-01, so 61176 is 500 days later, 2026-05-16).
"""
import warnings

import astropy.units as u
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time
from astroquery.exceptions import InvalidQueryError

from astroquery_fink import Fink
from astroquery_fink.exceptions import OutsideSurveyWarning
from astroquery_fink.payload import cone_payload, normalize_mjd, normalize_time, tags_payload

CENTRE = SkyCoord(53.2514, -27.861, unit="deg")
OBJECT = 313761043604045880
JD = 2461176.5  # MJD 61176.0


@pytest.fixture(autouse=True)
def no_stray_warning():
    # every warning is an error in this suite; make it explicit for the tests that expect none
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("call", [
    lambda: Fink.query_region(CENTRE, 10, start_time=JD, get_query_payload=True),
    lambda: Fink.query_region(CENTRE, 10, stop_time=JD, get_query_payload=True),
    lambda: Fink.query_tags("extragalactic_new_candidate", start_time=JD, get_query_payload=True),
    lambda: Fink.query_sources(OBJECT, midpoint_mjd_tai=JD, get_query_payload=True),
    lambda: Fink.query_sources(OBJECT, midpoint_mjd_tai="2461176.5", get_query_payload=True),
    lambda: Fink.query_sources(OBJECT, midpoint_mjd_tai=2461176, get_query_payload=True),
])
def test_a_julian_date_given_as_mjd_is_refused_with_the_conversion(call):
    with pytest.raises(InvalidQueryError, match=r"looks like a Julian Date, not an MJD") as raised:
        call()
    message = str(raised.value)
    assert "MJD = JD - 2400000.5" in message
    assert "61176" in message  # the MJD to give instead


def test_the_conversion_hint_is_the_right_mjd():
    with pytest.raises(InvalidQueryError, match=r"give 61176\.25,"):
        normalize_time(2461176.75, name="start_time")


def test_a_julian_date_as_a_time_object_is_fine():
    assert normalize_time(Time(JD, format="jd", scale="tai"), name="start_time") == "2026-05-16 00:00:00.000"
    assert normalize_mjd(Time(JD, format="jd", scale="tai")) == "61176.0"


def test_an_mjd_is_still_an_mjd():
    assert normalize_time(61176.0, name="start_time") == "2026-05-16 00:00:00.000"
    assert normalize_mjd(61176.5) == "61176.5"
    assert normalize_mjd("61176") == "61176"


@pytest.mark.parametrize("build", [
    lambda start, stop: cone_payload(CENTRE, 10, start_time=start, stop_time=stop),
    lambda start, stop: tags_payload("extragalactic_new_candidate", start_time=start, stop_time=stop),
])
def test_stop_before_start_is_refused(build):
    with pytest.raises(InvalidQueryError, match=r"stop_time \(2026-03-01 00:00:00.000 UTC\) is before start_time "
                                                r"\(2026-03-10 00:00:00.000 UTC\)"):
        build("2026-03-10", "2026-03-01")
    # a stop MJD before a start string: the same, whatever the spelling
    with pytest.raises(InvalidQueryError, match="is before start_time"):
        build("2026-03-10", Time("2026-03-09", scale="utc").tai.mjd)


def test_stop_equal_to_start_and_stop_after_start_are_sent():
    payload = cone_payload(CENTRE, 10, start_time="2026-03-01", stop_time="2026-03-01")
    assert payload["startdate"] == payload["stopdate"]
    payload = tags_payload("extragalactic_new_candidate", start_time="2026-03-01", stop_time="2026-03-02")
    assert payload["startdate"] < payload["stopdate"]


@pytest.mark.parametrize("window", [-2, 0, -1 * u.day])
def test_a_window_that_is_not_positive_is_refused(window):
    with pytest.raises(InvalidQueryError, match="window must be a positive number of days"):
        Fink.query_region(CENTRE, 10, start_time="2026-03-01", window=window, get_query_payload=True)


@pytest.mark.parametrize(("options", "said"), [
    ({"stop_time": "2019-06-01"}, r"stop_time \(2019-06-01 00:00:00 UTC\) is before Rubin's first alerts "
                                  r"\(2025-09-06\)"),
    ({"stop_time": 51000.0}, r"stop_time \(1998-07-0. .* UTC\) is before Rubin's first alerts"),
    ({"start_time": "2020-01-01", "window": 30}, r"the end of the window \(start_time \+ window\) \(2020-01-31 "),
    ({"start_time": "2100-01-01"}, r"start_time \(2100-01-01 00:00:00 UTC\) is in the future"),
])
def test_a_window_where_no_alert_can_be_is_warned(options, said):
    with pytest.warns(OutsideSurveyWarning, match=said):
        payload = Fink.query_region(CENTRE, 10, get_query_payload=True, **options)
    assert "startdate" in payload or "stopdate" in payload  # still sent as asked


def test_tags_and_midpoint_outside_the_survey_are_warned():
    with pytest.warns(OutsideSurveyWarning, match="start_time .* is in the future"):
        Fink.query_tags("extragalactic_new_candidate", start_time="2100-01-01", get_query_payload=True)
    with pytest.warns(OutsideSurveyWarning, match=r"midpoint_mjd_tai \(1995-10-09 23:59:31 UTC\) is before"):
        Fink.query_sources(OBJECT, midpoint_mjd_tai=50000, get_query_payload=True)  # TAI 29 s ahead of UTC then


def test_an_open_start_before_the_survey_is_no_mistake():
    # "from the beginning": a start before the survey, or a stop in the future, loses nothing
    Fink.query_region(CENTRE, 10, start_time="2019-11-01", get_query_payload=True)
    Fink.query_region(CENTRE, 10, start_time="2026-01-01", stop_time="2100-01-01", get_query_payload=True)
    Fink.query_tags("extragalactic_new_candidate", start_time="2019-11-01", get_query_payload=True)


def test_the_warning_points_at_the_users_line():
    with pytest.warns(OutsideSurveyWarning) as caught:
        Fink.query_region(CENTRE, 10, stop_time="2019-06-01", get_query_payload=True)
    assert caught[0].filename == __file__
