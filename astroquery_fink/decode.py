"""Decoding of the server's tabular answers (votable, json, csv, parquet) into one Table shape."""
import csv
import io
import json
import operator
import re
import threading
import warnings

import numpy as np
from astropy.io import votable
from astropy.table import Table
from astroquery.exceptions import TableParseError

from .columns import KIND_DTYPES
from .exceptions import UnexpectedValuesWarning
from .limits import UnverifiedAnswerWarning, check, limit

__all__ = ["OUTPUT_FORMATS", "decode_table"]

_ASTROPY_FALLBACK = threading.Lock()

# Values the server writes for a missing string or boolean: pandas 2.x servers emit the text
# "nan" in json and csv (pandas 3.x ones null), csv has no null marker other than the empty field.
_MISSING_TEXT = ("", "nan")
_TRUE_TEXT = ("True", "true")
_FALSE_TEXT = ("False", "false")
_INT, _FLOAT, _BOOL = KIND_DTYPES["int"], KIND_DTYPES["float"], KIND_DTYPES["bool"]


# --- one reader per wire format: bytes -> list of (name, values, mask) ------------------------


# A FIELD start tag (after "<" or a namespace prefix), its datatype and arraysize, a TABLE's nrows:
# what a VOTable declares about the size of its table, found without parsing it.
_FIELD_TAG = re.compile(rb"FIELD\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""\b(datatype|arraysize)\s*=\s*["']([^"']*)["']""")
_NROWS = re.compile(rb"""nrows\s*=\s*["']\s*\+?([0-9]+)""")  # no leading \b: a literal prefix scans fast
# numpy bytes per item astropy stores for each datatype (unicode: 4 per character)
_ITEM_BYTES = {"char": 4, "unicodeChar": 4, "double": 8, "long": 8, "float": 4, "int": 4, "short": 2,
               "unsignedByte": 1, "bit": 1, "boolean": 1, "floatComplex": 8, "doubleComplex": 16}


def _declared_size(arraysize):
    """Items per cell reserved by an ``arraysize`` ("10", "10*", "3x10"; a bare "*" reserves none)."""
    size = 1
    for part in arraysize.split(b"x"):
        digits = part.strip().rstrip(b"*")
        if digits:
            size *= int(digits)
    return size


def _field_sizes(content):
    """``(datatype, items per cell)`` of every FIELD that declares an arraysize."""
    sizes = []
    for match in _FIELD_TAG.finditer(content):
        if match.start() == 0 or content[match.start() - 1:match.start()] not in (b"<", b":"):
            continue  # an end tag, a FIELDref, or text
        attributes = {name: value for name, value in _ATTRIBUTE.findall(match.group(1))}
        if b"arraysize" in attributes:
            sizes.append((attributes.get(b"datatype", b"char").decode("ascii", "replace"),
                          _declared_size(attributes[b"arraysize"])))
    return sizes


def _check_declared(document, rows):
    """
    Check what a VOTable declares against the decoder limits, before a reader allocates anything.

    ``document`` holds the FIELDs (the whole document, or the fast reader's header without its
    rows), ``rows`` counts the row tags; a TABLE's larger ``nrows`` counts instead (astropy
    allocates it up front). Upper bounds come from byte counts, exact counts only past a limit.
    """
    rows = max([rows, *(int(value) for value in _NROWS.findall(document))])
    check("max_rows", rows, "the votable answer holds")
    fields = document.count(b"FIELD")
    if fields > limit("max_columns"):
        fields = sum(1 for match in _FIELD_TAG.finditer(document)
                     if document[match.start() - 1:match.start()] in (b"<", b":"))
        check("max_columns", fields, "the votable answer declares")
    check("max_cells", rows * fields, "the votable answer holds")
    reserved = 0
    for datatype, size in _field_sizes(document):
        check("max_string_width", size, f"a {datatype} FIELD of the votable answer declares a width of")
        reserved += rows * size * _ITEM_BYTES.get(datatype, 8)
    check("max_string_bytes", reserved, "the declared widths of the votable answer reserve")


