"""
The Dask engine of `~astroquery_fink.read_data_transfer`: a download as a lazy Dask DataFrame.

``read_data_transfer(path, kind, engine="dask")`` returns a ``dask.dataframe.DataFrame`` of the
rows the in-memory reader gives (``kind`` ``"sources"``, ``"fp"``, ``"alerts"`` or
``"objects"``), built without reading any data: each partition reads a group of files with
the same code as the in-memory reader (``astroquery_fink.data_transfer.Plan``, the rows of each
alert flattened, the copies inside the group dropped), and the copies *between* groups are
dropped by a shuffle on the row id. The same graph runs on the local schedulers or on a
``dask.distributed`` cluster, so a download larger than one machine's memory can be reduced
(grouped, filtered, aggregated) before anything is collected.

A partition holds pandas nullable columns: ``Int64`` (ids stay exact 64-bit integers),
``Float64``, ``boolean`` and ``string[pyarrow]``; missing values are ``<NA>``. Units are not
carried by pandas: `annotate_frame` turns a computed partition, or a ``.compute()`` result,
into the annotated `~astropy.table.Table` the in-memory reader gives.

dask is an optional dependency (``pip install "astroquery-fink[dask]"``), imported only by the
functions that need it; `annotate_frame` needs pandas and pyarrow only.
"""
from pathlib import Path

from .data_transfer import (
    _ALERT_TIME_NAME,
    KINDS,
    LIGHTCURVE,
    Download,
    Plan,
    _scan,
    finish_rows,
    float32_as_decimal,
    to_table,
)
from .exceptions import FinkInvalidQueryError

__all__ = ["annotate_frame", "PARTITION_BYTES"]

#: Parquet bytes on disk read by one partition when ``files_per_partition`` is not given.
#: Files vary (fink-client writes up to 100 alerts a file, older clients 1000; the sample of
#: Fink's tutorial has 1 to 8), so groups are made by size rather than by count. A real alert
#: takes ~250 kB on disk, a third of it cutouts the reader never decodes, and repeats ~400
#: detections and ~570 forced points of history: 128 MB of files is ~500 alerts, whose flattened
#: rows (before the copies are dropped) take some 100 to 300 MB, the partition size Dask's
#: documentation recommends. Larger groups also drop more copies before the shuffle. A file is
#: never split.
PARTITION_BYTES = 128 * 2**20

# the pandas nullable dtype of each kind of column of the REST tables (columns.KIND_DTYPES)
_PANDAS_DTYPES = {"int": "Int64", "float": "Float64", "bool": "boolean", "str": "string[pyarrow]"}
_KIND_OF_NUMPY = {"i": "int", "f": "float", "b": "bool", "U": "str"}


def read_data_transfer_dask(path, kind, columns=None, *, files_per_partition=None):
    """
    The rows `~astroquery_fink.read_data_transfer` gives for ``kind``, as a lazy Dask DataFrame.

    Called by ``read_data_transfer(..., engine="dask")``, whose documentation describes the
    arguments. Only the files' schemas are read here; the data is read when the frame is
    computed. The row id (``r:diaSourceId``, ``r:diaForcedSourceId``, ``r:diaObjectId`` for
    objects) is always a column, as ``r:diaObjectId`` is: copies are dropped by it, and it
    orders the rows of the same time in `annotate_frame`.
    """
    dd = _dask_dataframe()
    if kind == LIGHTCURVE:
        raise FinkInvalidQueryError(
            "kind='lightcurve' is not available with engine='dask': merging detections and forced photometry "
            "needs each object's rows together. Read kind='sources' and kind='fp' with engine='dask', or the "
            "light curve with engine='pyarrow'.")
    spec = KINDS[kind]
    # absolute paths: the tasks may run in another working directory (a dask.distributed worker)
    download = Download(Path(path).absolute())
    plan = Plan(spec, download.fields, columns)
    meta = _empty_frame(plan, download, None if columns is None else [*columns, spec.row_id])
    groups = file_groups(download.files, files_per_partition)
    if spec.latest:
        # each group gives its objects' latest alerts with their time; the latest among groups
        # is chosen once the rows of each object are in one partition
        read_meta = meta.assign(**{_ALERT_TIME_NAME: _series([], "Float64")})
        frame = dd.from_map(_GroupReader(plan, download.schema, read_meta), groups, meta=read_meta,
                            label=f"read-data-transfer-{kind}")
        return frame.shuffle(on=spec.row_id).map_partitions(_latest_alert, spec.row_id, meta=meta)
    frame = dd.from_map(_GroupReader(plan, download.schema, meta), groups, meta=meta,
                        label=f"read-data-transfer-{kind}")
    # a copy is exact (the alerts' 0 ids are made null when read), so any one of them may stay
    return frame.drop_duplicates(subset=[spec.row_id])


