"""
Fink Data Transfer downloads made from the replica's objects: the Parquet files ``finkctl transfer`` writes.

A Data Transfer download holds whole alerts, one per row, as nested Arrow columns (``diaSource``,
``prvDiaSources``, ``prvDiaForcedSources``, ``diaObject``, the Fink added values, the cutouts).
`write_data_transfer` writes one from the replica's own tables, so that a reader can be checked
against the replica's REST answers for the same objects: every detection and forced point in the
files is a row of ``/api/v1/sources`` or ``/api/v1/fp``, with the same ids, and every Solar System
alert a row of ``/api/v1/sso``.

Only pyarrow and numpy are needed; the replica's dataset (pandas) is built when first used.
"""

import datetime
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .fields import lsst_fields
from .generate_helpers import BROKER_41_MJD

__all__ = ["write_data_transfer", "data_transfer_schema", "DEFAULT_TOPIC"]

#: Topic of the downloads written by default: ``ftransfer_lsst_<submission date>_<microsecond>``.
DEFAULT_TOPIC = "ftransfer_lsst_2026-03-27_750709"

# Avro base type of the LSST schema files -> Arrow type, as fink-client's avro2arrow maps them
_ARROW = {"long": pa.int64(), "int": pa.int32(), "float": pa.float32(), "double": pa.float64(),
          "boolean": pa.bool_(), "string": pa.string(), "bytes": pa.binary()}
_AVRO = {str(arrow): avro for avro, arrow in _ARROW.items()}

_LC_FEATURES = (
    "mean", "weighted_mean", "standard_deviation", "median", "amplitude", "beyond_1_std", "cusum",
    "inter_percentile_range_10", "kurtosis", "linear_trend", "linear_trend_sigma", "linear_trend_noise",
    "linear_fit_slope", "linear_fit_slope_sigma", "linear_fit_reduced_chi2", "magnitude_percentage_ratio_40_5",
    "magnitude_percentage_ratio_20_10", "maximum_slope", "median_absolute_deviation",
    "median_buffer_range_percentage_10", "percent_amplitude", "mean_variance", "anderson_darling_normal", "chi2",
    "skew", "stetson_K",
)
# Fink's added sections: (column, [(field, Arrow type)]); field names after the replica's f:clf_/f:xm_ cells
_F, _D, _I, _S, _B = pa.float32(), pa.float64(), pa.int32(), pa.string(), pa.bool_()
_CLF = [("snnSnVsOthers_score", _F), ("cats_class", _I), ("cats_score", _F), ("earlySNIa_score", _D),
        ("elephant_kstest_science", _F), ("elephant_kstest_template", _F)]
_XM = [("simbad_otype", _S), ("gaiadr3_DR3Name", _S), ("gaiadr3_Plx", _F), ("gaiadr3_e_Plx", _F),
       ("gaiadr3_VarFlag", _I), ("legacydr8_zphot", _F), ("legacydr8_e_zphot", _F), ("legacydr8_pstar", _F),
       ("legacydr8_fqual", _I), ("tns_fullname", _S), ("tns_type", _S), ("tns_redshift", _F), ("gcvs_type", _S),
       ("x3hsp_type", _S), ("x4lac_type", _S), ("vsx_Type", _S), ("spicy_class", _S),
       ("mangrove_HyperLEDA_name", _S), ("mangrove_2MASS_name", _S), ("mangrove_lum_dist", _F),
       ("mangrove_ang_dist", _F)]
_PRED = [("is_sso", _B), ("is_first", _B), ("is_cataloged", _B), ("main_label_classifier", _I),
         ("main_label_crossmatch", _S)]
_MISC = [("firstDiaSourceMjdTaiFink", _D)]
# the replica stores Gaia's variability flag as text; the transfer schema has an int [guess: the codes]
_VARFLAG = {"NOT_AVAILABLE": 0, "VARIABLE": 1, "CONSTANT": 2}
_MJD_EPOCH = datetime.datetime(1858, 11, 17)