def read_tabledata(content, check=None):
    """`astroquery_fink.fast_votable.read_tabledata`, imported at first use (it needs pyarrow, slow to import)."""
    from .fast_votable import read_tabledata as read

    return read(content, check=check)


def _read_votable(content, kinds=None):
    # The vectorised reader handles what the server writes, ~10x faster than astropy; it
    # returns None for anything it is not sure to read exactly as astropy would. Both readers
    # check the limits first: the fast one on its own count of the rows, astropy's on every
    # row tag, namespace prefixes included.
    columns = read_tabledata(content, check=_check_declared)
    if columns is not None:
        return columns
    _check_declared(content, content.count(b"<TR") + content.count(b":TR"))
    # verify="warn", warnings recorded rather than shown: the server's documents are valid but
    # astropy would warn about the IDs it generated itself (r:ra -> r_ra) when the file was
    # written; W51 (an integer out of its datatype's range) is the one that matters: astropy
    # clamps such a value, which would silently change it.
    # catch_warnings swaps process-wide state (filters, showwarning): batch worker threads doing it
    # at once can leave a dead recorder in place, losing every later warning of the session, so
    # one thread at a time (the fallback is rare; the main thread waits during a batch).
    with _ASTROPY_FALLBACK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = votable.parse(io.BytesIO(content), verify="warn").get_first_table()
    clamped = [str(warning.message) for warning in caught if "W51" in str(warning.message)]
    if clamped:
        raise TableParseError(f"the votable answer holds integers outside the range of their FIELD's datatype "
                              f"({clamped[0].split('W51: ')[-1]}): refused rather than clamped")
    if not table.fields:  # "no match" is a 200 answer whose <TABLE/> is empty, with no FIELD
        return []
    # Column names are the API names (FIELD name), not the sanitized IDs (r_psfFlux).
    array = table.array
    return [(field.name, array.data[field.ID], np.ma.getmaskarray(array[field.ID])) for field in table.fields]


def _object_array(values):
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _read_json(content, kinds=None):
    columns = _read_json_arrow(content, kinds or {})
    if columns is not None:
        return columns
    rows = json.loads(content)
    if not isinstance(rows, list):
        raise TableParseError(f"expected a JSON array of rows, got {type(rows).__name__}")
    check("max_rows", len(rows), "the json answer holds")
    if not rows:
        return []
    if not set(map(type, rows)) <= {dict}:
        wrong = next(row for row in rows if not isinstance(row, dict))
        raise TableParseError(f"expected JSON objects as rows, got {type(wrong).__name__}")
    # pandas writes every key in every row, in one order: the first row's keys, and a total of
    # keys equal to their number in every row, prove that each row has exactly these keys
    # (itemgetter raises KeyError on a row that lacks one). Then the rows are turned into
    # columns by C loops (itemgetter, zip), not one lookup per cell.
    names = list(rows[0])
    if len(names) <= limit("max_columns") and sum(map(len, rows)) == len(names) * len(rows):
        check("max_cells", len(names) * len(rows), "the json answer holds")
        try:
            cells = map(operator.itemgetter(*names), rows) if len(names) > 1 else ((row[names[0]],) for row in rows)
            transposed = list(zip(*cells, strict=True))
        except KeyError:
            pass
        else:
            del rows
            columns = []
            while transposed:
                values = _object_array(transposed.pop(0))
                columns.append((names[len(columns)], values, np.equal(values, None)))
            return columns
    # Any other rows are read by key: a key missing from a row (or present in it alone) is a
    # null, never a shift nor a loss.
    names = {}  # the keys in the order they first appear (the values are not used)
    for row in rows:
        names.update(row)
    check("max_columns", len(names), "the json answer has rows with distinct keys numbering")
    check("max_cells", len(names) * len(rows), "the json answer holds")
    columns = []
    for name in names:
        values = _object_array([row.get(name) for row in rows])
        columns.append((name, values, np.equal(values, None)))
    return columns


