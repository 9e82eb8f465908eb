"""Giving a decoded Fink table its full set of columns, units, UCDs and descriptions."""
from astropy.table import Column

from .columns import column_kinds, endpoint_columns, missing_column, selectable_columns, type_kind
from .schema import SCHEMA_FAMILIES, check_schema_versions, served_column, warn_undescribed

__all__ = ["complete_columns", "annotate"]


def complete_columns(table, endpoint, requested):
    """
    Add the columns the server left out, fully masked, and return the names it did not know.

    The server null-fills the absent columns of a full read but not those of a selection, and
    an empty answer has no column at all. Adding them back gives the same table shape for every
    answer: every requested column (or every column of the endpoint for a full read), typed from
    the column map.

    Parameters
    ----------
    table : `~astropy.table.Table`
        Decoded table.
    endpoint : str
        Short endpoint name (``"fp"``).
    requested : list of str or None
        Requested column names, `None` for a full read.

    Returns
    -------
    table : `~astropy.table.Table`
        The completed table, columns in the server's order (code-point order, computed last).
    unknown : list of str
        Requested names that are neither in the answer nor in the column map.
    """
    known = endpoint_columns(endpoint)
    kinds = column_kinds(endpoint)
    if requested is not None:
        # a column /api/v1/schema lists but the data never holds (f:clf_slsn_score): asked for, it is empty
        listed = {name: info for name, info in selectable_columns(endpoint).items() if name not in known}
        known = {**known, **listed}
        kinds = {**kinds, **{name: type_kind(info.type) for name, info in listed.items() if type_kind(info.type)}}
    missing = [name for name in _wanted(known, requested, len(table)) if name not in table.colnames]
    added = [name for name in missing if name in known]
    for name in added:
        if name in kinds:  # columns without a kind (bytes) are not added
            table[name] = _missing(name, kinds[name], len(table))
    if added:
        table = table[_server_order(table.colnames, known)]
    return table, [name for name in missing if name not in known]


def _wanted(known, requested, length):
    """The columns an answer of ``length`` rows should have: the requested ones, else the endpoint's."""
    if requested is not None:
        return requested
    # A non-empty full read is already complete; only an empty answer lacks its columns.
    return list(known) if length == 0 else []


def _missing(name, kind, length):
    """A column without data, in the form decode_table gives it: masked only when it has rows."""
    column = missing_column(name, kind, length)
    return column if length else Column(column.data, name=name)


def _server_order(names, known):
    """
    ``names`` in the server's order: the stored columns sorted alphabetically (code-point
    order), then the ones it computes at query time.
    """
    computed = [name for name in names if name in known and known[name].group == "computed"]
    return sorted(name for name in names if name not in computed) + computed


def annotate(table, endpoint, descriptions=None):
    """
    Attach unit, description and UCD to every column of ``table`` that the column map knows.

    A column the packaged map does not know (one of a newer alert schema) takes the unit and
    description of the server's schema when one was read in this session (`get_schema`, called
    by the query methods when a requested column is unknown to the map); no request is sent.
    The LSST alert schema versions of the rows (``f:lsst_schema_version``) are recorded in
    ``table.meta["lsst_schema_version"]`` (sorted list), with a `SchemaVersionWarning` once
    for a version the packaged map does not describe.

    Parameters
    ----------
    table : `~astropy.table.Table`
        Modified in place.
    endpoint : str
        Short endpoint name; units are looked up per endpoint because a name can mean
        different things on different routes (``f:is_sso`` is a flag on objects, a count in
        statistics).
    descriptions : dict, optional
        Descriptions from the server's schema service, preferred over the packaged ones.
    """
    known = {**selectable_columns(endpoint), **endpoint_columns(endpoint)}
    descriptions = descriptions or {}
    undescribed = []
    for name in table.colnames:
        info = known.get(name)
        column = table[name]
        served = served_column(endpoint, name) if info is None else None
        if info is not None:
            column.unit = info.unit
            if info.ucd:
                column.meta["ucd"] = info.ucd
        elif served is not None and served[0] is not None:
            column.unit = served[0]
        elif served is None and name.startswith(SCHEMA_FAMILIES):
            undescribed.append(name)
        packaged = info.description if info is not None else (served[1] if served is not None else None)
        description = descriptions.get(name) or packaged
        if description:
            column.description = description
    if undescribed:
        warn_undescribed(endpoint, undescribed)
    if "f:lsst_schema_version" in table.colnames:
        table.meta["lsst_schema_version"] = check_schema_versions(table["f:lsst_schema_version"])
    return table