def _base_type(avro_type):
    if isinstance(avro_type, list):
        (avro_type,) = [member for member in avro_type if member != "null"]
    if isinstance(avro_type, dict):  # timestamp-micros: fink-client keeps the plain long
        avro_type = avro_type["type"]
    return _ARROW[avro_type]


def _struct(record):
    return pa.struct([pa.field(f["name"], _base_type(f["type"])) for f in lsst_fields(record)])


def _plain_struct(fields):
    return pa.struct([pa.field(name, kind) for name, kind in fields])


def data_transfer_schema():
    """
    Arrow schema of a full-packet LSST Data Transfer download (29 columns, every field nullable).

    The LSST sections follow alert schema 11.0 field by field; the Fink sections follow the
    files Fink writes. Partitioned downloads hold the same columns but ``year/month/day``.

    Returns
    -------
    pyarrow.Schema

    Examples
    --------
    >>> from astroquery_fink.testing.data_transfer import data_transfer_schema
    >>> schema = data_transfer_schema()
    >>> len(schema), schema.field("prvDiaSources").type.value_type.num_fields
    (29, 98)
    """
    source = _struct("diaSource")
    lc_value = pa.struct([pa.field(name, pa.float64()) for name in _LC_FEATURES])
    columns = [
        ("diaSourceId", pa.int64()), ("observation_reason", _S), ("target_name", _S),
        ("diaSource", source), ("prvDiaSources", pa.list_(source)),
        ("prvDiaForcedSources", pa.list_(_struct("diaForcedSource"))),
        ("diaObject", _struct("diaObject")), ("ssSource", _struct("ssSource")), ("mpc_orbits", _struct("mpc_orbits")),
        ("cutoutDifference", pa.binary()), ("cutoutScience", pa.binary()), ("cutoutTemplate", pa.binary()),
        ("brokerIngestMjd", _D), ("lsst_schema_version", _S), ("brokerStartProcessTimestamp", _S),
        ("fink_broker_version", _S), ("fink_science_version", _S), ("publisher", _S),
        ("lc_features", pa.map_(pa.string(), lc_value)),
        ("clf", _plain_struct(_CLF)), ("xm", _plain_struct(_XM)), ("pred", _plain_struct(_PRED)),
        ("misc", _plain_struct(_MISC)),
        ("brokerEndProcessTimestamp", _S), ("timestamp", _S), ("year", _I), ("month", _I), ("day", _I),
        ("tns_type_recomputed", _S),
    ]
    return pa.schema([pa.field(name, kind) for name, kind in columns])


# --- values -------------------------------------------------------------------------------------


def _coerce(value, kind):
    """A cell of the replica's tables as the Arrow type wants it; None for a missing value (never NaN)."""
    if value is None:
        return None
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):  # pandas.NA: its comparisons give NA, whose truth is undefined
        return None
    if pa.types.is_integer(kind):
        if isinstance(value, str):
            return int(value) if value.lstrip("-").isdigit() else _VARFLAG.get(value)
        return int(value)
    if pa.types.is_floating(kind):
        return float(value)
    if pa.types.is_boolean(kind):
        return bool(value)
    return str(value) if pa.types.is_string(kind) else value


def _record(row, kind, prefix="r:"):
    """A struct value: each field of ``kind`` from the cell ``prefix + name`` of ``row`` (None if absent)."""
    return {f.name: _coerce(row.get(prefix + f.name), f.type) for f in kind}


def _mjd_text(mjd):
    """``YYYY-MM-DD HH:MM:SS.ffffff`` of an MJD, as the transfer job writes its timestamps."""
    return (_MJD_EPOCH + datetime.timedelta(days=float(mjd))).strftime("%Y-%m-%d %H:%M:%S.%f")


def _mjd_date(mjd):
    return (_MJD_EPOCH + datetime.timedelta(days=float(mjd))).date()


def _fits_stamp(flux):
    """A small valid FITS file (primary image, 16x16 float32, a Gaussian of ``flux``), a multiple of 2880 B."""
    cards = ["SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    2",
             "NAXIS1  =                   16", "NAXIS2  =                   16", "BUNIT   = 'nJy     '", "END"]
    header = "".join(card.ljust(80) for card in cards).ljust(2880).encode("ascii")
    y, x = np.mgrid[:16, :16] - 7.5
    image = (float(flux or 0.0) / (2 * np.pi * 1.7**2) * np.exp(-(x**2 + y**2) / (2 * 1.7**2))).astype(">f4")
    data = image.tobytes()
    return header + data + b"\0" * (-len(data) % 2880)