# Arrow types the csv and json readers are told to give the columns of each kind.
_ARROW_TYPES = {"int": "int64", "float": "float64", "bool": "bool_", "str": "string"}
_WHITESPACE = b" \t\r\n"


def _read_json_arrow(content, kinds):
    """
    The columns of a json answer read by Arrow, typed from the column map; `None` to leave it to `json`.

    The server writes a JSON array of flat row objects, all with the same keys, on one line:
    ``[{...},{...}]``. Arrow reads one object per line, so the array is read through `_JsonLines`,
    which writes a line end for the comma between two rows (``},{``, of the same length). A
    ``},{`` inside a string becomes a line end inside that string, which JSON forbids: Arrow
    refuses the answer, as it refuses a value of another type than its column's (text in a
    float column, an integer beyond int64, the text "nan" of a pandas 2 server in a boolean
    column), a key the first row does not have, a nested value. Each of these, and any answer
    whose rows are not exactly the array's, is left to the `json` module (`None`), which reads
    anything the server may send.
    """
    start, stop = 0, len(content)
    while start < stop and content[start] in _WHITESPACE:
        start += 1
    while stop > start and content[stop - 1] in _WHITESPACE:
        stop -= 1
    if content[start:start + 1] != b"[" or content[stop - 1:stop] != b"]" or stop - start < 4:
        return None  # not an array, or an empty one
    first = _first_row(content, start + 1)
    if not isinstance(first, dict) or not first or not set(first) <= set(kinds) \
            or any(isinstance(value, (dict, list)) for value in first.values()):
        return None
    names = list(first)
    # every row opens a brace: an upper bound on the rows before anything is built (the json
    # module counts them exactly, and refuses too many, if the bound passes a limit)
    rows = content.count(b"{", start, stop)
    if len(names) > limit("max_columns") or rows > limit("max_rows") or rows * len(names) > limit("max_cells"):
        return None
    import pyarrow as pa  # here, not at the top: pyarrow takes a third of a second to import
    import pyarrow.json as pa_json

    schema = pa.schema([(name, getattr(pa, _ARROW_TYPES[kinds[name]])()) for name in names])
    lines = _JsonLines(content, start + 1, stop - 1)
    try:
        table = pa_json.read_json(lines, read_options=pa_json.ReadOptions(use_threads=_threads(content)),
                                  parse_options=pa_json.ParseOptions(explicit_schema=schema,
                                                                     unexpected_field_behavior="error"))
    except pa.ArrowInvalid:
        return None
    if table.num_rows != lines.separators + 1 or table.column_names != names:
        return None
    return _arrow_columns(table)


def _first_row(content, start):
    """The first value of a JSON array whose items begin at ``start``, decoded alone (`None` if unreadable)."""
    decoder = json.JSONDecoder()
    size = 1 << 12
    while True:
        text = content[start:start + size].decode("utf-8", errors="replace")  # a cut character is past the row
        try:
            return decoder.raw_decode(text.lstrip())[0]
        except json.JSONDecodeError:
            if start + size >= len(content):
                return None
            size *= 4


class _JsonLines(io.RawIOBase):
    """
    The items of a JSON array of objects, ``content[start:stop]``, read as one object per line.

    Each block handed out has its ``},{`` written ``}\\n{``; a block never ends on ``}`` or
    ``,``, so that no separator is split between two blocks. ``separators`` counts them.
    """

    def __init__(self, content, start, stop):
        super().__init__()
        self._content, self._position, self._stop = content, start, stop
        self.separators = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        start = self._position
        end = min(start + len(buffer), self._stop)
        if end < self._stop:
            while end > start + 1 and self._content[end - 1] in b"},":
                end -= 1
        block = self._content[start:end]
        self.separators += block.count(b"},{")
        block = block.replace(b"},{", b"}\n{")
        buffer[:len(block)] = block
        self._position = end
        return len(block)


