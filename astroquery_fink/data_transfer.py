"""
Read a Fink Data Transfer download into the same tables the REST methods return.

A Data Transfer download (``finkctl transfer -outformat parquet``) holds whole alerts, one per
row, with the object's history nested in each alert: ``prvDiaSources`` (earlier detections) and
``prvDiaForcedSources`` (forced photometry). `read_data_transfer` flattens that history into one
row per detection or forced point, drops the copies every later alert of an object repeats, and
finishes the table exactly as `~astroquery_fink.FinkClass.query_sources` and
`~astroquery_fink.FinkClass.query_forced_photometry` do (units, row order, leading columns).

pyarrow is imported inside the functions: ``import astroquery_fink`` must stay light.
"""
from pathlib import Path

import numpy as np
from astropy.table import MaskedColumn, Table

from .columns import KIND_DTYPES, column_kinds
from .exceptions import FinkInvalidQueryError

__all__ = ["read_data_transfer", "KINDS"]

#: kind -> (REST endpoint whose table is returned, alert column of the latest row or None, history column, row id)
KINDS = {
    "sources": ("sources", "diaSource", "prvDiaSources", "diaSourceId"),
    "fp": ("fp", None, "prvDiaForcedSources", "diaForcedSourceId"),
}

# the LSST field names become the API's by this prefix (r:psfFlux)
_PREFIX = "r:"
# An alert's own diaSource says 0 for "no object": ssObjectId of a static object's detection,
# diaObjectId of a Solar System one; the copies in later histories and the REST answers say null.
_ZERO_IS_NULL = ("r:ssObjectId", "r:diaObjectId")
# kept whatever ``columns`` asks, as the REST answers keep them: the object a row belongs to
_KEEP = ("r:diaObjectId",)


def read_data_transfer(path, kind="sources", columns=None):
    """
    Read the detections or the forced photometry of a Fink Data Transfer download.

    Every alert of an object repeats the object's history, so each detection (``diaSourceId``)
    and forced point (``diaForcedSourceId``) is kept once. The table has the columns, units,
    descriptions and row order of the REST answer for the same objects: column names are the
    LSST field names with the ``r:`` prefix (``r:psfFlux``), identifiers are exact 64-bit
    integers and missing values are masked.

    Parameters
    ----------
    path : str or path-like
        The download: the folder ``finkctl transfer`` wrote into (holding the topic folder and
        the ``arrow_schema_<topic>.metadata`` dump), the topic folder itself, or one Parquet file.
        The dumped Arrow schema, when found beside the topic folder, is used to read all the
        files together, even those written by fink-client < 11.0 with ``null``-typed columns.
    kind : {"sources", "fp"}, optional
        ``"sources"``: the detections (alert ``diaSource`` and ``prvDiaSources``), as
        `~astroquery_fink.FinkClass.query_sources`; ``"fp"``: the forced photometry
        (``prvDiaForcedSources``), as `~astroquery_fink.FinkClass.query_forced_photometry`.
    columns : list of str, optional
        Only these columns (API names, such as ``"r:psfFlux"``); default: all those in the files.

    Returns
    -------
    `~astropy.table.Table`

    Raises
    ------
    astroquery_fink.exceptions.FinkInvalidQueryError
        For an unknown ``kind``, a column the download cannot hold, or a path with no data files.

    Examples
    --------
    >>> import tempfile
    >>> from astroquery_fink import read_data_transfer
    >>> from astroquery_fink.testing import write_data_transfer
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = write_data_transfer(folder, ["314003014107006318"], alerts_per_object=None)
    ...     sources = read_data_transfer(folder, kind="sources", columns=["r:midpointMjdTai", "r:psfFlux"])
    >>> sources.colnames
    ['r:diaObjectId', 'r:midpointMjdTai', 'r:psfFlux']
    >>> sources["r:psfFlux"].unit
    Unit("nJy")
    """
    if kind not in KINDS:
        raise FinkInvalidQueryError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(name, str) for name in columns):
            raise FinkInvalidQueryError(f"columns must be a list of column names, not {columns!r}")
        columns = list(columns)
    endpoint, latest, history, row_id = KINDS[kind]
    files, schema = _download(path)
    records = _records(files, schema, latest, history)
    records = _unique(records, row_id)
    fields = [field.name for field in records.type]
    if columns is not None:
        unknown = [name for name in columns if not name.startswith(_PREFIX) or name[len(_PREFIX):] not in fields]
        if unknown:
            raise FinkInvalidQueryError(f"{unknown} are not {kind} columns of a Data Transfer download; "
                                        f"they are the r: prefix and a field of {history}")
    kinds = column_kinds(endpoint)
    table = Table([_masked(records.field(name), _PREFIX + name, kinds.get(_PREFIX + name)) for name in fields])
    for name in _ZERO_IS_NULL:
        if name in table.colnames:
            table[name].mask |= table[name].filled(0) == 0
    return _finish(table, endpoint, columns, path)


