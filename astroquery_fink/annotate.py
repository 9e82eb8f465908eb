"""Giving a decoded Fink table its full set of columns, units, UCDs and descriptions."""
import numpy as np
from astropy.table import MaskedColumn

from .columns import endpoint_columns
from .decode import column_kind, empty_column

__all__ = ["kind_resolver", "complete_columns", "annotate"]

_EMPTY_VALUE = {"int": 0, "float": np.nan, "bool": False, "str": ""}


def kind_resolver(endpoint):
    """Return a function mapping a column name of ``endpoint`` to its decoding kind (or `None`)."""
    known = endpoint_columns(endpoint)

    def kind_of(name):
        info = known.get(name)
        return column_kind(info.type) if info is not None else None

    return kind_of


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

    def computed(name):
        # The server appends columns computed at query time after the stored ones, which it sorts alphabetically.
        return name in known and known[name].group == "computed"

    if requested is None:
        # A non-empty full read is already complete; only an empty answer lacks its columns.
        wanted = list(known) if len(table) == 0 else []
    else:
        wanted = requested
    missing = [name for name in wanted if name not in table.colnames]
    unknown = [name for name in missing if name not in known]
    added = [name for name in missing if name in known]
    for name in added:
        kind = column_kind(known[name].type)
        if kind is None:
            continue
        if len(table):
            filler = np.full(len(table), _EMPTY_VALUE[kind], dtype=empty_column(name, kind).dtype)
            table[name] = MaskedColumn(filler, name=name, mask=np.ones(len(table), dtype=bool))
        else:
            table[name] = empty_column(name, kind)
    if added:
        stored = sorted(name for name in table.colnames if not computed(name))
        table = table[stored + [name for name in table.colnames if computed(name)]]
    return table, unknown


def annotate(table, endpoint, descriptions=None):
    """
    Attach unit, description and UCD to every column of ``table`` that the column map knows.

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
    known = endpoint_columns(endpoint)
    descriptions = descriptions or {}
    for name in table.colnames:
        info = known.get(name)
        column = table[name]
        if info is not None:
            column.unit = info.unit
            if info.ucd:
                column.meta["ucd"] = info.ucd
        description = descriptions.get(name) or (info.description if info is not None else None)
        if description:
            column.description = description
    return table