def _csv_header(content):
    """The column names of a csv answer: its first record, read without decoding the rest."""
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8", newline="")
    return next(csv.reader(text))


def _read_csv(content, kinds=None):
    if not content or content.isspace():  # an empty answer is a lone newline (pandas read_csv would raise on it)
        return []
    # pandas ends every line with a newline: a body without one was cut short on the way
    if not content.endswith(b"\n"):
        raise TableParseError("the csv answer is incomplete (it does not end with a line end)")
    names = _csv_header(content)
    check("max_columns", len(names), "the csv answer has a header of")
    # A row of n fields takes n bytes at the least (n - 1 commas and a line end): an upper bound
    # on the rows without a pass over the body; the line ends are counted only past a limit.
    lines = len(content) // max(1, len(names))
    if lines > limit("max_rows") or len(names) * lines > limit("max_cells"):
        lines = content.count(b"\n") - 1
    check("max_rows", lines, "the csv answer holds")
    check("max_cells", len(names) * lines, "the csv answer holds")
    columns = _read_csv_arrow(content, names, kinds or {})
    return _read_csv_text(content, names) if columns is None else columns


# Up to this many bytes Arrow reads with its threads: faster on small answers (a quarter of the
# time at 1,000 rows), where the memory each thread keeps for itself does not matter; beyond,
# one thread (Arrow's threads hold about 3x the Table at 200,000 rows).
_THREADED_BYTES = 1 << 20


def _threads(content):
    return len(content) <= _THREADED_BYTES


