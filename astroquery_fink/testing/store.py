"""In-memory emulation of Fink's HBase tables: salted row keys, prefix scans, column filter and decoding."""

import bisect
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "NLIMIT",
    "HBASE_TYPES",
    "HBaseTable",
    "Store",
    "ScanResult",
    "row_key",
    "object_prefixes",
    "NO_SUFFIX",
    "read",
    "decode",
    "hbase_text",
    "java_hashmap_order",
    "raw_scan",
]

#: Row cap of one HBase scan call (``NLIMIT`` of the server's config.yml): per id, pixel or alias, not per answer.
NLIMIT = 10_000

#: Column-map type -> HBase schema-row type name (the names the decoder knows; any other one is a 500).
HBASE_TYPES = {
    "long": "long",
    "int": "integer",
    "integer": "integer",
    "float": "float",
    "double": "double",
    "string": "string",
    "boolean": "boolean",
}

# Storage dtype of each HBase type: what ``astype`` of the decoder yields (integers as ``Int64``);
# booleans stay the strings "true"/"false" until the decoder's frame-wide replace.
_DTYPES = {
    "integer": "Int64",
    "long": "Int64",
    "float": "float64",
    "double": "float64",
    "string": "str",
    "boolean": "str",
}


def row_key(*parts):
    """
    Join row-key parts with ``_`` as the broker does, floats written with Python ``str``.

    Parameters
    ----------
    *parts : object
        Salt, identifier, time...

    Returns
    -------
    str
        The row key, e.g. ``318_314003014107006318_61176.9896294959``.
    """
    return "_".join(str(p) for p in parts)


#: Marker for "no ``midpointMjdTai`` in the payload" (``None`` is a legitimate JSON value).
NO_SUFFIX = object()


def object_prefixes(dia_object_id, suffix=NO_SUFFIX):
    """
    Row-key prefixes scanned for a ``diaObjectId`` argument, as the server builds them.

    Mirrors the route code: a value containing ``,`` is split and every piece
    stripped; a single id is used verbatim (not stripped); the salt is ``id[-3:]``. The
    optional ``suffix`` (sources' ``midpointMjdTai``) is appended with ``str.format``
    semantics, for a single id only. Short or non-numeric ids need no special case: their
    prefix simply matches no row key. A non-string id raises ``TypeError`` as on the
    server (then a 500).

    Parameters
    ----------
    dia_object_id : str
        The payload value.
    suffix : object, optional
        Appended after ``_`` to a single id's prefix (even ``None``, which gives ``..._None``
        as on the server); omitted = no suffix.

    Returns
    -------
    list of str
    """
    if "," in dia_object_id:
        pieces = [piece.strip() for piece in dia_object_id.split(",")]
        return [f"{piece[-3:]}_{piece}" for piece in pieces]
    salt = dia_object_id[-3:]
    key = dia_object_id if suffix is NO_SUFFIX else f"{dia_object_id}_{suffix}"
    return [f"{salt}_{key}"]


_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))


def _java_trim(text):
    # java.lang.String.trim strips every char <= U+0020
    return text.strip(_JAVA_WHITESPACE)


def _java_split(text, sep):
    # java.lang.String.split drops trailing empty strings (and "" splits to [""])
    if text == "":
        return [""]
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _increment(data):
    # HBase Bytes.unsignedCopyAndIncrement: +1 on the last byte, with carry
    out = bytearray(data)
    for i in range(len(out) - 1, -1, -1):
        if out[i] < 0xFF:
            out[i] += 1
            return bytes(out)
        out[i] = 0
    return b"\x01" + bytes(out)


@dataclass(frozen=True)
class ScanResult:
    """
    Rows returned by one scan call.

    Attributes
    ----------
    positions : numpy.ndarray
        Positions of the rows in the table's key order (ascending row key).
    columns : tuple of str
        Columns whose cells the scan returned (``()`` = none, only the row keys).
    """

    positions: np.ndarray
    columns: tuple


