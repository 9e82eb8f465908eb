"""
Decoder limits and no silent loss (issue #10): hostile answers are refused before any table is built,
by the fast VOTable reader and astropy's alike; nothing is clamped, shifted or passed off as complete.
"""
import http.server
import io
import json
import threading
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy.io import votable
from astroquery.exceptions import TableParseError

from astroquery_fink import FinkClass, conf, decode, fast_votable
from astroquery_fink.cutouts import decode_cutout
from astroquery_fink.exceptions import UnexpectedValuesWarning
from astroquery_fink.limits import BOUNDS, DecodeLimitError, UnverifiedAnswerWarning, limit

DATA = Path(__file__).parent / "data"
HEAD = (b'<?xml version="1.0" encoding="utf-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        b'<RESOURCE type="results"><TABLE>')
TAIL = b"</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>"
# a comment among the rows: the fast reader gives up on it, astropy's reader reads it
GIVE_UP = b"<!-- the fast reader gives up on comments -->"


def votable_document(fields, nrows, cell=b"a", fast=True, prefix=b""):
    """A VOTable of ``fields`` (raw FIELD attributes) and ``nrows`` rows holding ``cell`` in every column."""
    declared = b"".join(b"<%sFIELD %s/>" % (prefix, attributes) for attributes in fields)
    row = b"<TR>" + b"<TD>" + cell + b"</TD>" * 1 + (b"<TD>" + cell + b"</TD>") * (len(fields) - 1) + b"</TR>"
    return HEAD + declared + b"<DATA><TABLEDATA>" + (b"" if fast else GIVE_UP) + row * nrows + TAIL


WIDE = b'name="s" datatype="char" arraysize="65535"'


@pytest.fixture
def readers():
    """Spies on both VOTable readers' parsing: the limits are checked before either of them parses anything."""
    with mock.patch.object(fast_votable, "_header", wraps=fast_votable._header) as fast, \
            mock.patch.object(votable, "parse", wraps=votable.parse) as slow:
        yield fast, slow


def refused(content, output_format, setting):
    with pytest.raises(DecodeLimitError) as caught:
        decode.decode_table(content, output_format)
    error = caught.value
    assert isinstance(error, TableParseError)
    assert error.setting == setting and error.limit == limit(setting) and error.size > error.limit
    assert f"conf.{setting}" in str(error)  # the message says how to raise the limit
    return error


# --- VOTable: both readers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False], ids=["fast reader", "astropy reader"])
def test_huge_declared_width_refused_before_reading(readers, fast):
    # the 188 kB document: 8,000 one-character rows in a FIELD declaring 65,535 characters (2 GB as <U65535)
    content = votable_document([WIDE], 8_000, fast=fast)
    assert len(content) < 200_000
    error = refused(content, "votable", "max_string_width")
    assert error.size == 65_535
    assert not readers[0].called and not readers[1].called


@pytest.mark.parametrize("fast", [True, False], ids=["fast reader", "astropy reader"])
def test_declared_widths_times_rows_bounded(readers, fast):
    # each width allowed, but all of them over all the rows would reserve gigabytes
    fields = [b'name="s%d" datatype="unicodeChar" arraysize="16000"' % k for k in range(4)]
    content = votable_document(fields, 5_000, fast=fast)
    refused(content, "votable", "max_string_bytes")
    assert not readers[0].called and not readers[1].called


@pytest.mark.parametrize("fast", [True, False], ids=["fast reader", "astropy reader"])
def test_width_limit_can_be_raised(fast):
    content = votable_document([WIDE], 3, cell=b"abc", fast=fast)
    with conf.set_temp("max_string_width", 65_535):
        table = decode.decode_table(content, "votable")
    assert table["s"].tolist() == ["abc"] * 3 and table["s"].dtype == np.dtype("<U3")


def test_declared_nrows_counts():
    # astropy allocates a TABLE's nrows up front, whatever the rows that follow
    content = votable_document([b'name="i" datatype="long"'], 1, cell=b"1").replace(
        b"<TABLE>", b'<TABLE nrows="4000000000">')
    refused(content, "votable", "max_rows")


@pytest.mark.parametrize("prefix", [b"", b"v:"], ids=["plain", "namespace prefix"])
def test_too_many_fields_refused(readers, prefix):
    fields = [b'name="c%d" datatype="short"' % k for k in range(200_000)]
    content = votable_document(fields, 1, cell=b"1", prefix=prefix)
    error = refused(content, "votable", "max_columns")
    assert error.size == 200_000
    assert not readers[0].called and not readers[1].called


def test_rows_limit_on_votable():
    content = votable_document([b'name="i" datatype="long"'], 50, cell=b"7")
    with conf.set_temp("max_rows", 49):
        refused(content, "votable", "max_rows")
    with conf.set_temp("max_rows", 50):
        assert len(decode.decode_table(content, "votable")) == 50


def test_every_bound_is_a_conf_item():
    for setting in BOUNDS:
        assert limit(setting) == getattr(conf, setting) > 0


def test_real_answers_within_the_limits():
    for path in sorted(DATA.glob("*.xml")) + sorted(DATA.glob("*.parquet")):
        output_format = "votable" if path.suffix == ".xml" else "parquet"
        decode.decode_table(path.read_bytes(), output_format)


# --- parquet, json, csv -----------------------------------------------------------------------------------------


def parquet_of_a_constant(nrows, chunk=1_000_000):
    """A parquet file of ``nrows`` zeros: a few kB, written a chunk at a time."""
    sink = io.BytesIO()
    schema = pa.schema([("r:flux", pa.float64())])
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        block = pa.table({"r:flux": np.zeros(min(chunk, nrows))}, schema=schema)
        for begin in range(0, nrows, chunk):
            writer.write_table(block.slice(0, min(chunk, nrows - begin)))
    return sink.getvalue()


def test_parquet_rows_refused_from_the_footer():
    content = parquet_of_a_constant(6_000_000)
    assert len(content) < 1_000_000
    with mock.patch.object(pq.ParquetFile, "read") as read:
        error = refused(content, "parquet", "max_rows")
    assert error.size == 6_000_000 and not read.called


def test_parquet_columns_refused():
    content = io.BytesIO()
    pq.write_table(pa.table({f"c{k}": [1] for k in range(60)}), content)
    with conf.set_temp("max_columns", 59):
        refused(content.getvalue(), "parquet", "max_columns")


def test_json_distinct_keys_refused():
    # 20,000 rows of one key each, every key another: 20,000 columns of 20,000 cells
    content = json.dumps([{f"k{k}": k} for k in range(20_000)]).encode()
    error = refused(content, "json", "max_columns")
    assert error.size == 20_000


def test_json_cells_refused():
    content = json.dumps([{f"k{k % 1000}": k} for k in range(2_000)]).encode()
    with conf.set_temp("max_cells", 1_999_999):
        refused(content, "json", "max_cells")


def test_json_rows_read_by_key():
    # rows whose keys differ from the first row's: each value under its own key, the absent ones masked
    content = json.dumps([{"a": 1, "b": "x"}, {"b": "y", "c": 2.5}, {"c": 3.5, "a": 2}, {"d": True}]).encode()
    table = decode.decode_table(content, "json")
    assert table.colnames == ["a", "b", "c", "d"]
    assert table["a"].tolist() == [1, None, 2, None]
    assert table["b"].tolist() == ["x", "y", None, None]
    assert table["c"].tolist() == [None, 2.5, 3.5, None]
    assert table["d"].tolist() == [None, None, None, True]


def test_json_rows_must_be_objects():
    with pytest.raises(TableParseError, match="JSON objects"):
        decode.decode_table(b'[{"a": 1}, [2]]', "json")


def test_csv_limits():
    content = b"a,b\n" + b"1,2\n" * 10
    with conf.set_temp("max_rows", 9):
        refused(content, "csv", "max_rows")
    with conf.set_temp("max_columns", 1):
        refused(content, "csv", "max_columns")
    assert len(decode.decode_table(content, "csv")) == 10


# --- no silent loss ---------------------------------------------------------------------------------------------


CSV = b"r:diaObjectId,r:band\n1,g\n1,r\n2,i\n"


def test_csv_cut_at_a_line_end_without_framing_is_reported():
    cut = CSV[:CSV.index(b"2,i")]  # a whole line lost: still well-formed csv
    with pytest.warns(UnverifiedAnswerWarning, match="without length framing"):
        table = decode.decode_table(cut, "csv", framed=False)
    assert len(table) == 2


@pytest.mark.parametrize("framed", [True, None])
def test_csv_with_framing_or_unknown_is_quiet(framed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(decode.decode_table(CSV, "csv", framed=framed)) == 3


def test_framing_only_matters_for_csv():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        decode.decode_table(b'[{"a": 1}]', "json", framed=False)


@pytest.mark.parametrize(("datatype", "value"), [("short", b"70000"), ("int", b"-2147483649"),
                                                 ("long", b"99999999999999999999"), ("unsignedByte", b"256")])
def test_votable_integers_out_of_range_refused_not_clamped(datatype, value):
    # the fast reader gives up on them; astropy would clamp them to the datatype's bounds
    content = votable_document([b'name="i" datatype="%s"' % datatype.encode()], 2, cell=value)
    assert decode.read_tabledata(content) is None
    with pytest.raises(TableParseError, match="outside the range"):
        decode.decode_table(content, "votable")


def test_parquet_unsigned_beyond_int64_kept_exact():
    content = io.BytesIO()
    pq.write_table(pa.table({"r:diaObjectId": pa.array([2**64 - 1, 5], pa.uint64())}), content)
    with pytest.warns(UnexpectedValuesWarning, match="kept as received, as text"):
        table = decode.decode_table(content.getvalue(), "parquet", {"r:diaObjectId": "int"})
    assert table["r:diaObjectId"].tolist() == [str(2**64 - 1), "5"]  # not wrapped to -1


def test_json_integers_beyond_int64_kept_exact():
    with pytest.warns(UnexpectedValuesWarning, match="as text"):
        table = decode.decode_table(b'[{"i": 123456789012345678901234}, {"i": 1}]', "json", {"i": "int"})
    assert table["i"].tolist() == ["123456789012345678901234", "1"]


@pytest.mark.parametrize("values", [[1.5, 2.0], [1e30, 2.0], [-1e19, 0.0]], ids=["fraction", "above", "below"])
def test_floats_for_an_int_column_never_truncated(values):
    content = io.BytesIO()
    pq.write_table(pa.table({"i": pa.array(values, pa.float64())}), content)
    with pytest.warns(UnexpectedValuesWarning, match="as float values"):
        table = decode.decode_table(content.getvalue(), "parquet", {"i": "int"})
    assert table["i"].tolist() == values


def test_whole_floats_for_an_int_column_still_ints():
    content = io.BytesIO()
    pq.write_table(pa.table({"i": pa.array([3.0, None, -2.0**63], pa.float64())}), content)
    table = decode.decode_table(content.getvalue(), "parquet", {"i": "int"})
    assert table["i"].dtype == np.int64 and table["i"].tolist() == [3, None, -2**63]


# --- binary answers ---------------------------------------------------------------------------------------------

HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize("output_format", ["PNG", "FITS"])
def test_html_page_served_as_a_cutout_refused(output_format):
    with pytest.raises(TableParseError, match=f"not a {output_format} file.*502 Bad Gateway"):
        decode_cutout(HTML, "Science", output_format)


def test_real_cutouts_pass_the_signature_check():
    png = (DATA / "cutouts_170424319673368579_Science.png").read_bytes()
    assert decode_cutout(png, "Science", "PNG") == png
    hdus = decode_cutout((DATA / "cutouts_170424319673368579_Science.fits").read_bytes(), "Science", "FITS")
    assert hdus[0].data.shape


def test_png_cut_to_its_signature_refused():
    with pytest.raises(TableParseError, match="not a PNG"):
        decode_cutout(b"\x89PNG\r\n", "Science", "PNG")


# --- through the client: a loopback server answering a hostile VOTable ---------------------------------------


class _Hostile(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_POST(self):  # noqa: N802 (the name http.server calls)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-votable+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def hostile_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_client_refuses_a_width_bomb(hostile_server, tmp_path):
    _Hostile.body = votable_document([WIDE], 8_000, fast=False)
    fink = FinkClass(server=f"http://127.0.0.1:{hostile_server.server_address[1]}")
    fink.cache_location = tmp_path
    with mock.patch.object(votable, "parse", wraps=votable.parse) as parse:
        with pytest.raises(DecodeLimitError, match="max_string_width"):
            fink.query_forced_photometry("313761043604045880", cache=False)
    assert not parse.called