def _lc_features(history):
    """Per-band features of the detections so far (a few computed, the others null): map entries."""
    entries = []
    for band in "ugrizy":
        points = [(s["psfFlux"], s["psfFluxErr"]) for s in history
                  if s["band"] == band and s["psfFlux"] is not None and s["psfFluxErr"]]
        if not points:
            continue
        flux, err = np.array(points).T
        weights = 1 / err**2
        values = dict.fromkeys(_LC_FEATURES)
        values.update(mean=float(flux.mean()), weighted_mean=float(np.sum(weights * flux) / weights.sum()),
                      median=float(np.median(flux)), amplitude=float((flux.max() - flux.min()) / 2),
                      standard_deviation=float(flux.std(ddof=1)) if len(flux) > 1 else None)
        entries.append((band, values))
    return entries


class _Sections:
    """The Arrow types of the sections an alert row is made of, and the sections an alert leaves empty."""

    def __init__(self, schema):
        self.source = schema.field("diaSource").type
        self.forced = schema.field("prvDiaForcedSources").type.value_type
        self.object = schema.field("diaObject").type
        self.ss_source = schema.field("ssSource").type
        # an absent section is a struct with every field null, never a null struct: a static
        # object's alerts carry ssSource and mpc_orbits so, a Solar System object's alerts diaObject
        self.empty = {name: dict.fromkeys(f.name for f in schema.field(name).type)
                      for name in ("diaObject", "ssSource", "mpc_orbits")}
        self.fink = {name: schema.field(name).type for name in ("clf", "xm", "pred", "misc")}


def _packet(sections, cells, own, versions, **parts):
    """
    One alert row: the alert's own diaSource ``own`` (from the replica's ``cells``) and the given ``parts``.

    ``versions`` are the (LSST schema, fink-broker, fink-science) versions; ``parts`` fill the
    history, the LSST sections and Fink's values (``prvDiaSources``, ``prvDiaForcedSources``,
    ``diaObject``, ``ssSource``, ``mpc_orbits``, ``lc_features``, ``clf``, ``xm``, ``pred``, ``misc``).
    """
    t = own["midpointMjdTai"]
    date = _mjd_date(t)
    lsst_version, broker_version, science_version = versions
    return {
        "diaSourceId": own["diaSourceId"],
        "observation_reason": _coerce(cells.get("r:observation_reason"), pa.string()),
        "target_name": _coerce(cells.get("r:target_name"), pa.string()),
        "diaSource": own,
        **parts,
        "cutoutDifference": _fits_stamp(own["psfFlux"]),
        "cutoutScience": _fits_stamp(own["scienceFlux"]),
        "cutoutTemplate": _fits_stamp(own["templateFlux"]),
        "brokerIngestMjd": t + 0.01,
        "lsst_schema_version": lsst_version,
        "brokerStartProcessTimestamp": _mjd_text(t + 0.012),
        "fink_broker_version": broker_version,
        "fink_science_version": science_version,
        "publisher": "Fink",
        "brokerEndProcessTimestamp": _mjd_text(t + 0.013),
        "timestamp": _mjd_text(t + 0.014),
        "year": date.year, "month": date.month, "day": date.day,
        "tns_type_recomputed": "Unknown",
    }


