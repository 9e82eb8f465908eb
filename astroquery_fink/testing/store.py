"""In-memory emulation of Fink's HBase tables: salted row keys, prefix scans, column filter and decoding."""

import bisect
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
]

#: Row cap of one HBase scan call (``NLIMIT`` of the server's config.yml, spec §1.1).
NLIMIT = 10_000

#: Column-map type -> HBase schema-row type name (the names the decoder knows, spec §1.6).
HBASE_TYPES = {
    "long": "long",
    "int": "integer",
    "integer": "integer",
    "float": "float",
    "double": "double",
    "string": "string",
    "boolean": "boolean",
}

# Storage dtype of each HBase type: what ``astype`` of the decoder yields (spec §1.6);
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
    Join row-key parts with ``_`` (spec §1.7), floats written with Python ``str``.

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

    Mirrors the route code (spec §1.6): a value containing ``,`` is split and every piece
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
    the decoder's null-filling and the ``columns`` filter act upon (spec §1.6).

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
        # Lomikel's schema row is a TreeMap: code-point order of the full names (spec §1.6)
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
                continue  # HBase side ignores an entry without ':' (spec §1.6)
            parts = _java_split(entry, ":")
            family, qualifier = parts[0], parts[1]  # IndexError for "r:" as in Java -> 500
            if family not in self.families:
                return None  # NoSuchColumnFamilyException: the scan fails, no rows [spec §1.6 I]
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
        requested = self._requested(columns)
        positions = self._match(prefix)
        if requested is None:
            return ScanResult(np.asarray([], dtype=int), ())
        if _java_trim(columns) != "" and "*" not in _java_trim(columns):
            # HBase returns a row only if it has at least one of the requested cells
            keep = np.zeros(len(positions), dtype=bool)
            for col in requested:
                keep |= self._present[col][positions]
            positions = positions[keep]
        if limit is not None:
            positions = positions[:limit]
        return ScanResult(positions, requested)

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


class Store:
    """
    A set of HBase tables by name.

    Parameters
    ----------
    tables : iterable of HBaseTable
    """

    def __init__(self, tables):
        self.tables = {table.name: table for table in tables}

    def __getitem__(self, name):
        return self.tables[name]


def _merge(scans):
    """Union of several scans in ``dict.update`` order: first occurrence wins (spec §1.6)."""
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


def read(table, prefixes, columns="*", limit=NLIMIT):
    """
    Scan a table for several prefixes and decode the result like the server.

    Emulates ``format_lsst_hbase_output`` (spec §1.6): without a column filter (``*``)
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

    Returns
    -------
    pandas.DataFrame
        Indexed by row key; ``pandas.DataFrame({})`` when no row matched.
    """
    scans = [table.scan(prefix, columns, limit) for prefix in prefixes]
    positions = _merge(scans)
    if len(positions) == 0:
        return pd.DataFrame({})
    truncated = columns != "*"
    if truncated:
        returned = scans[0].columns
        names = _column_order(table, positions, returned)
    else:
        names = list(table.schema)
    index = pd.Index([table.keys[i] for i in positions])
    data = {name: pd.Series(table.cells(name, positions), index=index) for name in names}
    # no column came back (e.g. ``columns=""``): the decoder rebuilds an index-less frame
    frame = pd.DataFrame(data) if data else pd.DataFrame({})
    # the decoder's frame-wide replace turns boolean strings into Python bools (object column)
    frame = frame.replace(to_replace={"true": True, "false": False})
    if "r:midpointMjdTai" in frame.columns:
        frame = frame.sort_values("r:midpointMjdTai", ascending=False)
    return frame