def file_groups(files, files_per_partition=None):
    """
    The files read by each partition: ``files_per_partition`` consecutive files, or by default
    groups of consecutive files of about `PARTITION_BYTES` on disk (at least one file each).

    Examples
    --------
    >>> from astroquery_fink.data_transfer_dask import file_groups
    >>> file_groups(["a.parquet", "b.parquet", "c.parquet"], files_per_partition=2)
    [['a.parquet', 'b.parquet'], ['c.parquet']]
    """
    files = list(files)
    if files_per_partition is not None:
        size = files_per_partition
        return [files[start:start + size] for start in range(0, len(files), size)]
    groups, group, total = [], [], 0
    for path in files:
        length = path.stat().st_size
        if group and total + length > PARTITION_BYTES:
            groups.append(group)
            group, total = [], 0
        group.append(path)
        total += length
    return [*groups, group] if group else groups


class _GroupReader:
    """Reads one group of files into a partition: the in-memory reader's rows, as pandas nullable columns."""

    def __init__(self, plan, schema, meta):
        self.plan = plan
        self.schema = schema
        self.meta = meta

    def __call__(self, files):
        (rows,), _ = _scan(files, [self.plan], self.schema, keep_time=True)
        return _frame(rows, self.meta)

    def __dask_tokenize__(self):
        # the same plan and schema read the same rows: a stable name for the graph's keys
        return (type(self).__name__, self.plan.kind, sorted(self.plan.alert.items()),
                sorted(self.plan.history.items()), str(self.schema), list(self.meta.columns))


def _frame(rows, meta):
    """The Arrow rows of a group as a pandas frame of ``meta``'s columns and dtypes."""
    import pyarrow as pa

    arrays = {}
    for name, dtype in meta.dtypes.items():
        array = rows.column(name).combine_chunks() if name in rows.column_names else pa.nulls(len(rows))
        arrays[name] = _as_kind(array, _kind_of_pandas(dtype))
    return pa.table(arrays).to_pandas(types_mapper=_pandas_type)


def _as_kind(array, kind):
    """An Arrow array converted as `~astroquery_fink.data_transfer.to_table` converts it for ``kind``, nulls kept."""
    import pyarrow as pa
    import pyarrow.compute as pc

    target = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string()}[kind]
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), target)
    if kind != "str" and pa.types.is_float32(array.type):
        array = float32_as_decimal(array)  # the REST answers' value of a float32
    # integers never pass through float; a double id of an old client's file is truncated as numpy would
    return array if array.type == target else pc.cast(array, target, safe=False)


def _pandas_type(arrow_type):
    import pandas as pd
    import pyarrow as pa

    mapping = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype(),
               pa.string(): pd.StringDtype("pyarrow")}
    return mapping.get(arrow_type)


def _kind_of_pandas(dtype):
    for kind, name in _PANDAS_DTYPES.items():
        if dtype == name:
            return kind
    raise TypeError(f"no column kind for the pandas dtype {dtype}")


def _series(values, dtype):
    import pandas as pd

    return pd.Series(values, dtype=dtype)