class HBaseTable:
    """
    One HBase table: sorted row keys, typed cells, and the schema row.

    A missing value is an absent cell (the hbase-spark writer skips nulls), which is what
    the decoder's null-filling and the ``columns`` filter act upon (see
    ``docs/fink/server_behaviour.rst``, "Rows vanish when you select columns").

    Parameters
    ----------
    name : str
        Table name, e.g. ``rubin.fp``.
    schema : dict
        Column name -> HBase type (``long``, ``integer``, ``float``, ``double``, ``string``,
        ``boolean``), i.e. the table's schema row.
    frame : pandas.DataFrame
        Cells, indexed by unique row keys; NA means "no cell". Columns outside ``schema``
        are ignored (Lomikel only returns schema columns), schema columns absent from the
        frame have no cell in any row.
    """

    def __init__(self, name, schema, frame):
        self.name = name
        # Lomikel's schema row is a TreeMap: code-point order of the full names (all f: before r:)
        self.schema = {col: schema[col] for col in sorted(schema)}
        self.families = frozenset(col.split(":", 1)[0] for col in self.schema)
        keys = np.asarray(frame.index, dtype=object).astype(str)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order].tolist()
        if len(set(self.keys)) != len(self.keys):
            raise ValueError(f"{name}: row keys must be unique")
        n = len(self.keys)
        self._cells = {}
        self._present = {}
        for col, hbase_type in self.schema.items():
            dtype = _DTYPES[hbase_type]
            if col in frame.columns:
                values = frame[col].iloc[order]
                if hbase_type == "boolean":
                    values = values.map({True: "true", False: "false"}, na_action="ignore")
                series = pd.Series(values.to_numpy(), dtype=dtype)
            else:
                series = pd.Series([None] * n, dtype=dtype)
            self._cells[col] = series.array
            self._present[col] = series.notna().to_numpy()

    def __len__(self):
        return len(self.keys)

    def _prefix_range(self, prefix):
        lo = bisect.bisect_left(self.keys, prefix)
        if prefix == "":
            return lo, len(self.keys)
        # keys are compared by code point, which is also their UTF-8 byte order
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return lo, bisect.bisect_left(self.keys, upper)

    def match(self, prefix_arg):
        """
        Positions of the rows a Lomikel ``key:key:<value>`` search finds (comma = alternatives).

        Parameters
        ----------
        prefix_arg : str

        Returns
        -------
        numpy.ndarray
        """
        return self._match(prefix_arg)

    def _match(self, prefix_arg):
        """Positions of rows matching Lomikel's ``key:key:<value>`` search (OR of prefixes)."""
        prefixes = _java_split(prefix_arg, ",")
        if not prefixes:
            # Lomikel calls first() on an empty key set -> Java exception -> 500 on the server
            raise LookupError(f"no row-key prefix in {prefix_arg!r}")
        if len(prefixes) == 1:
            lo, hi = self._prefix_range(prefixes[0])
            return np.arange(lo, hi)
        hits = set()
        for prefix in prefixes:
            lo, hi = self._prefix_range(prefix)
            hits.update(range(lo, hi))
        # Lomikel also bounds the scan by [first key, increment(last key)] (bytes, inclusive)
        first = min(p.encode() for p in prefixes)
        last = _increment(max(p.encode() for p in prefixes))
        kept = [i for i in sorted(hits) if first <= self.keys[i].encode() <= last]
        return np.asarray(kept, dtype=int)

    def _requested(self, columns):
        """Cells asked for by a Lomikel filter string; None = the scan is rejected by HBase."""
        trimmed = _java_trim(columns)
        if "*" in trimmed:
            return tuple(self.schema)
        if trimmed == "":
            # no addColumn on the HBase side, but Lomikel keeps no cell: rows with keys only
            return ()
        wanted = []
        for entry in columns.split(","):
            if ":" not in entry:
                continue  # HBase side ignores an entry without ':'
            parts = _java_split(entry, ":")
            family, qualifier = parts[0], parts[1]  # IndexError for "r:" as in Java -> 500
            if family not in self.families:
                return None  # NoSuchColumnFamilyException: the scan fails, no rows (inferred, not observed)
            name = f"{family}:{qualifier}"
            if name in self.schema and name not in wanted:
                wanted.append(name)
        return tuple(wanted)

    def scan(self, prefix, columns="*", limit=NLIMIT):
        """
        One Lomikel prefix scan.

        Parameters
        ----------
        prefix : str
            Row-key prefix; commas separate alternative prefixes, as in Lomikel.
        columns : str
            Filter string: ``*`` anywhere = all cells; otherwise comma-separated
            ``family:qualifier`` names (unknown names dropped, entries without ``:``
            ignored); an empty filter returns rows without cells.
        limit : int or None
            Maximum number of rows (first rows in key order); None = no cap.

        Returns
        -------
        ScanResult
        """
        return self.select(self._match(prefix), columns, limit)

    def select(self, positions, columns="*", limit=NLIMIT):
        """
        Apply a Lomikel column filter and row limit to rows found by a scan.

        Parameters
        ----------
        positions : numpy.ndarray
            Rows matched by the row-key search, in scan order.
        columns : str
            Filter string, as for `scan`.
        limit : int or None
            Maximum number of rows returned (Lomikel stops at ``limit``, so 0 or less gives
            none); None = no cap.

        Returns
        -------
        ScanResult
        """
        requested = self._requested(columns)
        if requested is None:
            return ScanResult(np.asarray([], dtype=int), ())
        if _java_trim(columns) != "" and "*" not in _java_trim(columns):
            # HBase returns a row only if it has at least one of the requested cells
            keep = np.zeros(len(positions), dtype=bool)
            for col in requested:
                keep |= self._present[col][positions]
            positions = positions[keep]
        if limit is not None:
            positions = positions[: max(limit, 0)]
        return ScanResult(positions, requested)

    def prefix_positions(self, prefix):
        """
        Rows whose key starts with ``prefix``, in key order (one PrefixFilter, no comma split).

        Parameters
        ----------
        prefix : str

        Returns
        -------
        numpy.ndarray
        """
        lo, hi = self._prefix_range(prefix)
        return np.arange(lo, hi)

    def range_positions(self, first, last, reverse=False):
        """
        Rows of a Lomikel range scan between two row keys (``setRangeScan(True)``).

        Lomikel sorts the two bounds and scans ``[min, increment(max)]`` inclusive,
        comparing bytes, so keys that start with the upper bound are inside the range.

        Parameters
        ----------
        first, last : str
            The two bounds, in any order.
        reverse : bool, optional
            ``setReversed(True)``: rows come newest (largest key) first.

        Returns
        -------
        numpy.ndarray
        """
        low, high = sorted((first, last))
        lo = bisect.bisect_left(self.keys, low)
        top = _increment(high.encode())
        hi = lo
        while hi < len(self.keys) and self.keys[hi].encode() <= top:
            hi += 1
        positions = np.arange(lo, hi)
        return positions[::-1] if reverse else positions

    def text(self, col, position):
        """
        A cell as the HBase string Lomikel hands to Python (None when there is no cell).

        Parameters
        ----------
        col : str
        position : int

        Returns
        -------
        str or None
        """
        if not self._present[col][position]:
            return None
        return hbase_text(self._cells[col][position], self.schema[col])

    def cells(self, col, positions):
        """
        Typed cells of one column at the given positions (NA where there is no cell).

        Parameters
        ----------
        col : str
        positions : numpy.ndarray

        Returns
        -------
        pandas.api.extensions.ExtensionArray or numpy.ndarray
        """
        return self._cells[col].take(positions)

    def present(self, col, positions):
        """
        Whether each row at ``positions`` has a cell in ``col``.

        Parameters
        ----------
        col : str
        positions : numpy.ndarray

        Returns
        -------
        numpy.ndarray of bool
        """
        return self._present[col][positions]


