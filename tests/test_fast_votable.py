"""Tests of the vectorised VOTable reader (astroquery_fink.fast_votable) against astropy's reader."""
import io
import math
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from astropy.io import votable
from astropy.io.votable.tree import Resource, TableElement, VOTableFile
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from astroquery_fink import decode
from astroquery_fink.fast_votable import read_tabledata
from astroquery_fink.testing.serialize import send_tabular_data

DATA = Path(__file__).parent / "data"

# --- what the server sends ----------------------------------------------------------------


def server_votable(frame):
    """The bytes the server sends for ``frame`` (pandas -> astropy Table -> VOTable)."""
    status, body, _ = send_tabular_data(frame, "votable")
    assert status == 200
    return body


# --- the oracle: astropy's own reader, called directly --------------------------------------
#
# The expected columns come from astropy alone: ``votable.parse`` (no code of this package on
# the way), then the table astropy builds with ``to_table(use_names_over_ids=True)``, whose
# columns carry the FIELD names (r:psfFlux) rather than the IDs astropy makes up (r_psfFlux).


def astropy_columns(content):
    """
    ``(name, values, mask)`` per FIELD as astropy reads ``content``, or the exception it raises.

    ``values`` are the column's data with the masked entries holding astropy's fillers, ``mask``
    its mask (all False for a column astropy left unmasked).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # hand-made documents make astropy warn (IDs, arraysizes...)
        try:
            element = votable.parse(io.BytesIO(content), verify="ignore").get_first_table()
            if not element.fields:  # an empty <TABLE/>: astropy has no table to build
                return []
            table = element.to_table(use_names_over_ids=True)
        except Exception as error:  # any failure is an answer of astropy's
            return error
    # by position: the FIELD names are the column names (made unique if a document repeats one)
    columns = []
    for field, column in zip(element.fields, table.itercols(), strict=True):
        columns.append((field.name, np.asarray(np.ma.getdata(column)), np.ma.getmaskarray(column)))
    return columns


def expected_columns(content):
    """The oracle for documents astropy is known to read."""
    expected = astropy_columns(content)
    assert not isinstance(expected, Exception), expected
    return expected


def assert_same_values(expected, actual, name):
    assert actual.dtype == expected.dtype, name  # int64 stays int64, float32 float32, <U3 <U3, object object
    assert actual.shape == expected.shape, name
    if expected.dtype.kind == "f":
        # NaN where astropy has NaN (NaN payloads aside), every other value bit for bit (-0.0, subnormals...)
        assert np.array_equal(np.isnan(actual), np.isnan(expected)), name
        kept = ~np.isnan(expected)
        assert actual[kept].tobytes() == expected[kept].tobytes(), name
    elif expected.dtype.kind in "iub":
        assert actual.tobytes() == expected.tobytes(), name  # integers exact, booleans as they are
    else:
        # str values compared as Python objects: the same text, and str rather than bytes
        assert [type(value) for value in actual.tolist()] == [type(value) for value in expected.tolist()], name
        assert actual.tolist() == expected.tolist(), name


def assert_same_columns(expected, actual):
    """The ``(name, values, mask)`` lists of astropy and of the fast reader are the same."""
    assert actual is not None, "the fast reader gave up"
    assert [name for name, _, _ in actual] == [name for name, _, _ in expected]
    for (name, values, mask), (_, fast_values, fast_mask) in zip(expected, actual, strict=True):
        assert_same_values(values, fast_values, name)
        assert fast_mask.dtype == bool and fast_mask.tolist() == mask.tolist(), name
        assert fast_values.flags.writeable and fast_mask.flags.writeable, name  # users may edit their tables


# --- decode's two paths ---------------------------------------------------------------------
#
# Not an oracle for the fast reader (astropy is, above): a check that decode_table, which reads
# with the fast reader and falls back to astropy, gives the same Table on either path.


def fast_only(content, check=None):
    columns = read_tabledata(content)
    assert columns is not None, "the fast reader gave up on a server document"
    return columns


def assert_decode_paths_agree(content, kinds):
    """``decode_table`` gives identical Tables from the fast reader and from its astropy fallback."""
    with mock.patch.object(decode, "read_tabledata", lambda content, check=None: None):
        expected = decode.decode_table(content, "votable", kinds)
    with mock.patch.dict(decode._READERS, votable=fast_only):
        actual = decode.decode_table(content, "votable", kinds)
    assert actual.colnames == expected.colnames
    for name in expected.colnames:
        column, fast_column = expected[name], actual[name]
        assert type(fast_column) is type(column), name
        assert fast_column.dtype == column.dtype, name
        assert np.ma.getmaskarray(fast_column).tolist() == np.ma.getmaskarray(column).tolist(), name
        # bit for bit, masked entries included
        assert np.asarray(fast_column.data).tobytes() == np.asarray(column.data).tobytes(), name


def assert_read_alike(content, kinds=None):
    assert_same_columns(expected_columns(content), read_tabledata(content))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's notes on hand-made documents, in the fallback path
        assert_decode_paths_agree(content, {})  # kinds inferred from the data
        if kinds is not None:
            assert_decode_paths_agree(content, kinds)  # kinds from a column map


# --- generated server documents -----------------------------------------------------------

INT64 = st.one_of(st.integers(-2**63, 2**63 - 1),
                  st.sampled_from([2**63 - 1, -2**63, 2**53 + 1, 2**53, -(2**53) - 1, 169298438257115164, 0]))
FLOATS = st.one_of(st.floats(), st.sampled_from([1e-308, 1.7976931348623157e308, 5e-324, -5e-324, -0.0, 0.0,
                                                  math.inf, -math.inf, math.nan, 61176.98962949591, 0.1]))
# Characters an XML document can carry (no C0 controls but tab/LF/CR, no surrogates, no
# U+FFFE/U+FFFF), biased towards the ones that need escaping, blanks and multibyte UTF-8.
XML_CHARACTERS = st.one_of(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
    st.sampled_from(list("<>&\"' \t\n\ré𝜋中ü") + ["\x85", "\u2028", "\xa0"]),
)
TEXT = st.one_of(st.text(XML_CHARACTERS, max_size=8),
                 st.sampled_from(["", " ", "nan", "True", "False", "]]>", "&amp;", " padded ", "a<b&c", "42"]))


def _values(draw, elements, nrows, nullable=True):
    return draw(st.lists(st.none() | elements if nullable else elements, min_size=nrows, max_size=nrows))


def _int64(draw, nrows):
    return pd.array(_values(draw, INT64, nrows), dtype="Int64"), "int"


def _float64(draw, nrows):
    return np.array(_values(draw, FLOATS, nrows, nullable=False), dtype=np.float64), "float"


def _float32(draw, nrows):
    return np.array(_values(draw, st.floats(width=32), nrows, nullable=False), dtype=np.float32), "float"


def _small_int(dtype):
    info = np.iinfo(dtype)

    def make(draw, nrows):
        return np.array(_values(draw, st.integers(int(info.min), int(info.max)), nrows, nullable=False),
                        dtype=dtype), "int"
    return make


def _nullable_int32(draw, nrows):
    return pd.array(_values(draw, st.integers(-2**31, 2**31 - 1), nrows), dtype="Int32"), "int"


def _string(draw, nrows):
    return pd.array(_values(draw, TEXT, nrows), dtype="str"), "str"


def _object_bool(draw, nrows):
    # how the server types booleans: Python True/False/None in an object column, which the
    # VOTable writer turns into unicodeChar texts "True", "False" and empty cells
    values = _values(draw, st.booleans(), nrows)
    if values and values[0] is None:
        # astropy's writer fails on an object column starting with None (TypeError: len() of
        # unsized object): the server answers 500, there is no document to read
        values[0] = True
    return pd.Series(values, dtype=object), "bool"


def _numpy_bool(draw, nrows):
    return np.array(_values(draw, st.booleans(), nrows, nullable=False), dtype=bool), "bool"


def _nullable_bool(draw, nrows):
    return pd.array(_values(draw, st.booleans(), nrows), dtype="boolean"), "bool"


def _all_null(draw, nrows):
    dtype, kind = draw(st.sampled_from([("Int64", "int"), ("str", "str"), ("float64", "float")]))
    return pd.array([None] * nrows, dtype=dtype), kind


COLUMN_MAKERS = [_int64, _float64, _float32, _small_int(np.int32), _small_int(np.int16), _small_int(np.uint8),
                 _nullable_int32, _string, _string, _object_bool, _numpy_bool, _nullable_bool, _all_null]
# API-like names, and names whose sanitized IDs collide (r:ra and r_ra both get ID r_ra)
NAMES = ["r:diaObjectId", "r:psfFlux", "r:band", "f:xm_tns_fullname", "r:ra", "r_ra", "ra", "é", "a b", "1st",
         "x&y", "<b>"]


@st.composite
def frames(draw, max_rows=12):
    nrows = draw(st.integers(0, max_rows))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    columns, kinds = {}, {}
    for name in names:
        columns[name], kinds[name] = draw(st.sampled_from(COLUMN_MAKERS))(draw, nrows)
    return pd.DataFrame(columns), kinds


@settings(max_examples=300, deadline=None)
@given(frames())
def test_server_documents_read_alike(frame_and_kinds):
    frame, kinds = frame_and_kinds
    assert_read_alike(server_votable(frame), kinds)


@settings(max_examples=40, deadline=None)
@given(st.lists(FLOATS, min_size=1, max_size=200), st.lists(INT64 | st.none(), min_size=1, max_size=200))
def test_floats_bit_for_bit_and_ids_exact(floats, ids):
    frame = pd.DataFrame({"r:psfFlux": pd.Series(floats, dtype=np.float64).iloc[:len(ids)],
                          "r:diaObjectId": pd.array(ids[:len(floats)], dtype="Int64")})
    assert_read_alike(server_votable(frame), {"r:psfFlux": "float", "r:diaObjectId": "int"})


def test_server_shapes_in_one_document():
    frame = pd.DataFrame({
        "r:diaObjectId": pd.array([2**63 - 1, None, 2**53 + 1], dtype="Int64"),
        "r:flux": [math.nan, math.inf, -0.0],
        "r:extreme": [1e-308, 1.7976931348623157e308, 5e-324],
        "r:text": pd.array(['a<&"\'', None, " é𝜋中 ]]> "], dtype="str"),
        "f:flag": pd.Series([True, None, False], dtype=object),
        "r:missing": pd.array([None, None, None], dtype="str"),
    })
    content = server_votable(frame)
    assert b"+InF" in content and b"]]&gt;" in content  # the writer's spellings
    assert_read_alike(content, {"r:diaObjectId": "int", "r:flux": "float", "r:extreme": "float",
                                "r:text": "str", "f:flag": "bool", "r:missing": "str"})
    # astropy strips the blanks around a cell's text: the padded value loses them
    texts = {name: values for name, values, _ in expected_columns(content)}["r:text"]
    assert texts.tolist() == ['a<&"\'', "", "é𝜋中 ]]>"]
    assert decode.decode_table(content, "votable")["r:text"].tolist() == ['a<&"\'', None, "é𝜋中 ]]>"]


def test_empty_answer():
    content = server_votable(pd.DataFrame({}))
    assert b"<TABLE/>" in content
    assert read_tabledata(content) == [] == expected_columns(content)
    assert_decode_paths_agree(content, {})
    assert len(decode.decode_table(content, "votable").colnames) == 0


def test_zero_rows_with_fields():
    frame = pd.DataFrame({"r:diaObjectId": pd.array([], dtype="Int64"), "r:band": pd.array([], dtype="str"),
                          "r:flux": np.array([], dtype=float)})
    content = server_votable(frame)
    assert b"<DATA>" not in content
    assert_read_alike(content, {"r:diaObjectId": "int", "r:band": "str", "r:flux": "float"})


@pytest.mark.parametrize("path", sorted(DATA.glob("*.xml")), ids=lambda path: path.name)
def test_recorded_answers(path):
    assert_read_alike(path.read_bytes())


# --- documents astropy reads its own way: the fast reader must agree, or give up ----------

HEAD = (b'<?xml version="1.0" encoding="utf-8"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        b'<RESOURCE type="results"><TABLE>')


def document(fields, rows, head=HEAD, tail=b"</TABLE></RESOURCE></VOTABLE>"):
    """A VOTable with FIELDs ``(name, datatype, arraysize)`` and rows of raw TD contents (None: ``<TD/>``)."""
    declared = b"".join(
        b'<FIELD name="%s" datatype="%s"%s/>' % (name.encode(), datatype.encode(),
                                                  b' arraysize="%s"' % size.encode() if size else b"")
        for name, datatype, size in fields)
    cells = b"".join(b"<TR>" + b"".join(b"<TD/>" if cell is None else b"<TD>" + cell + b"</TD>" for cell in row)
                     + b"</TR>\n" for row in rows)
    return head + declared + b"<DATA><TABLEDATA>\n" + cells + b"</TABLEDATA></DATA>" + tail


NUMBERS = [("i", "long", None), ("d", "double", None), ("s", "unicodeChar", "*")]

ALIKE = {
    "blanks around cells": document(NUMBERS, [[b" 3 ", b"\t1.5\n", b"  a b  "], [b" ", b"\n", b" \t "]]),
    "empty cells both ways": document(NUMBERS, [[b"", b"", b""], [None, None, None], [b"-0", b"-0", b"0"]]),
    "references": document(NUMBERS[2:], [[b"&lt;&amp;&gt;&quot;&apos;"], [b"&#32;x&#9;"], [b"&#x1F600;&#233;&#xD;"]]),
    "raw > and quotes": document(NUMBERS[2:], [[b"a>b\"c'"]]),
    "CRLF line ends": document(NUMBERS[2:], [[b"a\r\nb\rc"]]).replace(b"\n<TR>", b"\r\n<TR>"),
    "text between tags is ignored": document(NUMBERS[:1], [[b"1"]]).replace(b"<TR>", b"<TR>junk "),
    "floats Python's float() reads": document(NUMBERS[1:2], [[b"1_0"], [b"+InF"], [b"-inf"], [b"NaN"], [b"1e999"],
                                                             [b".5"], [b"1."], [b"  2e-3"]]),
    "integers Python's int() reads": document(NUMBERS[:1], [[b"+5"], [b"007"], [b"1_0"], [b"-0"]]),
    "float32 rounded from the double": document([("f", "float", None)], [[b"0.1"], [b"1e39"], [b"-1e-46"],
                                                                          [b"16777217"], [b"3.4028235677973366e38"]]),
    "fixed widths cut longer values": document([("s", "unicodeChar", "3"), ("c", "char", "2*"), ("u", "char", None)],
                                               [[b"abcdef", b"xyz", b"uvw"], ["é𝜋中ü".encode(), b"", b""]]),
    "bit and boolean": document([("b", "bit", None), ("o", "boolean", None)],
                                [[b"1", b"true"], [b"0", b"F"], [None, b"?"], [b" 1 ", b""], [b"0", b"t"]]),
    # every spelling of a boolean astropy reads (it compares the upper-cased text), and of a bit
    "boolean spellings": document([("o", "boolean", None), ("b", "bit", None)],
                                  [[spelling, bit] for spelling, bit in zip(
                                      [b"true", b"True", b"TRUE", b"tRuE", b"T", b"t", b"1", b" T ", b"false", b"False",
                                       b"FALSE", b"fAlSe", b"F", b"f", b"0", b"\tF\n", b"?", b"", None, b" "],
                                      [b"1", b"0", None, b"", b" 0 "] * 4, strict=True)]),
    "small integer types": document([("u", "unsignedByte", None), ("h", "short", None), ("i", "int", None)],
                                    [[b"255", b"-32768", b"2147483647"], [None, None, None]]),
    "zero rows in TABLEDATA": document(NUMBERS, []),
    "INFO and DESCRIPTION around": document(NUMBERS[:1], [[b"1"]], tail=b'<INFO name="QUERY_STATUS" value="OK"/>'
                                            b"</TABLE><INFO name=\"x\" value=\"y\"/></RESOURCE></VOTABLE>"),
    "FIELDs without DATA": HEAD + b'<FIELD name="a" datatype="long"/><FIELD name="b" datatype="char" arraysize="*"/>'
                           b"</TABLE></RESOURCE></VOTABLE>",
    "colliding IDs": document([("r:ra", "double", None), ("r_ra", "double", None)], [[b"1", b"2"]]),
}


@pytest.mark.parametrize("content", ALIKE.values(), ids=ALIKE.keys())
def test_unusual_documents_read_alike(content):
    assert_read_alike(content)


# --- what the fast reader leaves to astropy -----------------------------------------------

def _with_table_format(table_format):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W03: IDs made up from the names, as on the server
        vot = votable.from_table(Table({"r:ra": [1.5, 2.5], "r:band": ["g", "r"]}))
        vot.get_first_table().format = table_format
        vot.to_xml(buffer)
    return buffer.getvalue()


def _two_tables():
    vot = VOTableFile(version="1.4")
    resource = Resource()
    vot.resources.append(resource)
    for _ in range(2):
        table = TableElement.from_table(vot, Table({"a": [1, 2]}))
        resource.tables.append(table)
    buffer = io.BytesIO()
    vot.to_xml(buffer)
    return buffer.getvalue()


def test_binary2_falls_back():
    for table_format in ("binary2", "binary"):
        content = _with_table_format(table_format)
        assert b"<BINARY" in content
        assert read_tabledata(content) is None
        # decode falls back on astropy, which reads it
        assert [name for name, _, _ in decode._read_votable(content)] == ["r:ra", "r:band"]
        assert [name for name, _, _ in expected_columns(content)] == ["r:ra", "r:band"]


def test_two_tables_fall_back():
    content = _two_tables()
    assert content.count(b"<TABLE>") == 2
    assert read_tabledata(content) is None
    assert len(decode._read_votable(content)) == len(expected_columns(content)) == 1  # astropy reads the first one


GIVE_UP = {
    "hexadecimal integer": document(NUMBERS[:1], [[b"0x1F"]]),
    "nan as integer": document(NUMBERS[:1], [[b"nan"]]),
    "integer out of range": document([("i", "int", None)], [[b"2147483648"]]),
    "long out of range": document(NUMBERS[:1], [[b"9223372036854775808"]]),
    "unparseable float": document(NUMBERS[1:2], [[b"1.5abc"]]),
    "reference in a number": document(NUMBERS[:1], [[b"&#49;"]]),
    "non-ASCII blank in a number": document(NUMBERS[1:2], [[b"\xc2\xa01.5"]]),
    "unknown bit": document([("b", "bit", None)], [[b"2"]]),
    "comment among rows": document(NUMBERS[:1], [[b"1"]]).replace(b"<TR>", b"<!-- c --><TR>"),
    "CDATA": document(NUMBERS[2:], [[b"<![CDATA[<x>]]>"]]),
    "attribute on TD": document(NUMBERS[:1], [[b"1"]]).replace(b"<TD>", b'<TD encoding="base64">'),
    "short row": document(NUMBERS, [[b"1", b"2"]]).replace(b"<TD/>", b""),
    "long row": document(NUMBERS[:1], [[b"1"]]).replace(b"</TR>", b"<TD>2</TD></TR>"),
    "PARAM": document(NUMBERS[:1], [[b"1"]]).replace(b"<FIELD", b'<PARAM name="p" datatype="int" value="1"/><FIELD'),
    "VALUES null": document(NUMBERS[:1], [[b"-1"]]).replace(b'"long"/>', b'"long"><VALUES null="-1"/></FIELD>'),
    "VOTable 1.2": document(NUMBERS[:1], [[None]]).replace(b'version="1.4"', b'version="1.2"'),
    "array of numbers": document([("a", "double", "2")], [[b"1 2"]]),
    "complex": document([("c", "doubleComplex", None)], [[b"1 2"]]),
    "xtype": document(NUMBERS[:1], [[b"1"]]).replace(b'datatype="long"', b'datatype="long" xtype="x"'),
    "RESOURCE type astropy refuses": document(NUMBERS[:1], [[b"1"]]).replace(b'"results"', b'"other"'),
    "latin-1": document(NUMBERS[2:], [[b"\xe9"]]).replace(b"utf-8", b"iso-8859-1"),
    "DOCTYPE": document(NUMBERS[:1], [[b"1"]]).replace(b"<VOTABLE", b"<!DOCTYPE VOTABLE><VOTABLE", 1),
    "control character": document(NUMBERS[2:], [[b"a\x01b"]]),
    "]]> in text": document(NUMBERS[2:], [[b"a]]>b"]]),
    "undefined entity": document(NUMBERS[2:], [[b"&nbsp;"]]),
    "reference to no character": document(NUMBERS[2:], [[b"&#0;"]]),
    "invalid UTF-8": document(NUMBERS[2:], [[b"\xff"]]),
    "U+FFFF": document(NUMBERS[2:], [[b"\xef\xbf\xbf"]]),
    "namespace prefix": document(NUMBERS[:1], [[b"1"]]).replace(b"<TD>", b"<v:TD>"),
    "no TABLE": HEAD.replace(b"<TABLE>", b"") + b"</RESOURCE></VOTABLE>",
    "not XML": b"<html><body>502 Bad Gateway</body></html>",
    "truncated": document(NUMBERS[:1], [[b"1"]])[:-40],
}


@pytest.mark.parametrize("content", GIVE_UP.values(), ids=GIVE_UP.keys())
def test_gives_up(content):
    assert read_tabledata(content) is None


# Cell texts mixing what numbers, strings and XML may hold, to check the fast reader is never
# wrong: it must give astropy's answer, or give up (always when astropy fails).
CELL_PIECES = st.sampled_from([b"1", b"7", b"0", b"-", b"+", b".", b"e", b"E", b"x", b"_", b"nan", b"inf", b"NaN",
                               b" ", b"\t", b"\n", b"\r", b"&amp;", b"&#32;", b"&#x41;", b"&", b"<", b">", b"]]>",
                               b"\x01", b"\xc3\xa9", b"\xff", b"true", b"T", b"false", b"F", b"?", b"a"])
CELLS = st.none() | st.lists(CELL_PIECES, max_size=4).map(b"".join)
FUZZ_FIELDS = [("i", "long", None), ("d", "double", None), ("f", "float", None), ("s", "unicodeChar", "2"),
               ("c", "char", "*"), ("b", "boolean", None), ("t", "bit", None)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FUZZ_FIELDS), min_size=1, max_size=3, unique=True), st.data())
def test_never_wrong(fields, data):
    rows = data.draw(st.lists(st.lists(CELLS, min_size=len(fields), max_size=len(fields)), max_size=4))
    content = document(fields, rows)
    expected, actual = astropy_columns(content), read_tabledata(content)
    if isinstance(expected, Exception):
        assert actual is None
    elif actual is not None:
        assert_same_columns(expected, actual)


MUTATION_TOKENS = [b"<TD>", b"</TD>", b"<TR>", b"</TR>", b"<TD/>", b"<TD >", b"<TR/>", b"<", b">", b"&", b"&amp;",
                   b" ", b"\r", b"x", b"1", b"<!--x-->", b"<TABLEDATA>", b"</TABLEDATA>", b"</DATA>", b"]]>", b"\xff",
                   b'<FIELD name="z" datatype="long"/>']
MUTATED = server_votable(pd.DataFrame({
    "r:id": pd.array([1, None, 3], dtype="Int64"), "r:flux": [1.5, math.nan, -0.0],
    "r:text": pd.array(["a", None, "é&<"], dtype="str"), "f:flag": pd.Series([True, None, False], dtype=object)}))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 6), st.sampled_from(MUTATION_TOKENS)), min_size=1,
                max_size=3))
def test_never_wrong_on_damaged_documents(mutations):
    # mostly in and around the rows, where the fast reader does its own parsing
    content = bytearray(MUTATED)
    rows = MUTATED.find(b"<TABLEDATA>") - 20
    for where, length, token in mutations:
        position = rows + int(where * (len(content) - rows - 1))
        content[position:position + length] = token
    expected, actual = astropy_columns(bytes(content)), read_tabledata(bytes(content))
    if isinstance(expected, Exception):
        assert actual is None
    elif actual is not None:
        assert_same_columns(expected, actual)


def test_check_sees_header_and_row_count_before_parsing():
    content = document(NUMBERS, [[b"1", b"2", b"x"]] * 3)
    seen = []
    read_tabledata(content, check=lambda header, nrows: seen.append((header, nrows)))
    assert len(seen) == 1 and seen[0][1] == 3 and b"<TR>" not in seen[0][0] and b'name="i"' in seen[0][0]

    class Refused(Exception):
        pass

    def refuse(header, nrows):
        raise Refused

    with mock.patch("astroquery_fink.fast_votable._header") as header:
        with pytest.raises(Refused):  # not a give-up (None): the caller's refusal propagates
            read_tabledata(content, check=refuse)
    assert not header.called
