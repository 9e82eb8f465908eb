"""
The library-backed decoders (issue #14): csv by pyarrow.csv, json by pyarrow.json, parquet text
through its distinct values, the response body in one buffer. Each fast path must give what the
answer holds, and hand anything it does not read exactly to the slower reader that does; the
expected values come from the bytes themselves, the standard library or pyarrow, never from the
client's decoding.
"""
import csv
import gzip
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from astroquery_fink import conf, decode, transport
from astroquery_fink.exceptions import UnexpectedValuesWarning

BIG_ID = 313761043604045881  # odd and above 2**53: a float on the way would change it
KINDS = {"id": "int", "flux": "float", "band": "str", "ok": "bool", "otype": "str"}


def masked_list(column):
    """The values of a column, None where masked."""
    return [None if masked else value for value, masked in
            zip(np.ma.getdata(column).tolist(), np.ma.getmaskarray(column).tolist(), strict=True)]


# --- csv --------------------------------------------------------------------------------------


# What a pandas 2 server writes: "nan" for a missing string or boolean, an empty field for a
# missing number, True/False for booleans.
PANDAS2_CSV = (b"id,flux,band,ok,otype\n"
               b"%d,1.5,g,True,SN*\n"
               b"2,,nan,nan,\n"
               b"-3,1e-300,r,False,nan\n" % BIG_ID)


def test_csv_read_by_arrow_with_the_server_quirks():
    with mock.patch.object(decode, "_read_csv_text", side_effect=AssertionError("the text reader was used")):
        table = decode.decode_table(PANDAS2_CSV, "csv", KINDS)
    assert [table[name].dtype.kind for name in table.colnames] == ["i", "f", "U", "b", "U"]
    assert masked_list(table["id"]) == [BIG_ID, 2, -3]
    assert masked_list(table["flux"]) == [1.5, None, 1e-300]
    assert masked_list(table["band"]) == ["g", None, "r"]
    assert masked_list(table["ok"]) == [True, None, False]
    assert masked_list(table["otype"]) == ["SN*", None, None]
    assert table["band"].dtype.itemsize == 4 and table["otype"].dtype.itemsize == 12  # widths of the longest


@pytest.mark.parametrize(("body", "name", "kept"), [
    (b"id,flux\n1,abc\n2,2.5\n", "flux", ["abc", "2.5"]),  # text in a float column
    (b"id,flux\n99999999999999999999,2.5\n2,3.5\n", "id", ["99999999999999999999", "2"]),  # beyond int64
], ids=["text for a float", "beyond int64"])
def test_csv_values_arrow_refuses_are_kept_as_received(body, name, kept):
    with pytest.warns(UnexpectedValuesWarning, match=name):
        table = decode.decode_table(body, "csv", {"id": "int", "flux": "float"})
    assert table[name].tolist() == kept


def test_csv_line_end_inside_a_quoted_value():
    body = b'band,id\n"two\nlines, and a comma",1\ng,2\n'
    expected = list(csv.reader(io.StringIO(body.decode())))[1:]
    table = decode.decode_table(body, "csv", {"band": "str", "id": "int"})
    assert table["band"].tolist() == [row[0] for row in expected]
    assert table["id"].tolist() == [int(row[1]) for row in expected]


def test_csv_only_empty_fields_and_nan_are_missing():
    # Arrow's own list of null markers ("NA", "NULL", "null", "N/A"...) holds names a string may be
    body = b"otype,flux\nNA,1\nNULL,NaN\nnull,\n"
    table = decode.decode_table(body, "csv", {"otype": "str", "flux": "float"})
    assert table["otype"].tolist() == ["NA", "NULL", "null"]
    assert masked_list(table["flux"]) == [1.0, None, None]


def test_csv_column_missing_from_the_map_inferred_from_its_text():
    table = decode.decode_table(b"id,x,y\n1,2,a\n2,3.5,b\n", "csv", {"id": "int"})
    assert table["x"].dtype == np.float64 and table["y"].dtype.kind == "U"