def _java_decimal(digits, exponent, negative):
    """Java ``Double.toString`` layout of the shortest decimal ``0.digits * 10**exponent``."""
    sign = "-" if negative else ""
    point = exponent  # position of the decimal point counted from the first digit
    if -3 < point <= 7:
        # plain notation for 1e-3 <= |x| < 1e7, always with a fractional digit
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        whole, frac = digits[:point].ljust(point, "0"), digits[point:]
        return f"{sign}{whole}.{frac or '0'}"
    frac = digits[1:] or "0"
    return f"{sign}{digits[0]}.{frac}E{point - 1}"


def _java_float_text(value, single):
    """``Double.toString``/``Float.toString`` (shortest round-trip digits, JDK >= 19)."""
    value = float(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if str(value).startswith("-") else "0.0"
    text = np.format_float_scientific(np.float32(value) if single else value, unique=True, trim="-")
    mantissa, exp = text.split("e")
    negative = mantissa.startswith("-")
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    return _java_decimal(digits, int(exp) + 1, negative)


def hbase_text(value, hbase_type):
    """
    A typed cell written back as the string HBase/Lomikel stores (what resolver and statistics return).

    Integers in decimal, doubles and floats as Java's ``Double.toString`` and
    ``Float.toString`` (``1.0E-4``, ``61176.9896294959``), booleans ``true``/``false``.

    Parameters
    ----------
    value : object
        The typed value.
    hbase_type : str
        ``long``, ``integer``, ``float``, ``double``, ``string`` or ``boolean``.

    Returns
    -------
    str
    """
    if hbase_type in ("long", "integer"):
        return str(int(value))
    if hbase_type in ("float", "double"):
        return _java_float_text(value, single=hbase_type == "float")
    if hbase_type == "boolean":
        return str(value).lower()
    return str(value)


def _java_string_hash(text):
    # String.hashCode over UTF-16 code units, as an unsigned 32-bit value
    data = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def java_hashmap_order(keys):
    """
    Iteration order of a ``java.util.HashMap`` filled with ``keys`` one by one.

    The server merges several scans into a Python dict, which py4j turns into a
    ``HashMap`` before Gson serializes it (``hbase_to_dict``): rows then come in bucket
    order, not in key order. Buckets are ``(h ^ h >>> 16) & (capacity - 1)`` with the
    capacity doubling from 16 whenever the size exceeds 3/4 of it; a bucket keeps
    insertion order.

    Parameters
    ----------
    keys : sequence of str
        Distinct row keys in insertion order.

    Returns
    -------
    list of int
        Indices into ``keys`` in iteration order.
    """
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    buckets = []
    for i, key in enumerate(keys):
        h = _java_string_hash(key)
        buckets.append(((h ^ (h >> 16)) & (capacity - 1), i))
    return [i for _, i in sorted(buckets)]


def raw_scan(table, positions, columns="*", limit=NLIMIT, ifkey=False):
    """
    Rows as ``hbase_to_dict`` gives them: HBase strings, untyped (as resolver and statistics return them).

    Emulates Lomikel's two filters: HBase returns the requested ``family:qualifier``
    cells (all cells when there is none, e.g. ``key`` or ``""``, and no row at all for an
    unknown family), then Lomikel keeps a cell only if its full name is a *substring* of
    the filter string (or the filter contains ``*``).

    Parameters
    ----------
    table : HBaseTable
    positions : numpy.ndarray
        Rows matched by the row-key search, in scan order.
    columns : str
        The filter string as the route passes it.
    limit : int or None
        Lomikel row limit (``setLimit``); 0 or less gives no row.
    ifkey : bool, optional
        Add the ``key:key`` pseudo-column (the row key).

    Returns
    -------
    dict of str to dict of str to str
        Row key -> column -> text, in scan order.
    """
    scanned = _hbase_cells(table, positions, columns)
    if scanned is None:
        return {}  # NoSuchColumnFamilyException: the scan fails (inferred, not observed)
    positions, candidates = scanned
    if limit is not None:
        positions = positions[: max(limit, 0)]
    shown = [col for col in candidates if "*" in columns or col in columns]
    rows = {}
    for position in positions:
        key = table.keys[position]
        row = {col: text for col in shown if (text := table.text(col, position)) is not None}
        if ifkey:
            row["key:key"] = key
        rows[key] = dict(sorted(row.items()))  # Lomikel's TreeMap
    return rows


def _hbase_cells(table, positions, columns):
    """
    The rows and cells HBase sends for a filter string, before Lomikel's substring test.

    Returns
    -------
    (numpy.ndarray, tuple of str) or None
        Positions of the rows sent and the columns requested; None for an unknown family.
    """
    trimmed = _java_trim(columns)
    entries = [] if "*" in trimmed or trimmed == "" else [e for e in columns.split(",") if ":" in e]
    if not entries:
        # no addColumn at all: HBase sends every cell, Lomikel's substring test sorts them out
        return positions, tuple(table.schema)
    server = table._requested(columns)
    if server is None:
        return None
    # HBase only returns rows holding one of the requested cells
    keep = np.zeros(len(positions), dtype=bool)
    for col in server:
        keep |= table.present(col, positions)
    return positions[keep], server


class Store:
    """
    A set of HBase tables by name, each indexed on first use.

    Parameters
    ----------
    tables : iterable of HBaseTable, or mapping of str to callable
        The tables; or table name -> function of no argument returning that `HBaseTable`,
        called once, when a route first reads the table (a replica answering one kind of query
        indexes one table).
    """

    def __init__(self, tables):
        if isinstance(tables, Mapping):
            self._makers = dict(tables)
            self._tables = {}
        else:
            self._tables = {table.name: table for table in tables}
            self._makers = {}
        self._lock = threading.Lock()

    @property
    def tables(self):
        """The names of the tables, in order (a table is indexed when read with ``store[name]``)."""
        return list(self._makers) if self._makers else list(self._tables)

    def __getitem__(self, name):
        table = self._tables.get(name)
        if table is None:
            with self._lock:  # the replica serves requests in threads: index a table once
                if name not in self._tables:
                    self._tables[name] = self._makers[name]()
                table = self._tables[name]
        return table


def _merge(scans):
    """Union of several scans in ``dict.update`` order: first occurrence wins (duplicate ids collapse)."""
    if len(scans) == 1:
        return scans[0].positions
    allpos = np.concatenate([s.positions for s in scans]) if scans else np.asarray([], dtype=int)
    _, first = np.unique(allpos, return_index=True)
    return allpos[np.sort(first)]


def _column_order(table, positions, columns):
    """Columns of ``DataFrame.from_dict(rows, orient="index")``: first appearance over rows.

    Each row's cells come sorted (Lomikel TreeMap), so a column enters the frame at the
    first row that has it; ties within a row are broken by name.
    """
    firsts = []
    for col in columns:
        present = table.present(col, positions)
        if present.any():
            firsts.append((int(np.argmax(present)), col))
    return [col for _, col in sorted(firsts)]


def read(table, prefixes, columns="*", limit=NLIMIT, *, truncated=None, hashmap=False, sort=True, pandas_major=3):
    """
    Scan a table for several prefixes and decode the result like the server.

    Emulates ``format_lsst_hbase_output``: without a column filter (``*``)
    every schema column is returned, null-filled when no row has a cell; with a filter only
    the columns that came back; types restored (``Int64``, float64, ``str``, booleans as
    Python ``True``/``False``); rows sorted by ``r:midpointMjdTai`` descending when present.

    Parameters
    ----------
    table : HBaseTable
    prefixes : list of str
        One scan per prefix (each capped at ``limit`` rows), merged in order.
    columns : str
        The server's ``cols`` string (``*`` when the payload has no ``columns``).
    limit : int or None
        Per-scan row cap (``NLIMIT``).
    truncated : bool, optional
        The decoder's ``truncated`` flag; default: ``columns != "*"``. Conesearch and
        skymap decode full reads truncated too (no null-filling).
    hashmap : bool, optional
        The route merged its scans into a Python dict, which reaches Gson as a Java
        ``HashMap``: rows in `java_hashmap_order` (first-appearance column order follows).
    sort : bool, optional
        Sort by ``r:midpointMjdTai`` descending when present (the skymap's ZTF decoder does not).
    pandas_major : {3, 2}, optional
        Pandas major version of the emulated server (see `decode`).

    Returns
    -------
    pandas.DataFrame
        Indexed by row key; ``pandas.DataFrame({})`` when no row matched.
    """
    scans = [table.scan(prefix, columns, limit) for prefix in prefixes]
    positions = _merge(scans)
    if hashmap:
        positions = positions[java_hashmap_order([table.keys[i] for i in positions])]
    returned = scans[0].columns if scans else ()
    if truncated is None:
        truncated = columns != "*"
    return decode(table, positions, returned, truncated=truncated, sort=sort, pandas_major=pandas_major)


def _pandas2_text(cells, filled):
    """A string/boolean column after the pandas-2 decoder's ``astype(str)``: an object column.

    ``astype(str)`` writes a missing cell as the *string* ``"nan"``; a column that no row
    had is built from ``[None] * n`` instead, which pandas 2 keeps as ``None``.
    """
    values = np.asarray(cells.astype(object), dtype=object).copy()
    missing = pd.isna(cells)
    values[np.asarray(missing, dtype=bool)] = None if filled else "nan"
    return values


def decode(table, positions, returned, *, truncated=True, sort=True, pandas_major=3):
    """
    Decode rows found by a scan (``format_lsst_hbase_output``: types restored from the schema row).

    Parameters
    ----------
    table : HBaseTable
    positions : numpy.ndarray
        Rows, in the order the decoder receives them.
    returned : tuple of str
        Columns the scan asked HBase for (`ScanResult.columns`).
    truncated : bool, optional
        True: only the columns with at least one cell, in first-appearance order;
        False: every schema column, null-filled.
    sort : bool, optional
        Sort by ``r:midpointMjdTai`` descending when that column is present.
    pandas_major : {3, 2}, optional
        Pandas major version of the emulated server. Under pandas 3 string columns are of
        ``str`` dtype (missing = NaN); under pandas 2 they are object columns in which a
        missing cell is the string ``"nan"``, or ``None`` when the column was null-filled.
        Booleans are object columns in both (``True``/``False`` and the missing marker).

    Returns
    -------
    pandas.DataFrame
    """
    if len(positions) == 0:
        return pd.DataFrame({})
    if truncated:
        names = _column_order(table, positions, returned)
    else:
        names = list(table.schema)
    index = pd.Index([table.keys[i] for i in positions])
    data = {}
    for name in names:
        cells = table.cells(name, positions)
        if pandas_major == 2 and table.schema[name] in ("string", "boolean"):
            # a column is null-filled when none of the decoded rows has a cell in it
            filled = not table.present(name, positions).any()
            data[name] = pd.Series(_pandas2_text(cells, filled), index=index, dtype=object)
        else:
            data[name] = pd.Series(cells, index=index)
    # no column came back (e.g. ``columns=""``): the decoder rebuilds an index-less frame
    frame = pd.DataFrame(data) if data else pd.DataFrame({})
    # the decoder's frame-wide replace turns boolean strings into Python bools (object column)
    frame = frame.replace(to_replace={"true": True, "false": False})
    if sort and "r:midpointMjdTai" in frame.columns:
        frame = frame.sort_values("r:midpointMjdTai", ascending=False)
    return frame