def _object_alerts(sections, sources, forced, obj, alerts_per_object):
    """
    Alert rows of one object: its latest ``alerts_per_object`` detections, each with the history before it.

    ``sources`` and ``forced`` are the object's cells sorted by time, ``obj`` its diaObject cells.
    """
    detections = [_record(row, sections.source) for row in sources]
    points = [_record(row, sections.forced) for row in forced]
    times = np.array([p["midpointMjdTai"] for p in points])
    first = max(len(sources) - alerts_per_object, 0) if alerts_per_object else 0
    rows = []
    for k in range(first, len(sources)):
        own = dict(detections[k], ssObjectId=0)  # 0 in the alert itself, null in later histories
        history = detections[:k]
        t = own["midpointMjdTai"]
        diaobject = _record(obj, sections.object)
        # the object as it was at this alert (the replica's diaObject row is the latest alert's)
        diaobject.update(nDiaSources=k + 1, lastDiaSourceMjdTai=t)
        pred = _record(obj, sections.fink["pred"], "f:")
        pred["is_first"] = k == 0
        versions = [_coerce(sources[k].get(f"f:{name}"), pa.string())
                    for name in ("lsst_schema_version", "fink_broker_version", "fink_science_version")]
        rows.append(_packet(
            sections, sources[k], own, versions,
            # Fink sends no history with a first detection: null detections, empty forced photometry
            prvDiaSources=history or None,
            prvDiaForcedSources=[p for p, tp in zip(points, times, strict=True) if tp <= t + 1e-9] if k else [],
            diaObject=diaobject,
            ssSource=sections.empty["ssSource"],
            mpc_orbits=sections.empty["mpc_orbits"],
            lc_features=_lc_features(history + [own]),
            clf=_record(sources[k], sections.fink["clf"], "f:clf_"),
            xm=_record(sources[k], sections.fink["xm"], "f:xm_"),
            pred=pred,
            misc=_record(obj, sections.fink["misc"], "f:"),
        ))
    return rows


def _alerts(dataset, object_ids, alerts_per_object, schema):
    from .dataset import TABLES

    sections = _Sections(schema)
    sources, forced, objects = (_cells_by_object(dataset.tables[TABLES[name]], object_ids)
                                for name in ("sources", "fp", "objects"))
    rows = []
    for oid in object_ids:
        if not sources.get(int(oid)) or not objects.get(int(oid)):
            raise ValueError(f"the replica has no static object with diaObjectId {oid}")
        rows.extend(_object_alerts(sections, sources[int(oid)], forced.get(int(oid), []), objects[int(oid)][0],
                                   alerts_per_object))
    return rows


def _cells_by_object(frame, object_ids, key="r:diaObjectId"):
    """
    Object id (the ``key`` column) -> rows of ``frame``, sorted by time.

    Rows are dicts of plain Python values, a missing cell as None.
    """
    ids = frame[key].astype("int64")
    frame = frame[ids.isin([int(i) for i in object_ids]).to_numpy()]
    if "r:midpointMjdTai" in frame:
        frame = frame.sort_values("r:midpointMjdTai", kind="stable")
    frame = frame.astype(object)
    grouped = {}
    for row in frame.where(frame.notna(), None).to_dict("records"):
        grouped.setdefault(int(row[key]), []).append(row)
    return grouped


# --- Solar System alerts ------------------------------------------------------------------------


def _fink_versions(mjd):
    """(LSST schema, fink-broker, fink-science) versions of an alert processed at ``mjd``, by the dataset's rule."""
    new = mjd >= BROKER_41_MJD
    return "lsst.v10_0", "4.1" if new else "4.0", "8.36.0" if new else "8.26.0"


def _resolve_sso(dataset, sso_objects):
    """
    ssObjectId -> (packed, unpacked designation) of the requested Solar System objects, in the order given.

    Each request is an ssObjectId (int or digits) or a designation, packed (``K15Bt7C``) or not
    (``2015 BC557``), as the replica's ``rubin.sso_resolver`` table knows them.
    """
    from .dataset import TABLES

    known = {}
    for row in dataset.tables[TABLES["sso_resolver"]].to_dict("records"):
        entry = (int(row["r:ssObjectId"]), row["r:packed_primary_provisional_designation"],
                 row["r:unpacked_primary_provisional_designation"])
        known.update(dict.fromkeys((str(key) for key in entry), entry))
    if isinstance(sso_objects, (str, int, np.integer)):
        sso_objects = [sso_objects]
    chosen = {}
    for request in sso_objects:
        entry = known.get(str(request).strip())
        if entry is None:
            examples = ", ".join(sorted({repr(e[2]) for e in known.values()})[:3])
            raise ValueError(f"the replica has no Solar System object {request!r}: give an ssObjectId or a "
                             f"designation, such as {examples}")
        chosen[entry[0]] = entry[1:]
    return chosen