def test_csv_row_bound_from_bytes_is_only_a_bound():
    # long rows: the byte count allows many more rows than the limit, the line ends do not
    body = b"band\n" + b"x" * 1000 + b"\n" + b"y" * 1000 + b"\n"
    with conf.set_temp("max_rows", 2):
        assert len(decode.decode_table(body, "csv", {"band": "str"})) == 2


def test_csv_duplicate_names_read_as_text():
    with mock.patch.object(decode, "_read_csv_text", wraps=decode._read_csv_text) as text:
        columns = decode._read_csv(b"a,a\n1,2\n", {"a": "int"})
    assert text.called and [values.tolist() for _, values, _ in columns] == [["1"], ["2"]]


# --- json -------------------------------------------------------------------------------------


def rows_of(body):
    return json.loads(body)


def assert_matches_rows(table, body):
    """Every cell of ``table`` is the JSON value of its row (None: masked), ints exact."""
    rows = rows_of(body)
    assert len(table) == len(rows)
    for name in table.colnames:
        assert masked_list(table[name]) == [None if row.get(name) in (None, "nan") else row[name]
                                            for row in rows], name


SERVER_JSON = json.dumps([
    {"id": BIG_ID, "flux": 1.234567891, "band": "g", "ok": True, "otype": "SN*"},
    {"id": -2, "flux": None, "band": "r", "ok": None, "otype": None},
    {"id": 3, "flux": 1e-300, "band": "\u00e9/x", "ok": False, "otype": "QSO"},
], separators=(",", ":")).encode()


def test_json_read_by_arrow():
    with mock.patch.object(decode.json, "loads", side_effect=AssertionError("the json module was used")):
        table = decode.decode_table(SERVER_JSON, "json", KINDS)
    assert table.colnames == list(KINDS)
    assert table["id"].dtype == np.int64 and table["ok"].dtype == bool
    assert_matches_rows(table, SERVER_JSON)


@pytest.mark.parametrize("body", [
    # a row separator inside a value: Arrow refuses the line end it becomes
    b'[{"id":1,"band":"a},{b"},{"id":2,"band":"},{"}]',
    # pandas 2: the text "nan" for a missing boolean
    b'[{"id":1,"ok":true},{"id":2,"ok":"nan"}]',
    # a key the first row does not have
    b'[{"id":1,"band":"g"},{"band":"r","flux":2.5}]',
    # rows not separated as the server separates them
    b'[{"id":1,"band":"g"}, {"id":2,"band":"r"}]',
], ids=["separator in a value", "pandas 2 nan", "another key", "spaced"])
def test_json_answers_arrow_does_not_read_exactly_go_to_the_json_module(body):
    with mock.patch.object(decode.json, "loads", wraps=json.loads) as loads:
        table = decode.decode_table(body, "json", KINDS)
    assert loads.called
    assert_matches_rows(table, body)


def test_json_rows_without_their_comma_refused():
    # not JSON, though Arrow alone would read two rows of it
    with pytest.raises(decode.TableParseError, match="json"):
        decode.decode_table(b'[{"id":1,"band":"g"}{"id":2,"band":"r"}]', "json", KINDS)


def test_json_fractions_for_an_int_column_never_truncated():
    with pytest.warns(UnexpectedValuesWarning, match="id"):
        table = decode.decode_table(b'[{"id":1},{"id":2.5},{"id":3.0}]', "json", KINDS)
    assert table["id"].tolist() == [1.0, 2.5, 3.0]


def test_json_integer_beyond_int64_kept_as_text():
    body = b'[{"id":1,"band":"g"},{"id":123456789012345678901234,"band":"r"}]'
    with pytest.warns(UnexpectedValuesWarning, match="id"):
        table = decode.decode_table(body, "json", KINDS)
    assert table["id"].tolist() == ["1", "123456789012345678901234"]


def test_json_rows_lacking_keys_of_the_first_are_nulls():
    body = b' \n[{"id":1,"band":"g","flux":0.5},{"id":2},{"band":"r","id":3}]\n'
    table = decode.decode_table(body, "json", KINDS)
    assert_matches_rows(table, body)