def _download(path):
    """The Parquet data files under ``path`` and the dumped Arrow schema beside them (or None)."""
    import pyarrow.parquet as pq

    path = Path(path)
    if path.is_file():
        files = [path]
        candidates = [path.parent.parent, path.parent]
    elif path.is_dir():
        # every *.parquet at any depth (time partitions are year=/month=/day= folders); hidden and
        # temporary files are not data, nor is the schema dump, a 0-row Parquet file
        files = sorted(p for p in path.rglob("*.parquet")
                       if not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))
        candidates = [path, path.parent]
    else:
        raise FinkInvalidQueryError(f"no Data Transfer download at {str(path)!r}: no such file or folder")
    if not files:
        raise FinkInvalidQueryError(f"no Parquet data files (*.parquet) under {str(path)!r}")
    dumps = sorted({dump for folder in candidates for dump in folder.glob("arrow_schema_*.metadata")})
    schema = pq.read_schema(dumps[0]) if dumps else None
    return files, schema


def _records(files, schema, latest, history):
    """
    One struct array of every history row of every alert (the alert's own ``latest`` one too).

    Only the ``latest`` and ``history`` columns are read from the files.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    wanted = [name for name in (latest, history) if name is not None]
    if schema is not None:
        # the dumped schema types the columns some older files hold as null
        table = ds.dataset([str(f) for f in files], schema=schema, format="parquet").to_table(columns=wanted)
    else:
        table = pa.concat_tables([ds.dataset(str(f), format="parquet").to_table(columns=wanted) for f in files],
                                 promote_options="permissive")
    parts = [pc.list_flatten(table[history].combine_chunks())]
    if latest is not None:
        parts.insert(0, table[latest].combine_chunks())
    # without the schema dump, a field of the alert's diaSource may be typed null where the
    # history's is not (or the reverse): both take the type that holds either
    item = pa.unify_schemas([pa.schema([("record", part.type)]) for part in parts],
                            promote_options="permissive").field("record").type
    parts = [part.cast(item) for part in parts]
    return pa.concat_arrays(parts)


def _unique(records, row_id):
    """``records`` with each ``row_id`` once (its first occurrence) and no null rows."""
    ids = records.field(row_id)
    valid = np.asarray(records.is_valid()) & np.asarray(ids.is_valid())
    values = ids.fill_null(0).to_numpy(zero_copy_only=False)
    positions = np.flatnonzero(valid)
    _, first = np.unique(values[positions], return_index=True)
    return records.take(np.sort(positions[first]))


def _masked(array, name, kind):
    """
    A masked column of an Arrow array, of the dtype the REST decoders give ``kind`` (`KIND_DTYPES`).

    Nulls are masked; integers stay exact (never through float); a column typed ``null`` (every
    value missing in files of fink-client < 11.0 read without the schema dump) is all masked.
    """
    import pyarrow as pa

    mask = np.asarray(array.is_null())
    kind = kind or _kind_of(array.type)
    if pa.types.is_null(array.type):
        data = np.zeros(len(array), dtype=KIND_DTYPES[kind]) if kind != "str" else np.full(len(array), "")
    elif kind == "str":
        data = np.array(array.fill_null("").to_pylist(), dtype=str) if len(array) else np.array([], dtype="U1")
    elif pa.types.is_float32(array.type):
        # the REST answers carry the shortest decimal of a float32 (12102.205), which as float64
        # is not the float32 widened (12102.205078125): go through that decimal to give the same numbers
        data = array.fill_null(0).to_numpy(zero_copy_only=False).astype(str).astype(KIND_DTYPES[kind])
    else:
        fill = False if kind == "bool" else 0
        data = array.fill_null(fill).to_numpy(zero_copy_only=False).astype(KIND_DTYPES[kind])
    return MaskedColumn(data, name=name, mask=mask)


def _kind_of(arrow_type):
    """The REST kind of an Arrow type, for a field the column map does not know."""
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "str"
    return "float"


def _finish(table, endpoint, columns, path):
    """
    The REST methods' own finishing steps: typing from the column map, row order, units, leading columns.

    Unlike a REST full read, the columns the files cannot hold (Fink's ``f:`` values, absent
    from the history) are not added as empty ones.
    """
    from .annotate import annotate, complete_columns
    from .layout import arrange
    from .order import order_rows

    if columns is not None:
        table = table[[name for name in table.colnames if name in columns or name in _KEEP]]
    table, _ = complete_columns(table, endpoint, table.colnames)
    table = order_rows(table, endpoint)
    annotate(table, endpoint)
    table = arrange(table, endpoint, columns)
    table.meta.update(source="Fink Data Transfer", path=str(path), kind=endpoint)
    return table