def _empty_frame(plan, download, columns):
    """
    The frame's ``meta``: no rows, the columns of the in-memory reader's table, in its order, with its kinds.

    Made by finishing a table of no rows, typed from the download's schemas, exactly as the
    in-memory reader finishes its table.
    """
    import pandas as pd
    import pyarrow as pa

    history = plan.kind.history[0] if plan.kind.history else None
    places = {**{name: (history, field) for name, field in plan.history.items()}, **plan.alert}
    names = list(dict.fromkeys([*plan.alert, *plan.history]))
    empty = pa.table({name: pa.nulls(0, download.types.get(places[name], pa.null())) for name in names})
    table = finish_rows(to_table(empty, plan), plan.kind, columns)
    return pd.DataFrame({name: _series([], _PANDAS_DTYPES[_KIND_OF_NUMPY[table[name].dtype.kind]])
                         for name in table.colnames})


def _latest_alert(frame, row_id):
    """The row of each object's latest alert among the rows of a partition (the objects' rows all in it)."""
    frame = frame.sort_values([row_id, _ALERT_TIME_NAME], na_position="first", kind="stable")
    return frame.drop_duplicates(row_id, keep="last").drop(columns=[_ALERT_TIME_NAME])


def annotate_frame(frame, kind):
    """
    The annotated table of a computed pandas frame of the Dask engine: units, masks, row order, leading columns.

    Pandas carries no units; this gives a partition of
    ``read_data_transfer(..., engine="dask")``, or the whole frame once computed, as the
    `~astropy.table.Table` ``read_data_transfer(..., engine="pyarrow")`` gives for the same
    rows: ``<NA>`` masked, ids exact ``int64``, the column map's units and descriptions, rows
    in the REST methods' order (newest first; objects by id) and the leading columns first.
    Columns the frame adds (a magnitude computed with pandas) keep their values, with no unit.

    Parameters
    ----------
    frame : `pandas.DataFrame`
        Rows of the Dask engine, computed (``.compute()``, or one partition); columns may
        have been dropped or added.
    kind : {"sources", "fp", "alerts", "objects"}
        The ``kind`` the frame was read as.

    Returns
    -------
    `~astropy.table.Table`
        ``meta`` holds ``source`` (``"Fink Data Transfer"``) and ``kind``.

    Examples
    --------
    >>> import tempfile
    >>> from astroquery_fink import read_data_transfer
    >>> from astroquery_fink.data_transfer_dask import annotate_frame
    >>> from astroquery_fink.testing import write_data_transfer
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = write_data_transfer(folder, ["314003014107006318"], alerts_per_object=None)
    ...     frame = read_data_transfer(folder, kind="fp", columns=["r:psfFlux"], engine="dask")
    ...     rows = frame.compute()
    >>> rows.dtypes.to_dict()
    {'r:diaObjectId': Int64Dtype(), 'r:psfFlux': Float64Dtype(), 'r:diaForcedSourceId': Int64Dtype()}
    >>> table = annotate_frame(rows, "fp")
    >>> table.colnames, table["r:psfFlux"].unit
    (['r:diaObjectId', 'r:psfFlux', 'r:diaForcedSourceId'], Unit("nJy"))
    """
    if kind not in KINDS:
        raise FinkInvalidQueryError(f"kind must be one of {list(KINDS)}, not {kind!r}")
    if hasattr(frame, "dask") or not hasattr(frame, "columns"):
        raise TypeError(f"annotate_frame needs a computed pandas DataFrame (call .compute() first), "
                        f"not {type(frame).__name__}")
    import pyarrow as pa

    spec = KINDS[kind]
    table = to_table(pa.Table.from_pandas(frame, preserve_index=False), spec)
    table = finish_rows(table, spec, None)
    table.meta.update({"source": "Fink Data Transfer", "kind": kind})
    return table


def _dask_dataframe():
    try:
        import dask.dataframe as dd
    except ImportError as error:
        raise ImportError('engine="dask" needs dask with its DataFrame: pip install "astroquery-fink[dask]" '
                          f'(or "dask[dataframe]"); {error}') from error
    return dd

