"""The row order each method promises, restored on the client whatever order the server sends.

The server sorts rows newest first only when ``r:midpointMjdTai`` is in its answer; otherwise
rows of several ids come in the iteration order of a Java ``HashMap`` of their storage keys
(neither the order of the ids given nor time order), and tags come oldest first. So the
client asks for the columns it sorts on and sorts itself.
"""
import numpy as np

__all__ = ["ORDER_COLUMNS", "order_rows"]

_TIME = "r:midpointMjdTai"
_OBJECT = "r:diaObjectId"

#: Columns an endpoint's query always asks for, so that its rows can be put in order and none
#: vanishes: the server drops a row whose selected cells are all null, and ``r:diaObjectId``
#: is never null.
ORDER_COLUMNS = {
    "objects": (_OBJECT,),
    "sources": (_OBJECT, _TIME),
    "fp": (_OBJECT, _TIME),
    "sso": (_TIME,),
    "tags": (_TIME,),
}

# The row's own identifier, the last tie-break between rows of the same time and object.
_ROW_ID = {"sources": "r:diaSourceId", "fp": "r:diaForcedSourceId", "sso": "r:diaSourceId",
           "tags": "r:diaSourceId"}


def _filled(column, fill, dtype):
    return np.ma.filled(np.ma.asarray(column, dtype=dtype), fill)


def _object_rank(table, ids):
    """Position of each row's object among the ids given (rows of other ids last)."""
    if _OBJECT not in table.colnames or not ids:
        return np.zeros(len(table), dtype=np.int64)
    objects = _filled(table[_OBJECT], -1, np.int64)
    given = np.array([int(identifier) for identifier in ids], dtype=np.int64)
    order = np.argsort(given, kind="stable")
    slot = np.searchsorted(given[order], objects)
    slot = np.minimum(slot, len(given) - 1)
    found = given[order][slot] == objects
    return np.where(found, order[slot], len(given))


def order_rows(table, endpoint, ids=None):
    """
    Put the rows of an answer in the order the method documents.

    ``objects``: in the order of the ids given. ``sources``, ``fp``, ``sso``, ``tags``: newest
    first (masked times last); rows of the same time follow the order of the ids given, then
    their own identifier, so the order never depends on the server's. Other endpoints keep
    the server's order.

    Parameters
    ----------
    table : `~astropy.table.Table`
    endpoint : str
        Short endpoint name (``"fp"``).
    ids : list of str, optional
        The ``diaObjectId`` values asked for, in the user's order.

    Returns
    -------
    `~astropy.table.Table`
        ``table`` itself when already in order, else a reordered copy.
    """
    if len(table) < 2 or endpoint not in ORDER_COLUMNS:
        return table
    rank = _object_rank(table, ids)
    if endpoint == "objects":
        keys = [rank]
    elif _TIME in table.colnames:
        row_id = _ROW_ID[endpoint]
        own = (_filled(table[row_id], np.iinfo(np.int64).max, np.int64) if row_id in table.colnames
               else np.zeros(len(table), dtype=np.int64))
        newest_first = -_filled(table[_TIME], -np.inf, float)
        keys = [newest_first, rank, own]
    else:
        return table
    # np.lexsort sorts by its last key first
    permutation = np.lexsort(keys[::-1])
    if np.array_equal(permutation, np.arange(len(table))):
        return table
    return table[permutation]
