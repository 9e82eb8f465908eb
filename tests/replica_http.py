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
    """The bytes of a python-dict 400 body (``str()`` of the dict: single quotes, not JSON)."""
    return str({"status": "error", "text": text}).encode()


def assert_error(response, status, body, content_type=HTML):
    assert (response.status_code, response.headers["Content-Type"]) == (status, content_type), response.content[:300]
    assert response.content == body


def java_string_hash(text):
    """``java.lang.String.hashCode`` (s[0]*31^(n-1) + ... + s[n-1], on UTF-16 units, modulo 2**32)."""
    units = text.encode("utf-16-be")
    value = 0
    for hi, lo in zip(units[::2], units[1::2], strict=True):
        value = (value * 31 + (hi << 8) + lo) % 2**32
    return value


def java_hashmap_iteration(keys):
    """
    Iteration order of a ``java.util.HashMap`` after ``put`` of ``keys`` one by one.

    A literal simulation, written apart from the replica's code: a table of 16 bucket lists,
    a new key appended to its bucket, and, when the size passes 3/4 of the table, a table
    twice as large whose buckets receive the old ones' entries in order (entry with hash bit
    ``old_size`` set go to ``index + old_size``).
    """
    table = [[] for _ in range(16)]
    size = 0
    for key in keys:
        h = java_string_hash(key)
        spread = h ^ (h >> 16)
        bucket = table[spread % len(table)]
        if any(key == other for _, other in bucket):
            continue
        bucket.append((spread, key))
        size += 1
        if size > len(table) * 3 // 4:
            old = table
            table = [[] for _ in range(2 * len(old))]
            for index, entries in enumerate(old):
                for spread_, key_ in entries:
                    table[index + len(old) if spread_ & len(old) else index].append((spread_, key_))
    return [key for entries in table for _, key in entries]


def first_row_has_null_boolean(rows):
    """Whether a JSON answer's first row is null in a boolean column (one holding only true/false/null)."""
    if not rows:
        return False
    booleans = {name for name in rows[0] if all(isinstance(row.get(name), (bool, type(None))) for row in rows)}
    booleans = {name for name in booleans if any(isinstance(row.get(name), bool) for row in rows)}
    return any(rows[0][name] is None for name in booleans)
