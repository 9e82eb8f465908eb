"""
Read a Fink Data Transfer download into the same tables the REST methods return.

A Data Transfer download (``finkctl transfer -outformat parquet``) holds whole alerts, one per
row, with the object's history nested in each alert: ``prvDiaSources`` (earlier detections) and
``prvDiaForcedSources`` (forced photometry). `read_data_transfer` flattens that history into one
row per detection or forced point, drops the copies every later alert of an object repeats, and
finishes the table exactly as the REST methods do (units, row order, leading columns).

The files are read one record batch at a time and only the fields a table needs are decoded,
inside the nested lists too; the rows already seen are dropped batch by batch, so memory holds
the unique rows and one batch, never the repeated history.

pyarrow is imported inside the functions: ``import astroquery_fink`` must stay light.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.table import MaskedColumn, Table

from .columns import KIND_DTYPES, column_kinds
from .exceptions import FinkInvalidQueryError

__all__ = ["read_data_transfer", "KINDS", "LIGHTCURVE"]


@dataclass(frozen=True)
class Kind:
    """
    How the rows of one kind of table are made from the alerts of a download.

    ``alert`` lists the alert columns that make one row per alert, each with the prefix its
    fields take (a struct gives its fields, a plain column itself); ``history`` is the list
    column whose elements are rows too. Rows are unique by ``row_id``; with ``latest`` only the
    row of an object's latest alert is kept.
    """

    endpoint: str  # the REST endpoint whose column map, row order and units the table takes
    row_id: str
    alert: tuple = ()
    history: tuple = None  # (list column, prefix)
    latest: bool = False


_ROOT = (("observation_reason", "r:"), ("target_name", "r:"))
_VERSIONS = (("lsst_schema_version", "f:"), ("fink_broker_version", "f:"), ("fink_science_version", "f:"))

#: The tables a download gives, by ``kind`` (``"lightcurve"`` is made of ``"sources"`` and ``"fp"``).
KINDS = {
    # every detection: the alert's own diaSource and the earlier ones of its history
    "sources": Kind("sources", "r:diaSourceId", alert=(("diaSource", "r:"),), history=("prvDiaSources", "r:")),
    "fp": Kind("fp", "r:diaForcedSourceId", history=("prvDiaForcedSources", "r:")),
    # one row per alert with Fink's values, as /api/v1/sources (and tags) serve an alert
    "alerts": Kind("sources", "r:diaSourceId",
                   alert=(*_ROOT, ("diaSource", "r:"), ("clf", "f:clf_"), ("xm", "f:xm_"), *_VERSIONS)),
    # one row per object, its latest alert's diaObject, as /api/v1/objects keeps it
    "objects": Kind("objects", "r:diaObjectId", alert=(*_ROOT, ("diaObject", "r:"), ("pred", "f:"), ("misc", "f:")),
                    latest=True),
}
#: The kind made by merging the detections and the forced photometry, as `FinkClass.get_lightcurve` does.
LIGHTCURVE = "lightcurve"
#: The engines `read_data_transfer` reads with: in this process (pyarrow), or as a lazy Dask DataFrame.
ENGINES = ("pyarrow", "dask")

# An alert's own diaSource says 0 for "no object": ssObjectId of a static object's detection,
# diaObjectId of a Solar System one; the copies in later histories and the REST answers say null.
_ZERO_IS_NULL = ("r:ssObjectId", "r:diaObjectId")
_TIME = "r:midpointMjdTai"
# kept whatever ``columns`` asks, as the REST answers keep them: the object a row belongs to
_KEEP = ("r:diaObjectId",)
# the alert's time, read to pick an object's latest alert (not a column of the result)
_ALERT_TIME = ("diaSource", "midpointMjdTai")
_ALERT_TIME_NAME = "alert midpointMjdTai"
# alerts decoded at a time: a full alert is ~250 kB, and only the needed fields are decoded
_BATCH_ALERTS = 256


def read_data_transfer(path, kind=LIGHTCURVE, columns=None, *, forced=True, flux="difference", limit_sigma=None,
                       keep_withdrawn=False, min_reliability=None, engine="pyarrow", files_per_partition=None):
    """
    Read a Fink Data Transfer download into the table the REST methods give for the same objects.

    Every alert of an object repeats the object's history, so each detection (``diaSourceId``)
    and forced point (``diaForcedSourceId``) is kept once. Column names are those of the REST
    answers (``r:`` and the LSST field name, ``f:`` for Fink's values), identifiers are exact
    64-bit integers, missing values are masked, and the units, descriptions and row order are
    the REST methods'.

    Parameters
    ----------
    path : str or path-like
        The download: the folder ``finkctl transfer`` wrote into (holding the topic folder and
        the ``arrow_schema_<topic>.metadata`` dump), the topic folder itself, or one Parquet file.
        Time partitions (``year=/month=/day=`` folders) are found. The dumped Arrow schema, when
        found, types the fields that files of fink-client < 11.0 hold as ``null``; without it the
        files' own types are merged.
    kind : {"lightcurve", "sources", "fp", "alerts", "objects"}, optional
        ``"lightcurve"`` (default): detections and forced photometry merged, as
        `~astroquery_fink.FinkClass.get_lightcurve` gives them (magnitudes, upper limits, ``kind``).
        ``"sources"``: every detection (each alert's ``diaSource`` and its ``prvDiaSources``),
        the LSST columns of `~astroquery_fink.FinkClass.query_sources`.
        ``"fp"``: the forced photometry (``prvDiaForcedSources``), as
        `~astroquery_fink.FinkClass.query_forced_photometry`.
        ``"alerts"``: one row per alert, its detection with Fink's classifier and cross-match
        values (``f:clf_*``, ``f:xm_*``), the row `~astroquery_fink.FinkClass.query_sources`
        gives for that detection.
        ``"objects"``: one row per object, the ``diaObject`` of its latest alert in the download
        and Fink's object values, as `~astroquery_fink.FinkClass.query_object`.
    columns : list of str, optional
        Only these columns (REST names, such as ``"r:psfFlux"``); ``r:diaObjectId`` is always
        kept. For ``"lightcurve"``, columns added to the light curve's own, as in
        `~astroquery_fink.FinkClass.get_lightcurve`. Default: every column the files hold.
    forced, flux, limit_sigma, keep_withdrawn, min_reliability : optional
        For ``kind="lightcurve"`` only: as in `~astroquery_fink.FinkClass.get_lightcurve`
        (``forced=False``: the detections alone).
    engine : {"pyarrow", "dask"}, optional
        ``"pyarrow"`` (default): the table, read in this process. ``"dask"``: a lazy
        ``dask.dataframe.DataFrame`` of the same rows, for downloads larger than memory or a
        ``dask.distributed`` cluster (kinds ``"sources"``, ``"fp"``, ``"alerts"``,
        ``"objects"``; needs ``pip install "astroquery-fink[dask]"``). Its columns are the
        table's, plus the row id (``r:diaSourceId``, ``r:diaForcedSourceId``), with pandas
        nullable dtypes (``Int64``, ``Float64``, ``boolean``, ``string[pyarrow]``) and no
        units; `astroquery_fink.data_transfer_dask.annotate_frame` turns a computed frame into
        the annotated table.
    files_per_partition : int, optional
        With ``engine="dask"``: files read by each partition. Default: consecutive files of
        about 128 MB on disk (`astroquery_fink.data_transfer_dask.PARTITION_BYTES`).

    Returns
    -------
    `~astropy.table.Table` or ``dask.dataframe.DataFrame``
        The table's ``meta`` holds ``source`` (``"Fink Data Transfer"``), ``path``, ``kind``,
        ``files`` and ``alerts`` (how many were read) and ``duplicates`` (rows dropped as copies
        of a row already read). With ``engine="dask"``, the frame (nothing is read but the
        files' schemas until it is computed).

    Raises
    ------
    astroquery_fink.exceptions.FinkInvalidQueryError
        For an unknown ``kind`` or ``engine``, a column the download cannot hold, bad
        light-curve options, a path with no data files, or ``kind="lightcurve"`` with
        ``engine="dask"``.

    Notes
    -----
    What a download cannot give: forced points measured after an object's last alert are in no
    alert; the history rows carry no Fink values (``f:`` columns are only in ``"alerts"`` and
    ``"objects"``); Solar System alerts have no ``diaObject`` and no history (their detections
    are in ``"sources"`` and ``"alerts"`` with a masked ``r:diaObjectId`` and their
    ``r:ssObjectId``).

    Examples
    --------
    >>> import tempfile
    >>> from astroquery_fink import read_data_transfer
    >>> from astroquery_fink.testing import write_data_transfer
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +ELLIPSIS
    ...     _ = write_data_transfer(folder, ["314003014107006318"], alerts_per_object=None)
    ...     sources = read_data_transfer(folder, kind="sources", columns=["r:midpointMjdTai", "r:psfFlux"])
    ...     lightcurve = read_data_transfer(folder)
    INFO: Read 24 sources rows from 24 alerts in 9 files of ... [astroquery_fink.data_transfer]
    INFO: Read 72 light-curve rows (24 detections, 48 forced points) from 24 alerts ... [astroquery_fink.data_transfer]
    >>> sources.colnames
    ['r:diaObjectId', 'r:midpointMjdTai', 'r:psfFlux']
    >>> sources["r:psfFlux"].unit
    Unit("nJy")
    >>> sorted(set(lightcurve["kind"].tolist())), lightcurve["mag"].unit
    (['detection', 'forced'], Unit("mag(AB)"))
    """
    if kind != LIGHTCURVE and kind not in KINDS:
        raise FinkInvalidQueryError(f"kind must be one of {[LIGHTCURVE, *KINDS]}, not {kind!r}")
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(name, str) for name in columns):
            raise FinkInvalidQueryError(f"columns must be a list of column names, not {columns!r}")
        columns = list(columns)
    changed = {"forced": forced is not True, "flux": flux != "difference", "limit_sigma": limit_sigma is not None,
               "keep_withdrawn": keep_withdrawn is not False, "min_reliability": min_reliability is not None}
    given = [name for name, differs in changed.items() if differs]
    if kind != LIGHTCURVE and given:
        raise FinkInvalidQueryError(f"{', '.join(given)}: light-curve options, for kind='lightcurve' only, "
                                    f"not kind={kind!r}")
    if engine not in ENGINES:
        raise FinkInvalidQueryError(f"engine must be one of {list(ENGINES)}, not {engine!r}")
    if engine == "dask":
        if files_per_partition is not None and (isinstance(files_per_partition, bool) or not isinstance(
                files_per_partition, (int, np.integer)) or files_per_partition < 1):
            raise FinkInvalidQueryError(f"files_per_partition must be a positive integer, not {files_per_partition!r}")
        from .data_transfer_dask import read_data_transfer_dask

        return read_data_transfer_dask(path, kind, columns, files_per_partition=files_per_partition)
    if files_per_partition is not None:
        raise FinkInvalidQueryError("files_per_partition is an option of engine='dask' only")
    if kind == LIGHTCURVE:
        return _lightcurve(path, columns, forced, flux=flux, limit_sigma=limit_sigma, keep_withdrawn=keep_withdrawn,
                           min_reliability=min_reliability)
    download = Download(path)
    plan = Plan(KINDS[kind], download.fields, columns)
    tables, counts = download.scan([plan])
    _warn_if_empty(download, counts)
    _warn_if_lossy(download, [plan])
    # handed over, not kept here: to_table releases the Arrow rows column by column
    return _finish(to_table(tables.pop(), plan), plan, columns, download, counts, kind)


def _lightcurve(path, columns, forced, **options):
    """Detections and forced photometry read in one pass, merged as `FinkClass.get_lightcurve` merges them."""
    from .lightcurve import (
        DEFAULT_LIMIT_SIGMA,
        DETECTION_COLUMNS,
        FLUX_COLUMNS,
        FORCED_COLUMNS,
        lightcurve_option_error,
        merge_lightcurve,
    )

    if options["limit_sigma"] is None:
        options["limit_sigma"] = DEFAULT_LIMIT_SIGMA
    problem = lightcurve_option_error(options["flux"], options["limit_sigma"], options["min_reliability"],
                                      forced=forced)
    if problem:
        raise FinkInvalidQueryError(problem)
    extra = [*FLUX_COLUMNS[options["flux"]], *(columns or [])]
    download = Download(path)
    detections = Plan(KINDS["sources"], download.fields, list(dict.fromkeys([*DETECTION_COLUMNS, *extra])))
    plans = [detections]
    if forced:
        served = detections.names_of(KINDS["fp"], download.fields)
        plans.append(Plan(KINDS["fp"], download.fields,
                          list(dict.fromkeys([*FORCED_COLUMNS, *(name for name in extra if name in served)]))))
    tables, counts = download.scan(plans)
    _warn_if_empty(download, counts, stacklevel=4)
    _warn_if_lossy(download, plans, stacklevel=4)
    # each table's Arrow rows handed over (popped), so that to_table can release them column by column
    finished = {}
    for position in reversed(range(len(plans))):
        plan = plans[position]
        finished[position] = _finish(to_table(tables.pop(), plan), plan, plan.columns, download, counts,
                                     plan.kind.endpoint, position, quiet=True)
    sources, photometry = finished[0], finished.get(1)
    # a Solar System detection belongs to no diaObject: it has no light curve of an object here
    moving = np.ma.getmaskarray(sources["r:diaObjectId"])
    sources = sources[~moving]
    lightcurve = merge_lightcurve(sources, photometry, **options)
    lightcurve.meta.update(_meta(download, counts, LIGHTCURVE))
    lightcurve.meta["duplicates"] = sum(counts["duplicates"])
    lightcurve.meta["solar_system_detections"] = int(moving.sum())
    left_out = f"; {int(moving.sum())} Solar System detections left out" if moving.any() else ""
    points = f", {len(photometry)} forced points" if forced else ""
    _log(lightcurve, f"light-curve rows ({len(sources)} detections{points}{left_out})")
    return lightcurve


def _warn_if_empty(download, counts, stacklevel=3):
    """A download without a single alert (a failed or cut transfer) gives an empty table, said out loud."""
    import warnings

    from astroquery.exceptions import NoResultsWarning

    if counts["alerts"] == 0:
        warnings.warn(f"the {counts['files']} Parquet files of {str(download.path)!r} hold no alert (0 rows)",
                      NoResultsWarning, stacklevel=stacklevel)


def _warn_if_lossy(download, plans, stacklevel=3):
    """Identifiers read from floating point: exact up to 2**53 only, and LSST's go beyond; said once per read."""
    import warnings

    from .exceptions import LossyIdWarning

    names = sorted(set().union(*(plan.double_ids for plan in plans)))
    if names:
        warnings.warn(
            f"{', '.join(names)} of {str(download.path)!r} were written as floating point numbers (files of "
            "fink-client older than 11.0): identifiers above 2**53 have lost their last digits, and no reader "
            "can give them back, and rows whose identifiers became equal are kept once. They are returned as "
            "integers, as written; download again with fink-client >= 11.0 for exact identifiers.",
            LossyIdWarning, stacklevel=stacklevel)


class Download:
    """The data files of a download and the names of the fields they hold (from the schema dump when there is one)."""

    def __init__(self, path):
        self.path = Path(path)
        self.files, dump = _files(self.path)
        schemas = [_schema(dump)] if dump is not None else [_schema(f) for f in self.files]
        self.schema = schemas[0] if dump is not None else None
        #: column -> its field names (a struct's or a list of structs'), or None for a plain column
        self.fields = {}
        #: (column, field or None) -> its Arrow type, the first one not ``null`` among the files
        self.types = {}
        for schema in schemas:
            for field in schema:
                _add_types(self.types, field)
                names = _field_names(field.type)
                known = self.fields.setdefault(field.name, names)
                if names and known is not None:
                    known.extend(name for name in names if name not in known)
                elif names:
                    self.fields[field.name] = names

    def scan(self, plans):
        """
        Read every file once, batch by batch, and give each plan its unique rows.

        Returns ``(tables, counts)``: one Arrow table per plan, and the numbers of files, alerts
        and duplicate rows dropped (per plan).
        """
        return _scan(self.files, plans, self.schema)


def _scan(files, plans, schema, keep_time=False):
    """
    `Download.scan` of ``files`` with the dumped ``schema`` (or None): a function, for the Dask engine's tasks.

    With ``keep_time``, the tables of ``latest`` kinds keep the alert time their rows were
    chosen by (the Dask engine chooses again among the groups of files).
    """
    seen = [_Seen(plan.kind) for plan in plans]
    parts = [[] for _ in plans]
    alerts = 0
    for path in files:
        with _open(path) as data:
            leaves = [data.schema.column(i).path for i in range(len(data.schema))]
            wanted = sorted({leaf for plan in plans for leaf in plan.leaves(leaves)})
            for batch in data.iter_batches(batch_size=_BATCH_ALERTS, columns=wanted):
                alerts += batch.num_rows
                for plan, keep, into in zip(plans, seen, parts, strict=True):
                    rows = plan.rows(batch, schema)
                    into.append(keep.new(rows))
    tables = [_concat(into, plan) for into, plan in zip(parts, plans, strict=True)]
    tables = [keep.final(table, keep_time) for keep, table in zip(seen, tables, strict=True)]
    counts = {"files": len(files), "alerts": alerts, "duplicates": [keep.dropped for keep in seen]}
    return tables, counts


def _open(path):
    """A `pyarrow.parquet.ParquetFile`, or a clear error for a file that is not one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise FinkInvalidQueryError(f"{str(path)!r} is not a Parquet file a Data Transfer download holds: "
                                    f"{error}") from None


def _schema(path):
    with _open(path) as data:
        return data.schema_arrow


def _files(path):
    """The Parquet data files under ``path`` and the dumped Arrow schema beside them (or None)."""
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
    return files, (dumps[0] if dumps else None)


def _add_types(types, field):
    """Record the type of a plain column, or of each field of a struct or list of structs, unless known."""
    import pyarrow as pa

    kind = field.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        kind = kind.value_type
    if pa.types.is_struct(kind):
        places = [((field.name, kind.field(i).name), kind.field(i).type) for i in range(kind.num_fields)]
    else:
        places = [((field.name, None), field.type)]
    for place, arrow_type in places:
        if pa.types.is_null(types.get(place, pa.null())):
            types[place] = arrow_type


def _field_names(arrow_type):
    """The field names of a struct or of a list of structs; None for any other type."""
    import pyarrow as pa

    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_struct(arrow_type):
        return [arrow_type.field(i).name for i in range(arrow_type.num_fields)]
    return None


class Plan:
    """
    Which fields of which columns one table reads, and the REST names they take.

    ``columns`` (REST names) is checked against what the download holds before any data is read.
    """

    def __init__(self, kind, fields, columns=None):
        self.kind = kind
        self.columns = columns
        available = self.names_of(kind, fields)
        if not available:
            wanted = [column for column, _ in [*kind.alert, *([kind.history] if kind.history else [])]]
            raise FinkInvalidQueryError(
                f"this download has none of the alert columns this table is read from ({', '.join(wanted)}); "
                f"its columns are {', '.join(fields)}. A 'Light' or custom packet of the Data Transfer page "
                "holds flat columns instead of whole alerts: read it with pyarrow.parquet.read_table.")
        if columns is not None:
            unknown = [name for name in columns if name not in available]
            if unknown:
                raise FinkInvalidQueryError(
                    f"{unknown} are not columns of this table read from a Data Transfer download; "
                    f"it has {sorted(available)}")
            wanted = {*_KEEP, kind.row_id, *columns}
            available = {name: where for name, where in available.items() if name in wanted}
        history = kind.history[0] if kind.history else None
        #: REST name -> (alert column, field or None) of the one-row-per-alert part
        self.alert = {name: where[0] for name, where in available.items() if where[0][0] != history}
        #: REST name -> field of the history list's elements
        self.history = {name: field for name, places in available.items() for column, field in places
                        if column == history}
        #: identifiers found stored as floating point while reading
        self.double_ids = set()

    @staticmethod
    def names_of(kind, fields):
        """REST name -> the (file column, field or None) places ``kind`` takes it from in a download."""
        names = {}
        pieces = [*kind.alert, *([kind.history] if kind.history else [])]
        for column, prefix in pieces:
            if column not in fields:
                continue
            for field in fields[column] or [None]:
                places = names.setdefault(prefix + (field or column), [])
                if not any(place[0] == column for place in places):
                    places.append((column, field))
        return names

    def leaves(self, paths):
        """The Parquet leaf paths of one file this plan reads (``prvDiaSources.list.element.psfFlux``)."""
        wanted = set(self.alert.values())
        if self.kind.history:
            wanted |= {(self.kind.history[0], field) for field in self.history.values()}
        if self.kind.latest:
            wanted.add(_ALERT_TIME)
        columns = {column for column, _ in wanted}
        chosen = []
        for path in paths:
            parts = path.split(".")
            # a plain column, or a struct field, or a list element's field (whatever the list's
            # levels are called); a column an old client typed null is one leaf, read as it is
            if len(parts) == 1 and parts[0] in columns or len(parts) > 1 and (parts[0], parts[-1]) in wanted:
                chosen.append(path)
        return chosen

    def rows(self, batch, schema):
        """The rows of one record batch: an Arrow table with the REST names, the alerts' 0 ids made null."""
        import pyarrow as pa

        parts = []
        if self.kind.alert:
            arrays = {name: _field(batch, column, field, schema) for name, (column, field) in self.alert.items()}
            self.double_ids.update(name for name, array in arrays.items() if _is_double_id(name, array))
            if self.kind.latest:
                arrays[_ALERT_TIME_NAME] = _field(batch, *_ALERT_TIME, schema)
            for name in _ZERO_IS_NULL:
                if name in arrays:
                    arrays[name] = _zero_to_null(arrays[name])
            parts.append(pa.table(arrays))
        if self.kind.history:
            history = _flatten(batch, self.kind.history[0], self.history, schema)
            self.double_ids.update(name for name in history.column_names
                                   if _is_double_id(name, history.column(name)))
            parts.append(history)
        return parts[0] if len(parts) == 1 else pa.concat_tables(parts, promote_options="permissive")


def _is_double_id(name, array):
    """A field named as an identifier but stored as floating point (files of fink-client < 11.0)."""
    import pyarrow as pa

    return name.endswith("Id") and pa.types.is_floating(array.type)


def _field(batch, column, field, schema):
    """One field of an alert struct (or a plain alert column) of ``batch``, typed by the schema dump when given."""
    import pyarrow as pa

    if column not in batch.schema.names:
        return pa.nulls(batch.num_rows, _dumped_type(schema, column, field))
    array = batch.column(column)
    if field is not None:
        if not pa.types.is_struct(array.type) or array.type.get_field_index(field) < 0:
            return pa.nulls(batch.num_rows, _dumped_type(schema, column, field))
        array = array.field(field)
    return _typed(array, _dumped_type(schema, column, field))


def _flatten(batch, column, fields, schema):
    """The elements of the list ``column`` of every alert, as a table of ``fields`` (REST name -> field)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = batch.column(column) if column in batch.schema.names else None
    if array is None or pa.types.is_null(array.type):
        # no history in this batch (first detections, Solar System alerts): no rows
        return pa.table({name: pa.nulls(0, _dumped_type(schema, column, field)) for name, field in fields.items()})
    items = pc.list_flatten(array)
    arrays = {}
    for name, field in fields.items():
        if pa.types.is_struct(items.type) and items.type.get_field_index(field) >= 0:
            arrays[name] = _typed(items.field(field), _dumped_type(schema, column, field))
        else:
            arrays[name] = pa.nulls(len(items), _dumped_type(schema, column, field))
    return pa.table(arrays)


def _dumped_type(schema, column, field):
    """The type the schema dump gives a field (``null`` when there is no dump: merged with the others later)."""
    import pyarrow as pa

    if schema is None or column not in schema.names:
        return pa.null()
    kind = schema.field(column).type
    if field is None:
        return kind
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        kind = kind.value_type
    return kind.field(field).type if kind.get_field_index(field) >= 0 else pa.null()


def _typed(array, kind):
    """``array`` cast to the dumped type when it was written as ``null`` (an old client's all-null field)."""
    import pyarrow as pa

    if pa.types.is_null(array.type) and not pa.types.is_null(kind):
        return pa.nulls(len(array), kind)
    return array


def _zero_to_null(array):
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        return array
    return pc.if_else(pc.equal(array, 0), pa.scalar(None, array.type), array)


class _IdSet:
    """
    A set of int64 ids at 8 bytes each (a Python set takes ~60): sorted runs, merged as they grow.

    Runs double in size as they merge, so there are at most log2(n) of them to search and each
    id is copied log2(n) times over the whole read.
    """

    def __init__(self):
        self.runs = []

    def add_new(self, values):
        """The ``values`` (sorted, unique) not yet in the set, which are added to it."""
        fresh = np.ones(len(values), dtype=bool)
        for run in self.runs:
            slot = np.minimum(np.searchsorted(run, values), len(run) - 1)
            fresh &= run[slot] != values
        new = values[fresh]
        if len(new):
            self.runs.append(new)
            while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
                last = self.runs.pop()
                self.runs[-1] = np.sort(np.concatenate([self.runs[-1], last]), kind="stable")
        return fresh


class _Seen:
    """The row ids already read, so that a copy of a row (a history repeated in a later alert) is dropped at once."""

    def __init__(self, kind):
        self.kind = kind
        self.ids = _IdSet()
        self.dropped = 0

    def new(self, rows):
        """The rows of ``rows`` whose id was never seen (the first of each id); rows without an id are dropped."""
        if self.kind.latest or rows.num_rows == 0:
            return rows  # objects: the latest alert is chosen at the end, among all alerts
        ids = rows.column(self.kind.row_id)
        values = ids.fill_null(0).to_numpy(zero_copy_only=False)
        positions = np.flatnonzero(np.asarray(ids.is_valid()))
        unique, first = np.unique(values[positions], return_index=True)
        fresh = self.ids.add_new(unique)
        keep = np.sort(positions[first[fresh]])
        self.dropped += len(rows) - len(keep)
        return rows if len(keep) == len(rows) else rows.take(keep)

    def final(self, table, keep_time=False):
        """
        For ``latest`` kinds, each object's row of its latest alert (alerts without an object dropped).

        With ``keep_time`` the alert time column stays (to choose again among several tables).
        """
        if not self.kind.latest:
            return table
        if table.num_rows == 0:
            return table.drop_columns([_ALERT_TIME_NAME])
        ids = table.column(self.kind.row_id)
        times = table.column(_ALERT_TIME_NAME).fill_null(-np.inf).to_numpy(zero_copy_only=False)
        values = ids.fill_null(0).to_numpy(zero_copy_only=False)
        valid = np.asarray(ids.is_valid())
        positions = np.flatnonzero(valid)
        # sorted by id then time: the last row of each id is its latest alert
        order = positions[np.lexsort((times[positions], values[positions]))]
        last = np.r_[values[order][1:] != values[order][:-1], True] if len(order) else np.zeros(0, dtype=bool)
        self.dropped += int(len(table) - last.sum())
        table = table.take(order[last])
        return table if keep_time else table.drop_columns([_ALERT_TIME_NAME])


def _concat(tables, plan):
    import pyarrow as pa

    if not tables:
        names = [*plan.alert, *plan.history, *([_ALERT_TIME_NAME] if plan.kind.latest else [])]
        return pa.table({name: pa.nulls(0) for name in names})
    return pa.concat_tables(tables, promote_options="permissive")


def to_table(rows, plan_or_kind):
    """
    An astropy `~astropy.table.Table` of the Arrow rows of a download, each column typed as the REST decoders type it.

    Columns are converted one at a time and released, so the Arrow copy and the table are not
    both held whole.
    """
    kind = plan_or_kind.kind if isinstance(plan_or_kind, Plan) else plan_or_kind
    kinds = column_kinds(kind.endpoint)
    order = _row_order(rows, kind)
    arrays = {name: rows.column(name) for name in rows.column_names}
    del rows
    table = Table()
    for name in list(arrays):
        array = arrays.pop(name)
        array = array.take(order) if order is not None else array
        table[name] = _masked(array.combine_chunks(), name, kinds.get(name))
    return table


def _row_order(rows, kind):
    """
    The order the REST methods give these rows (see `astroquery_fink.order.order_rows`), as indices, or None.

    Taken here, one column at a time, it leaves the finishing steps a table already in order:
    sorting the whole table there would hold two copies of it.
    """
    import pyarrow.compute as pc

    names = rows.column_names
    if kind.latest:
        keys = [(kind.row_id, "ascending")]
    elif _TIME in names:
        keys = [(_TIME, "descending")] + ([(kind.row_id, "ascending")] if kind.row_id in names else [])
    else:
        return None
    if rows.num_rows < 2 or not all(name in names for name, _ in keys):
        return None
    return pc.sort_indices(rows, sort_keys=keys)  # nulls last, as order_rows puts them


def _masked(array, name, kind):
    """
    A masked column of an Arrow array, of the dtype the REST decoders give ``kind`` (`KIND_DTYPES`).

    Nulls are masked; integers stay exact (never through float); a column typed ``null`` (every
    value missing) is all masked.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = np.asarray(array.is_null())
    kind = kind or _kind_of(array.type)
    if pa.types.is_null(array.type):
        data = np.zeros(len(array), dtype=KIND_DTYPES[kind]) if kind != "str" else np.full(len(array), "")
    elif kind == "str":
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            array = pc.cast(array, pa.string())  # a code the REST answers give as text (xm_gaiadr3_VarFlag)
        data = array.fill_null("").to_numpy(zero_copy_only=False).astype(str) if len(array) else np.array(
            [], dtype="U1")
    elif pa.types.is_float32(array.type):
        data = float32_as_decimal(array.fill_null(0)).to_numpy(zero_copy_only=False).astype(KIND_DTYPES[kind])
    else:
        fill = False if kind == "bool" else 0
        data = array.fill_null(fill).to_numpy(zero_copy_only=False).astype(KIND_DTYPES[kind])
    return MaskedColumn(data, name=name, mask=mask)


def float32_as_decimal(array):
    """
    A float32 Arrow array as float64 values of its shortest decimals (nulls stay null).

    The REST answers carry the shortest decimal of a float32 (12102.205), which as float64 is
    not the float32 widened (12102.205078125): go through that decimal, as Arrow writes it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pc.cast(array, pa.string()), pa.float64())


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


def _meta(download, counts, kind, position=None):
    meta = {"source": "Fink Data Transfer", "path": str(download.path), "kind": kind,
            "files": counts["files"], "alerts": counts["alerts"]}
    if position is not None:
        meta["duplicates"] = counts["duplicates"][position]
    return meta


def _finish(table, plan, columns, download, counts, kind, position=0, quiet=False):
    """
    The REST methods' own finishing steps (`finish_rows`), then the download's numbers in ``meta``.
    """
    table = finish_rows(table, plan.kind, columns)
    table.meta.update(_meta(download, counts, kind, position))
    if not quiet:
        _log(table, f"{kind} rows")
    return table


def _log(table, what):
    """One INFO line on what a read gave: the feedback of a read that may take minutes."""
    from astroquery import log

    meta = table.meta
    log.info("Read %d %s from %d alerts in %d files of %s (%d repeated rows dropped).", len(table), what,
             meta["alerts"], meta["files"], meta["path"], meta["duplicates"])


def finish_rows(table, kind, columns):
    """
    The REST methods' own finishing steps: typing from the column map, row order, units, leading columns.

    ``kind`` is a `Kind`; ``columns`` the names asked for (None for all). Unlike a REST full
    read, the columns the files cannot hold (Fink's ``f:`` values, absent from the history)
    are not added as empty ones.
    """
    from .annotate import annotate, complete_columns
    from .layout import arrange
    from .order import order_rows

    endpoint = kind.endpoint
    if columns is not None:
        table = table[[name for name in table.colnames if name in columns or name in _KEEP]]
    if kind.latest and kind.row_id in table.colnames:
        order = np.argsort(np.asarray(table[kind.row_id]), kind="stable")
        if not np.array_equal(order, np.arange(len(table))):
            table = table[order]
    table, _ = complete_columns(table, endpoint, table.colnames)
    table = order_rows(table, endpoint)
    annotate(table, endpoint)
    return arrange(table, endpoint, columns)