def _sso_object_alerts(sections, sources, designations, alerts_per_object):
    """
    Alert rows of one Solar System object: its latest ``alerts_per_object`` detections (all of them if None).

    A moving object has no diaObject and Fink sends it no history: ``diaObject`` has every field
    null, ``diaSource.diaObjectId`` is 0 (not null), both history lists are null; ``ssSource``
    and ``mpc_orbits`` are filled.
    """
    packed, unpacked = designations
    first = max(len(sources) - alerts_per_object, 0) if alerts_per_object else 0
    rows = []
    for cells in sources[first:]:
        own = dict(_record(cells, sections.source), diaObjectId=0)
        # the replica knows an object's designations, not its MPC orbit: the orbit's numbers stay null
        orbits = dict(sections.empty["mpc_orbits"], designation=unpacked,
                      packed_primary_provisional_designation=packed, unpacked_primary_provisional_designation=unpacked)
        # no classifier runs on a moving object: -1 as in the real files; scores and cross-matches null [guess]
        clf = dict(dict.fromkeys(f.name for f in sections.fink["clf"]), cats_class=-1, earlySNIa_score=-1.0)
        pred = {"is_sso": True, "is_first": False, "is_cataloged": False, "main_label_classifier": -1,
                "main_label_crossmatch": None}
        rows.append(_packet(
            sections, cells, own, _fink_versions(own["midpointMjdTai"]),
            prvDiaSources=None,
            prvDiaForcedSources=None,
            diaObject=sections.empty["diaObject"],
            ssSource=_record(cells, sections.ss_source),
            mpc_orbits=orbits,
            lc_features=_lc_features([own]),  # one key, the detection's band
            clf=clf,
            xm=dict.fromkeys(f.name for f in sections.fink["xm"]),
            pred=pred,
            misc=dict.fromkeys(f.name for f in sections.fink["misc"]),
        ))
    return rows


def _sso_alerts(dataset, sso_objects, alerts_per_object, schema):
    from .dataset import TABLES

    sections = _Sections(schema)
    chosen = _resolve_sso(dataset, sso_objects)
    sources = _cells_by_object(dataset.tables[TABLES["sso"]], list(chosen), key="r:ssObjectId")
    rows = []
    for ss_object_id, designations in chosen.items():
        if not sources.get(ss_object_id):
            raise ValueError(f"the replica has no alert of the Solar System object {designations[1]!r}")
        rows.extend(_sso_object_alerts(sections, sources[ss_object_id], designations, alerts_per_object))
    return rows


# --- null-typed columns (fink-client < 11) ------------------------------------------------------


def _null_typed(array):
    """``array`` with every field that is null in all rows retyped ``null``, inside structs and lists too."""
    if len(array) and array.null_count == len(array):
        return pa.nulls(len(array))
    if pa.types.is_struct(array.type):
        children = [_null_typed(array.field(i)) for i in range(array.type.num_fields)]
        names = [array.type.field(i).name for i in range(array.type.num_fields)]
        return pa.StructArray.from_arrays(children, names=names, mask=array.is_null() if array.null_count else None)
    if pa.types.is_list(array.type):
        values = _null_typed(array.values)
        return pa.ListArray.from_arrays(array.offsets, values, mask=array.is_null() if array.null_count else None)
    return array