def _read_csv_arrow(content, names, kinds):
    """
    The columns of a csv answer read by Arrow, typed from the column map; `None` when Arrow refuses them.

    Arrow is told exactly what the text means, as the server's pandas writes it: a missing value
    is an empty field or the text ``nan`` (pandas 2 servers), booleans are ``True``/``False``,
    integers are parsed as integers (ids above 2**53 stay exact). A value that does not parse as
    its column's type (text in a float column, an integer beyond int64, a boolean written
    otherwise) makes Arrow refuse the answer: it is then read as text (`_read_csv_text`), where
    each column is kept as received, with a warning.
    """
    import pyarrow as pa  # here, not at the top: pyarrow takes a third of a second to import
    import pyarrow.csv as pa_csv

    if len(set(names)) != len(names):  # Arrow's types are given by name
        return None
    # a column the map does not know is read as text, and its kind inferred from it as in any format
    types = {name: getattr(pa, _ARROW_TYPES[kinds[name]])() if name in kinds else pa.string() for name in names}
    # a line end inside a value needs quotes: Arrow's faster reading without them is kept for bodies with none
    parse = pa_csv.ParseOptions(newlines_in_values=b'"' in content)
    convert = pa_csv.ConvertOptions(column_types=types, null_values=list(_MISSING_TEXT), true_values=list(_TRUE_TEXT),
                                    false_values=list(_FALSE_TEXT), strings_can_be_null=True,
                                    quoted_strings_can_be_null=True)
    try:
        table = pa_csv.read_csv(io.BytesIO(content), read_options=pa_csv.ReadOptions(use_threads=_threads(content)),
                                parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid:
        return None
    if table.column_names != names:
        return None
    return _arrow_columns(table)


def _read_csv_text(content, names):
    """The columns of a csv answer as text, read by Python's csv module (slow, but takes anything)."""
    text = content.decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    next(reader)
    rows = list(reader)
    if any(len(row) != len(names) for row in rows):
        raise TableParseError(f"the csv answer has rows with another number of fields than its {len(names)} columns")
    columns = []
    for index, name in enumerate(names):
        values = np.array([row[index] for row in rows], dtype=str) if rows else np.array([], dtype=str)
        columns.append((name, values, values == ""))
    return columns


def _read_parquet(content, kinds=None):
    import pyarrow as pa  # here, not at the top: pyarrow takes a third of a second to import
    import pyarrow.parquet as pq

    source = pq.ParquetFile(pa.BufferReader(content))  # the bytes themselves: no copy of the answer
    # The server writes the DataFrame index (HBase row keys) as the extra column __index_level_0__;
    # pandas metadata names it. Not reading it at all saves its memory and time.
    metadata = source.schema_arrow.pandas_metadata or {}
    index_names = {name for name in metadata.get("index_columns", []) if isinstance(name, str)}
    index_names.add("__index_level_0__")
    wanted = [name for name in source.schema_arrow.names if name not in index_names]
    # the footer declares the rows: a few kB of a constant column can hold millions of them
    check("max_rows", source.metadata.num_rows, "the parquet answer holds")
    check("max_columns", len(wanted), "the parquet answer has")
    check("max_cells", source.metadata.num_rows * len(wanted), "the parquet answer holds")
    if source.metadata.num_rows < _COLUMNWISE_ROWS:
        return _arrow_columns(source.read(columns=wanted))
    # one column at a time: Arrow's copy of the answer (and its decompression buffers) is then
    # that of one column, not of the whole table next to its numpy conversion
    columns = []
    for name in wanted:
        values, mask = _arrow_values(source.read(columns=[name]).column(0))
        columns.append((name, values, mask))
    return columns


# Rows from which a parquet answer is read column by column: below, the memory saved is small and
# the fixed cost of one read per column (~0.2 ms) is not.
_COLUMNWISE_ROWS = 50_000


def _arrow_columns(table):
    """
    ``(name, values, mask)`` of each column of an Arrow table, as numpy arrays.

    Arrow's columns are let go of as they are converted (the caller must hold no other
    reference to ``table``), so that Arrow's copy and numpy's coexist one column at a time.
    """
    names, chunked_columns = table.column_names, table.columns
    del table
    columns = []
    for name in names:
        values, mask = _arrow_values(chunked_columns.pop(0))
        columns.append((name, values, mask))
    return columns


def _arrow_values(chunked):
    """Numpy values and mask of one Arrow column, converted by Arrow and numpy (no loop over the values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = chunked.is_null().to_numpy(zero_copy_only=False) if chunked.null_count else np.zeros(len(chunked), bool)
    if pa.types.is_null(chunked.type):
        return _object_array([None] * len(chunked)), mask
    if pa.types.is_integer(chunked.type) or pa.types.is_boolean(chunked.type):
        # fill nulls first: to_numpy would otherwise turn nullable ints into floats
        filler = False if pa.types.is_boolean(chunked.type) else 0
        return (chunked.fill_null(filler) if chunked.null_count else chunked).to_numpy(), mask
    if pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type):
        # Arrow's only route to numpy text goes through one Python string per value: taken for
        # the distinct values alone (a band, a class name: a handful for 200k rows), which
        # numpy then copies to their places.
        filled = (chunked.fill_null("") if chunked.null_count else chunked).combine_chunks()
        encoded = filled.dictionary_encode()
        del filled
        distinct = encoded.dictionary
        width = pc.max(pc.utf8_length(distinct)).as_py() or 1
        texts = distinct.to_numpy(zero_copy_only=False).astype((np.str_, width))
        return texts[encoded.indices.to_numpy()], mask
    values = chunked.to_numpy(zero_copy_only=False)
    # A view of Arrow's memory is copied now rather than when the nulls are written: Arrow's
    # memory then goes with its column, and Arrow reuses it for the next one (numpy cannot).
    return (values if values.flags.writeable else values.copy()), mask


_READERS = {
    "votable": _read_votable,
    "json": _read_json,
    "csv": _read_csv,
    "parquet": _read_parquet,
}

#: The tabular formats the server serializes, our default first: VOTable carries types and nulls,
#: while the server's own default (json) rounds floats to 10 decimals.
OUTPUT_FORMATS = tuple(_READERS)

# Media types each format may come with: the server's exact ones first (it sends application/csv and
# the bare word "parquet"), then the standard names a proxy or a future server could use. An error
# page (text/html) is none of them.
_MEDIA_TYPES = {
    "votable": ("text/xml", "application/xml", "application/x-votable+xml"),
    "json": ("application/json",),
    "csv": ("application/csv", "text/csv"),
    "parquet": ("parquet", "application/vnd.apache.parquet", "application/octet-stream"),
}


# --- normalization: (values, mask, kind) -> Column of the one dtype per kind -----------------


# The kind of a column of numbers or booleans, from its numpy dtype.
_KIND_OF_DTYPE = {"i": "int", "u": "int", "f": "float", "b": "bool"}


def _is_bool(value):
    return isinstance(value, (bool, np.bool_)) or value in _TRUE_TEXT + _FALSE_TEXT


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float, np.number))


def _parses_as(parse):
    """A test of whether ``parse`` (``int`` or ``float``) accepts a value."""
    def test(value):
        try:
            parse(value)
        except (TypeError, ValueError):
            return False
        return True
    return test


# Tests on the values present in a column of Python objects or text, most specific first: the
# first one that every value passes gives the kind. Text of numbers only counts in text or
# object arrays.
_VALUE_TESTS = (("bool", _is_bool), ("int", _is_int), ("float", _is_number))
_TEXT_TESTS = (("int", _parses_as(int)), ("float", _parses_as(float)))


def _infer_kind(values, mask):
    """Guess the kind of a column the column map does not know, from its data."""
    if values.dtype.kind in _KIND_OF_DTYPE:
        return _KIND_OF_DTYPE[values.dtype.kind]
    if values.dtype.kind == "U":
        # text: each distinct value tested once (a flag or a label column holds a handful)
        distinct = np.unique(values[~np.asarray(mask, dtype=bool)]).tolist()
        present = [value for value in distinct if value not in _MISSING_TEXT]
    else:
        present = [value for value, missing in zip(values, mask, strict=True)
                   if not missing and value not in _MISSING_TEXT]
    tests = _VALUE_TESTS + (_TEXT_TESTS if values.dtype.kind in "UO" else ())
    if present:
        for kind, test in tests:
            if all(test(value) for value in present):
                return kind
    return "str"


# The Python types of the values JSON decodes to (nested lists and objects aside): a column holding
# only these is converted by numpy's loops, elementwise comparisons included; any other object goes
# through the slower loops written in Python below, which take anything.
_PLAIN_TYPES = {type(None), str, int, float, bool}


def _value_types(values):
    """The set of Python types of the values of an object array."""
    return set(map(type, values.tolist()))


def _text_missing(values):
    """Mask of the entries that mean "no value" in a text or object array."""
    if values.dtype.kind == "U":
        return (values == "") | (values == "nan")
    if _value_types(values) <= _PLAIN_TYPES:
        return np.equal(values, None) | (values == "") | (values == "nan")
    return np.array([value is None or (isinstance(value, str) and value in _MISSING_TEXT) for value in values],
                    dtype=bool)


_INT_RANGE = np.iinfo(_INT)


def _as_int(values, mask):
    # Never a clamp, a wrap-around or a truncation: a value int64 cannot hold exactly raises
    # (OverflowError, ValueError) and the column is kept as received, with a warning.
    if values.dtype.kind == "u" and len(values) and values.max() > _INT_RANGE.max:
        raise OverflowError(f"unsigned values up to {values.max()} do not fit int64")
    if values.dtype.kind in "iu":
        return values.astype(_INT, copy=False), mask
    if values.dtype.kind == "f":
        mask = mask | np.isnan(values)
        present = values[~mask]
        # 2**63 is the first float above int64's range; -2**63 itself fits
        if len(present) and (present.min() < -2.0**63 or present.max() >= 2.0**63
                             or (present != np.trunc(present)).any()):
            raise ValueError("values with a fraction or outside the int64 range")
        return np.where(mask, 0, values).astype(_INT), mask
    mask = mask | _text_missing(values)
    data = np.zeros(len(values), dtype=_INT)
    present = values[~mask]
    types = _value_types(present) if values.dtype.kind == "O" else set()
    if types <= {int} and values.dtype.kind == "O":
        data[~mask] = present.astype(_INT)  # Python ints, exact; OverflowError beyond int64
    else:
        if float in types and not all(value.is_integer() for value in present if isinstance(value, float)):
            raise ValueError("values with a fraction")  # int() would truncate them
        # int() of the JSON integer or of the csv text keeps all 19 digits (no float on the way)
        data[~mask] = [int(value) for value in present]
    return data, mask


def _as_float(values, mask):
    if values.dtype.kind in "iuf":
        data = values.astype(_FLOAT, copy=False)
        if not data.flags.writeable:  # a zero-copy view of the answer: the nulls are written below
            data = data.copy()
    else:
        mask = mask | _text_missing(values)
        data = np.full(len(values), np.nan, dtype=_FLOAT)
        present = values[~mask]
        if values.dtype.kind == "O" and _value_types(present) <= {int, float}:
            data[~mask] = present.astype(_FLOAT)  # what float() gives each, in numpy's loop
        else:
            data[~mask] = [float(value) for value in present]
    mask = mask | np.isnan(data)
    data[mask] = np.nan
    return data, mask


def _as_bool(values, mask):
    if values.dtype.kind == "b":
        return values.astype(_BOOL), mask
    if values.dtype.kind == "U" or (values.dtype.kind == "O" and _value_types(values) <= {str, type(None)}):
        # the server's VOTable writes booleans as the text True/False
        true = np.logical_or.reduce([values == text for text in _TRUE_TEXT]).astype(_BOOL)
        false = np.logical_or.reduce([values == text for text in _FALSE_TEXT]).astype(_BOOL)
    elif values.dtype.kind == "O" and _value_types(values) <= {bool, type(None)}:
        true, false = (values == True).astype(_BOOL), (values == False).astype(_BOOL)  # noqa: E712 (elementwise)
    else:
        true = np.array([value is True or value in _TRUE_TEXT for value in values.tolist()], dtype=_BOOL)
        false = np.array([value is False or value in _FALSE_TEXT for value in values.tolist()], dtype=_BOOL)
    return true, mask | ~(true | false)


def _as_str(values, mask):
    if values.dtype.kind != "U":
        mask = mask | _text_missing(values)
        if values.dtype.kind == "O" and _value_types(values[~mask]) <= {str}:
            values = np.where(mask, "", values).astype(str)
        else:
            texts = ["" if missing else str(value) for value, missing in zip(values, mask, strict=True)]
            values = np.array(texts, dtype=str)
    mask = mask | (values == "") | (values == "nan")
    if (values[mask] != "").any():  # placeholders ("nan") or values under a null: blanked
        values = np.where(mask, "", values)
    # One width for one content: the width of the longest value present, whatever the format
    # padded to (the server sizes VOTable strings on the "nan" placeholders too).
    return values.astype(np.dtype((KIND_DTYPES["str"], _text_width(values))), copy=False), mask


def _text_width(values):
    """The length of the longest string of a unicode array (1 at the least)."""
    width = values.dtype.itemsize // 4
    if not len(values) or not width:
        return 1
    # a character in the last place of any value: the array's width is already that of the longest
    if values.flags.c_contiguous and values.view(np.uint32).reshape(len(values), width)[:, -1].any():
        return width
    return max(1, int(np.char.str_len(values).max()))


_CONVERTERS = {"int": _as_int, "float": _as_float, "bool": _as_bool, "str": _as_str}


def _column(name, values, mask, kind):
    mask = np.asarray(mask, dtype=bool)
    if kind is None:
        kind = _infer_kind(values, mask)
    try:
        data, mask = _CONVERTERS[kind](values, mask)
    except (ValueError, TypeError, OverflowError) as error:
        # The server sent something else than the column map expects: keep the values as they
        # came (nothing is lost) and say so, so that the map can be corrected. Integers beyond
        # int64 fail as ints too: they are kept as their exact text.
        fallback = _infer_kind(values, mask)
        try:
            data, fallback_mask = _CONVERTERS[fallback](values, mask)
        except (ValueError, TypeError, OverflowError):
            fallback = "str"
            data, fallback_mask = _CONVERTERS[fallback](values, mask)
        what = "text" if fallback == "str" else f"{fallback} values"
        warnings.warn(f"column {name} holds values that are not {kind} values ({error}); kept as received, "
                      f"as {what}", UnexpectedValuesWarning, stacklevel=4)
        mask = fallback_mask
    # plain numpy arrays: the Table makes the one Column of each (a Column made here would be made again)
    if len(data) and mask.any():
        return np.ma.MaskedArray(data, mask=mask, copy=False)
    return data


def _check_media_type(content, output_format, content_type):
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in _MEDIA_TYPES[output_format]:
        excerpt = content[:200].decode("utf-8", errors="replace")
        raise TableParseError(
            f"expected a {output_format} answer ({_MEDIA_TYPES[output_format][0]}) from the Fink API, "
            f"got {content_type or 'no Content-Type'}: {excerpt!r}"
        )


def _warn_unframed_csv(table):
    warnings.warn(f"the csv answer ({len(table):,} rows) came without length framing (no Content-Length, not "
                  "chunked) and csv has no end marker: an answer cut at a line end would read as a shorter "
                  "table. Ask in votable, json or parquet, whose end is checked, to be sure it is complete.",
                  UnverifiedAnswerWarning, stacklevel=3)


def decode_table(content, output_format, kinds=None, *, content_type=None, framed=None):
    """
    Decode a tabular answer of the Fink API into a `~astropy.table.Table`.

    Whatever the format, columns keep the API names (``r:psfFlux``), integers are exact
    ``int64``, floats ``float64``, booleans ``bool`` and strings unicode sized to their longest
    value; missing values (JSON ``null``, empty fields, ``NaN``, the text ``"nan"``) are masked.
    The parquet row-key column ``__index_level_0__`` is dropped.

    Parameters
    ----------
    content : bytes
        Response body.
    output_format : str
        One of ``votable``, ``json``, ``csv``, ``parquet``.
    kinds : dict of str to str, optional
        Column name to ``"int"``, ``"float"``, ``"bool"`` or ``"str"``, as
        `~astroquery_fink.columns.column_kinds` gives them; the kind of a column not in it is
        inferred from the data. The column map is the source of truth: it keeps a column typed
        even when every value is missing.
    content_type : str, optional
        The answer's Content-Type; when given, it must be one the format is served with.
    framed : bool, optional
        Whether the HTTP answer had length framing (``Content-Length`` or chunked transfer
        encoding), which lets the transport notice a body cut short. ``False`` with a csv answer,
        which has no end marker of its own, gives an
        `~astroquery_fink.limits.UnverifiedAnswerWarning`; `None` (unknown) and ``True`` do not.

    Raises
    ------
    astroquery.exceptions.TableParseError
        If the body cannot be read in that format.
    astroquery_fink.limits.DecodeLimitError
        A `~astroquery.exceptions.TableParseError` raised when the answer declares more rows,
        columns, cells or wider strings than the decoder limits allow (`astroquery_fink.limits`).
    """
    if content_type is not None:
        _check_media_type(content, output_format, content_type)
    kinds = kinds or {}
    try:
        raw_columns = _READERS[output_format](content, kinds)
        names, columns = [], []
        while raw_columns:  # convert and let go of each raw column in turn: one copy at a time in memory
            name, values, mask = raw_columns.pop(0)
            names.append(name)
            columns.append(_column(name, values, mask, kinds.get(name)))
    except TableParseError:
        raise
    except Exception as error:  # any reader failure is a malformed answer, reported with its cause
        raise TableParseError(f"could not read the {output_format} answer of the Fink API: {error}") from error
    table = Table(columns, names=names, copy=False)
    if output_format == "csv" and framed is False:
        _warn_unframed_csv(table)
    return table