def test_json_empty_answer():
    assert len(decode.decode_table(b"[]", "json", KINDS).colnames) == 0


def test_json_rows_bound_before_arrow_reads():
    body = json.dumps([{"id": k} for k in range(10)]).encode()
    with conf.set_temp("max_rows", 9), mock.patch("pyarrow.json.read_json") as read:
        with pytest.raises(decode.TableParseError, match="max_rows"):
            decode.decode_table(body, "json", KINDS)
    assert not read.called


def test_json_lines_never_split_a_separator():
    body = b"[" + b",".join(b'{"id":%d}' % k for k in range(2000)) + b"]"
    lines = decode._JsonLines(body, 1, len(body) - 1)
    blocks = []
    while chunk := lines.read(7):  # blocks of 7 bytes: many end next to a separator
        blocks.append(chunk)
    assert b"".join(blocks).split(b"\n") == body[1:-1].split(b",")
    assert lines.separators == 1999


# --- parquet ----------------------------------------------------------------------------------


def parquet_of(columns):
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


TEXTS = ["g", None, "nan", "", "\u00e9t\u00e9", "a longer value", "g"]


@pytest.mark.parametrize("columnwise", [False, True], ids=["whole table", "column by column"])
def test_parquet_text_through_distinct_values(columnwise):
    content = parquet_of({"band": pa.array(TEXTS, pa.string()), "id": pa.array([BIG_ID] * 7, pa.int64())})
    with mock.patch.object(decode, "_COLUMNWISE_ROWS", 0 if columnwise else 10**9):
        table = decode.decode_table(content, "parquet", {"band": "str", "id": "int"})
    expected = [None if value in (None, "", "nan") else value for value in pq.read_table(io.BytesIO(content))
                .column("band").to_pylist()]
    assert masked_list(table["band"]) == expected
    assert table["band"].dtype == np.dtype("<U14")
    assert table["id"].tolist() == [BIG_ID] * 7


def test_parquet_text_in_several_chunks():
    arrow = pa.chunked_array([pa.array(TEXTS[:3]), pa.array(TEXTS[3:])])
    values, mask = decode._arrow_values(arrow)
    assert values.tolist() == [value or "" for value in TEXTS]
    assert mask.tolist() == [value is None for value in TEXTS]


# --- the body in one buffer ---------------------------------------------------------------------


class _Body(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = self.server.body
        self.send_response(200)
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 100_000):
                piece = body[start:start + 100_000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/gzip":
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def body_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Body)
    server.daemon_threads = True
    server.body = bytes(np.random.default_rng(14).integers(0, 256, 1_234_567, dtype=np.uint8))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/length", "/chunked", "/gzip"])
def test_body_read_whole_into_bytes(body_server, path):
    session = transport.guard(requests.Session())
    with conf.set_temp("max_compression_ratio", 1000):
        response = session.get(f"http://127.0.0.1:{body_server.server_address[1]}{path}", timeout=30)
    assert type(response.content) is bytes
    assert response.content == body_server.body


def test_body_buffer_reserves_and_trims():
    body = transport._body_buffer(10)
    body.write(b"abc")
    body.truncate(3)
    assert body.getvalue() == b"abc"
    grown = transport._body_buffer(0)
    grown.write(b"x" * 100)
    assert grown.getvalue() == b"x" * 100


# --- booleans as text ---------------------------------------------------------------------------


def test_votable_booleans_written_as_text():
    import pandas as pd

    from astroquery_fink.testing.serialize import send_tabular_data

    frame = pd.DataFrame({"ok": pd.Series([True, False, True, False], dtype=object), "id": [1, 2, 3, 4]})
    body = send_tabular_data(frame, "votable")[1]
    assert b'datatype="unicodeChar"' in body  # the server's pandas -> astropy path writes them as text
    table = decode.decode_table(body, "votable", {"ok": "bool", "id": "int"})
    assert table["ok"].dtype == bool and table["ok"].tolist() == frame["ok"].tolist()
