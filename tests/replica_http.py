"""HTTP helpers shared by the replica's endpoint tests (no client code involved)."""
import io

import pandas as pd

HTML = "text/html; charset=utf-8"
INTERNAL = b'{"message": "Internal Server Error"}\n'
NOT_ALLOWED = b'{"message": "The method is not allowed for the requested URL."}\n'
CONTENT_TYPES = {"json": "application/json", "csv": "application/csv", "votable": "text/xml", "parquet": "parquet"}


def post(http, url, endpoint, **payload):
    return http.post(url + endpoint, json=payload)


def records(response):
    assert response.status_code == 200, response.content[:300]
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def parquet_frame(response):
    assert response.headers["Content-Type"] == "parquet"
    return pd.read_parquet(io.BytesIO(response.content))


def python_dict_error(text):
    """The bytes of a python-dict 400 body (spec §1.3 A)."""
    return str({"status": "error", "text": text}).encode()


def assert_error(response, status, body, content_type=HTML):
    assert (response.status_code, response.headers["Content-Type"]) == (status, content_type), response.content[:300]
    assert response.content == body
