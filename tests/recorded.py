"""Recorded answers of tests/data and a stand-in for the network that serves them."""
import json
from pathlib import Path

import numpy as np
import requests

DATA = Path(__file__).parent / "data"
MANIFEST = json.loads((DATA / "responses.json").read_text())
FORMAT_OF_SUFFIX = {".xml": "votable", ".columns.xml": "votable", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def recorded_response(name, url):
    """A real `requests.Response` holding a recorded answer of tests/data (status, headers, body)."""
    entry = MANIFEST[name]
    response = requests.Response()
    response.status_code = entry["status"]
    response._content = (DATA / name).read_bytes()
    response.headers.update(entry.get("headers", {}))
    response.headers["Content-Type"] = entry["content_type"]
    # the server (Flask under gunicorn) frames every answer with its length
    response.headers["Content-Length"] = str(len(response._content))
    response.url = url
    response.encoding = "utf-8"
    # astroquery's cache pickles the response with its request (and strips the request's hooks)
    response.request = requests.Request(entry.get("method", "POST"), url, json=entry.get("payload")).prepare()
    return response


class FakeServer:
    """Stands in for the network at `requests.Session.request`, so `BaseQuery._request` (and its
    cache) runs for real; every request is recorded and answered with one recorded file."""

    def __init__(self):
        self.calls = []
        self.answers = []

    def answer(self, *names):
        """Answer the next requests with these recorded files (the last one repeats)."""
        self.answers = list(names)

    def request(self, method, url, **kwargs):
        self.calls.append({"method": method, "url": url, "json": kwargs.get("json"), "timeout": kwargs.get("timeout")})
        if not self.answers:
            raise AssertionError(f"unexpected request {method} {url}")
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer(url)
        return recorded_response(answer, url)


def assert_same_table(left, right, float_rtol=0.0):
    assert left.colnames == right.colnames
    assert len(left) == len(right)
    for name in left.colnames:
        a, b = left[name], right[name]
        assert a.dtype == b.dtype, name
        assert a.unit == b.unit, name
        assert a.description == b.description, name
        assert np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b)), name
        keep = ~np.ma.getmaskarray(a)
        values_a, values_b = np.asarray(a)[keep], np.asarray(b)[keep]
        if a.dtype.kind == "f" and float_rtol:
            np.testing.assert_allclose(values_a, values_b, rtol=float_rtol, atol=1e-10, err_msg=name)
        else:
            assert np.array_equal(values_a, values_b), name