def _legacy_table(table):
    columns = [_null_typed(column.combine_chunks()) for column in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


# --- double ids (fink-client < 11) -------------------------------------------------------------

# The 64-bit identifiers of the alert packet (diaSource, diaObject, ssSource, forced points). Before
# release 11, fink-client passed each batch of alerts through a pandas frame, which stores an integer
# column holding a null as float64, and users found id columns of type double in their files
# (fink-client #235). Which ones is not recorded: a top-level column with nulls (the diaObjectId of a
# flat layout) was widened so, ids nested in structs were not. The double_ids mode widens every id at
# every level, the worst case a reader has to survive. ``visit`` is left alone: its values (about
# 2e12) are below 2**53, exact as doubles, so widening it would test no loss.
_ID_FIELDS = ("diaSourceId", "diaObjectId", "ssObjectId", "diaForcedSourceId", "parentDiaSourceId")


def _double_ids_type(kind):
    """Arrow type ``kind`` with every integer field named in `_ID_FIELDS` made float64, inside structs and lists."""
    if pa.types.is_struct(kind):
        return pa.struct([_double_ids_field(f) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(_double_ids_field(kind.value_field))
    return kind


def _double_ids_field(field):
    if field.name in _ID_FIELDS and pa.types.is_integer(field.type):
        return field.with_type(pa.float64())
    return field.with_type(_double_ids_type(field.type))


def _double_ids_table(table):
    """``table`` with its ids as float64 at every level (ids above 2**53 lose their last digits, as they did)."""
    schema = pa.schema([_double_ids_field(f) for f in table.schema])
    return table.cast(schema, safe=False)  # a safe cast refuses the rounding that this mode is about


def _pandas_type(kind):
    """(pandas_type, numpy_type) of a column in the ``pandas`` metadata ``pyarrow.Table.from_pandas`` writes."""
    if pa.types.is_null(kind):
        return "empty", "object"
    if pa.types.is_boolean(kind):
        return "bool", "bool"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        name = str(kind.to_pandas_dtype().__name__)
        return name, name
    if pa.types.is_string(kind):
        return "unicode", "object"
    if pa.types.is_binary(kind):
        return "bytes", "object"
    return "object", "object"  # structs, lists and maps were columns of Python objects


def _with_pandas_metadata(table):
    """``table`` with the ``pandas`` schema metadata of a frame with a default index, as old files carry."""
    from pandas import __version__ as pandas_version

    columns = [{"name": f.name, "field_name": f.name, "pandas_type": _pandas_type(f.type)[0],
                "numpy_type": _pandas_type(f.type)[1], "metadata": None} for f in table.schema]
    meta = {
        "index_columns": [{"kind": "range", "name": None, "start": 0, "stop": table.num_rows, "step": 1}],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode", "numpy_type": "object",
                            "metadata": {"encoding": "UTF-8"}}],
        "columns": columns,
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": pandas_version,
    }
    return table.replace_schema_metadata({b"pandas": json.dumps(meta).encode()})


# --- Avro schema dump ---------------------------------------------------------------------------


def _avro_type(kind, name, bare=False):
    """Avro type of an Arrow type; records are named after their column in namespace ``topLevelRecord``."""
    if pa.types.is_struct(kind):
        avro = {"type": "record", "name": name, "namespace": "topLevelRecord",
                "fields": [{"name": f.name, "type": _avro_type(f.type, f.name)} for f in kind]}
    elif pa.types.is_list(kind):
        avro = {"type": "array", "items": _avro_type(kind.value_type, name)}
    elif pa.types.is_map(kind):
        avro = {"type": "map", "values": _avro_type(kind.item_type, "topLevelRecord")}
    else:
        avro = _AVRO[str(kind)]
    return avro if bare else [avro, "null"]


def _avro_schema(schema):
    bare = ("diaSource", "diaObject", "ssSource", "mpc_orbits", "clf", "xm", "pred", "misc")
    fields = [{"name": f.name, "type": _avro_type(f.type, f.name, bare=f.name in bare)} for f in schema]
    return {"type": "record", "name": "value", "namespace": "topLevelRecord", "fields": fields}


# --- files --------------------------------------------------------------------------------------


def write_data_transfer(folder, object_ids=None, *, sso_objects=None, alerts_per_object=3, batchsize=8,
                        partition_by=None, null_typed=False, double_ids=False, dump_schemas=True, topic=DEFAULT_TOPIC,
                        seed=0, dataset=None):
    """
    Write a Fink Data Transfer download (Parquet, full packets) of the replica's objects.

    The layout is the one ``finkctl transfer -outformat parquet --dump_schemas`` leaves:
    ``<folder>/<topic>/part-1-0-<n>.parquet`` (``n`` the successive draws of
    ``numpy.random.RandomState(0).randint(0, 10**9)``, as fink-client names its files),
    ``<folder>/arrow_schema_<topic>.metadata`` and ``<folder>/avro_schema_<topic>.json``
    beside the data folder (the client writes them in its working directory).

    Each row is one alert. A static object's alert is one of its latest detections, with the
    object's earlier detections in ``prvDiaSources`` (null for a first detection) and its
    forced photometry up to and including the alert's visit in ``prvDiaForcedSources``, so the
    history is repeated in every alert of an object; ``ssSource`` and ``mpc_orbits`` have every
    field null. A Solar System object's alert (``sso_objects``) is one detection with
    ``ssSource`` and the designations of ``mpc_orbits`` filled, ``diaObject`` with every field
    null, ``diaSource.diaObjectId`` = 0, both history lists null and ``pred.is_sso`` true.
    Detections and forced points are the rows of the replica's ``/api/v1/sources``,
    ``/api/v1/fp`` and ``/api/v1/sso`` answers, with the same ids; all alerts are shuffled
    together over files of 1 to ``batchsize`` rows.

    Parameters
    ----------
    folder : str or path-like
        Where to write (created if missing). Files already there with the same names are
        overwritten, as the client does.
    object_ids : iterable of int or str, optional
        diaObjectIds of static objects of the replica; default: `REAL_OBJECT_IDS`. Give an
        empty list for a download of Solar System objects only.
    sso_objects : iterable of int or str, or one of them, optional
        Solar System objects of the replica, each by ``ssObjectId`` (``21164728071239491``)
        or designation, unpacked (``"2015 BC557"``) or packed (``"K15Bt7C"``). Default: none.
    alerts_per_object : int or None, optional
        Alerts written per object (static or Solar System), its latest detections; None for
        all of them.
    batchsize : int, optional
        Maximum number of alerts per file (``-batchsize``).
    partition_by : {None, "time"}, optional
        ``"time"`` writes Hive folders ``year=YYYY/month=MM/day=DD`` from the UTC date of
        ``diaSource.midpointMjdTai`` and drops the ``year/month/day`` columns from the files.
    null_typed : bool, optional
        Write files as fink-client before 11.0 did: a field null in every row of a file gets
        the Arrow type ``null`` in that file, so that files disagree on their schema and a
        folder only reads with the dumped schema.
    double_ids : bool, optional
        Write ids as doubles, as fink-client before 11.0 could leave them after passing the
        alerts through pandas (which stores an integer column holding a null as float64): the
        fields ``diaSourceId``, ``diaObjectId``, ``ssObjectId``, ``diaForcedSourceId`` and
        ``parentDiaSourceId`` are float64 at every level, the worst case, so ids above 2**53
        lose their last digits; each file's schema metadata has a ``pandas`` key. The dumped
        schemas still describe the 11.0 layout (int64 ids); a download of that time had no
        Arrow schema dump, so pass ``dump_schemas=False`` for a faithful one.
    dump_schemas : bool, optional
        Write the Arrow (``.metadata``, a 0-row Parquet file) and Avro (``.json``) schemas.
    topic : str, optional
        Topic name, ``ftransfer_lsst_<YYYY-MM-DD>_<0-999999>``.
    seed : int, optional
        Seed of the order of the alerts and of the file sizes.
    dataset : optional
        The replica's data, a ``Dataset`` (default: what a default `FinkReplica` serves).

    Returns
    -------
    list of pathlib.Path
        The Parquet data files written, sorted.

    Raises
    ------
    ValueError
        For an object the replica does not have, or a bad ``partition_by`` or ``batchsize``.

    Examples
    --------
    >>> import tempfile
    >>> import pyarrow.parquet as pq
    >>> from astroquery_fink.testing import write_data_transfer
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = write_data_transfer(folder, ["314003014107006318"], alerts_per_object=2, batchsize=1)
    ...     [f.relative_to(folder).as_posix() for f in files]
    ['ftransfer_lsst_2026-03-27_750709/part-1-0-209652396.parquet',
     'ftransfer_lsst_2026-03-27_750709/part-1-0-398764591.parquet']

    The latest alert of a static object and of a Solar System object, shuffled together:

    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = write_data_transfer(folder, ["314003014107006318"], sso_objects=["2015 BC557"],
    ...                                 alerts_per_object=1, dump_schemas=False)
    ...     alerts = pq.read_table(files, columns=["diaSource", "diaObject", "pred"]).to_pylist()
    >>> [(a["pred"]["is_sso"], a["diaSource"]["diaObjectId"], a["diaObject"]["diaObjectId"],
    ...   a["diaSource"]["ssObjectId"]) for a in alerts]
    [(False, 314003014107006318, 314003014107006318, 0), (True, 0, None, 21164728071239491)]

    The same, as fink-client before 11.0 wrote it: the ids are doubles, the last digits lost.

    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = write_data_transfer(folder, ["314003014107006318"], sso_objects=["2015 BC557"],
    ...                                 alerts_per_object=1, double_ids=True, dump_schemas=False)
    ...     alerts = pq.read_table(files, columns=["diaSource"]).to_pylist()
    >>> [int(a["diaSource"]["ssObjectId"]) for a in alerts]
    [0, 21164728071239492]
    """
    from .dataset import REAL_OBJECT_IDS, default_dataset

    if partition_by not in (None, "time"):
        raise ValueError(f"partition_by must be None or 'time', not {partition_by!r}")
    if int(batchsize) < 1:
        raise ValueError(f"batchsize must be at least 1, not {batchsize!r}")
    object_ids = [str(i) for i in (REAL_OBJECT_IDS if object_ids is None else object_ids)]
    dataset = dataset or default_dataset()
    schema = data_transfer_schema()
    rows = _alerts(dataset, object_ids, alerts_per_object, schema)
    if sso_objects is not None:
        rows.extend(_sso_alerts(dataset, sso_objects, alerts_per_object, schema))
    rng = np.random.default_rng(seed)
    rows = [rows[i] for i in rng.permutation(len(rows))]  # Kafka hands alerts out in no particular order

    root = Path(folder)
    data = root / topic
    data.mkdir(parents=True, exist_ok=True)
    names = np.random.RandomState(0)  # fink-client seeds its file numbers with 0 in every run
    written = []
    start = 0
    while start < len(rows):
        size = int(rng.integers(1, int(batchsize) + 1))
        table = pa.Table.from_pylist(rows[start:start + size], schema=schema)
        start += size
        number = names.randint(0, 10**9)
        if double_ids:
            table = _double_ids_table(table)
        if null_typed:
            table = _legacy_table(table)
        if partition_by == "time":
            written.extend(_write_partitioned(table, data, number, pandas_metadata=double_ids))
        else:
            path = data / f"part-1-0-{number}.parquet"
            pq.write_table(_with_pandas_metadata(table) if double_ids else table, path)
            written.append(path)
    if dump_schemas:
        pq.write_metadata(schema, root / f"arrow_schema_{topic}.metadata")
        text = json.dumps(_avro_schema(schema), sort_keys=True, indent=4)
        (root / f"avro_schema_{topic}.json").write_text(text, encoding="utf-8")
    return sorted(written)


def _write_partitioned(table, data, number, pandas_metadata=False):
    """Files of one batch under ``year=/month=/day=`` folders (zero-padded text) of the detections' UTC dates."""
    dates = [_mjd_date(t) for t in table["diaSource"].combine_chunks().field("midpointMjdTai").to_pylist()]
    table = table.drop_columns(["year", "month", "day"])
    for name, fmt in (("year", "%Y"), ("month", "%m"), ("day", "%d")):
        table = table.append_column(name, pa.array([d.strftime(fmt) for d in dates], pa.string()))
    if pandas_metadata:  # the old client added the date columns to its frame before converting it
        table = _with_pandas_metadata(table)
    paths = []
    pq.write_to_dataset(table, data, partition_cols=["year", "month", "day"],
                        basename_template=f"part-1-{{i}}-{number}.parquet",
                        existing_data_behavior="overwrite_or_ignore",
                        file_visitor=lambda written: paths.append(Path(written.path)))
    return paths
