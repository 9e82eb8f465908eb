"""Object names given where diaObjectIds are expected: telling them apart from ids, and finding their ids.

`~astroquery_fink.FinkClass.query_object`, `~astroquery_fink.FinkClass.query_sources`,
`~astroquery_fink.FinkClass.query_forced_photometry` and `~astroquery_fink.FinkClass.get_lightcurve` take names
("SN 2026bqe", "2026bqe", "AT 2026abc", a SIMBAD name such as "LEDA 1258009") besides ids, alone
or mixed in a list. Any string with a letter in it is a name; a diaObjectId has digits only.

**From a name to Rubin ids.** The Fink/LSST API has no name-to-diaObjectId service: its resolver
(``/api/v1/resolver``) gives a name's *position*, and a cone search there gives the Fink objects.
Each name goes through these steps, stopping at the first resolver whose position holds objects:

1. TNS (``resolver="tns"``), for names shaped like a TNS designation: a year and letters, with or
   without a prefix (``SN 2026bqe``, ``AT2026abc``, ``2026bqe``). The server's TNS table gives the
   transient's ``f:ra``, ``f:declination``; its search matches the *start* of the name, so only rows
   whose ``f:fullname`` is the name itself count. TNS renames an ``AT`` to ``SN`` once classified:
   a bare designation is asked as ``SN ...`` then ``AT ...``, and an ``AT``/``SN`` name as given,
   then with the other prefix.
2. SIMBAD (``resolver="simbad"``, through CDS Sesame), for every name TNS did not place on an
   object: the position ``jradeg``, ``jdedeg``.
3. A cone search (``/api/v1/conesearch``) of ``MATCH_RADIUS`` (1.5 arcsec) around the position: the
   ``diaObjectId`` of every object there, nearest first.

A name that no step turns into ids raises `~astroquery_fink.exceptions.NameResolutionError` (an
`~astroquery.exceptions.InvalidQueryError`) telling what each resolver answered. What a name gave
is logged at INFO and kept in the result's ``meta["resolved_names"]``.
"""
import re
import warnings
from dataclasses import dataclass

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astroquery import log
from astroquery.exceptions import MaxResultsWarning, NoResultsWarning

from .exceptions import NameResolutionError
from .payload import id_values, normalize_ids, resolver_payload

__all__ = ["MATCH_RADIUS", "Targets", "parse_targets", "is_name", "tns_candidates", "first_resolver_payloads",
           "resolve_name", "resolve_targets", "record"]

#: How far from a resolved position an object may be to carry the name: the 1.5 arcsec within which
#: the Fink resolver documentation matches Rubin objects to SIMBAD.
MATCH_RADIUS = 1.5 * u.arcsec

# TNS designations: the discovery year and one to four letters, after a prefix (SN, AT, TDE, FRB...)
_TNS = re.compile(r"^(?:(?P<prefix>[A-Za-z]{2,8})\s*)?(?P<designation>(?:19|20)[0-9]{2}[A-Za-z]{1,4})$")
# rows the TNS resolver may give for one name: one per internal name (survey), and other names
# starting the same way
_TNS_NMAX = 100


def is_name(value):
    """Whether ``value`` is a name rather than an id: a string with at least one letter."""
    return isinstance(value, (str, np.str_)) and any(char.isalpha() for char in str(value))


@dataclass
class Targets:
    """
    What was given as ``dia_object_id``: ids and names, in order.

    Attributes
    ----------
    values : list or numpy.ndarray
        The values as given (a comma-separated string split; an integer array as it is).
    items : list of tuple or None
        When names were given: ``("id", "313761043604045880")`` (canonical decimal text) or
        ``("name", "SN 2026bqe")``, in the order given, each once. `None` for ids only: they are
        checked once, where the query's payload is built (a list of 100 000 ids is not checked twice).
    """

    values: list
    items: list = None

    @property
    def names(self):
        """The names, in order."""
        return [] if self.items is None else [value for kind, value in self.items if kind == "name"]

    def stand_in_ids(self):
        """
        The ids to build the query's payload with before any name is resolved, so that every other
        argument is checked first: the values themselves for ids only, else one distinct id per
        target (a name stands for at least one object).
        """
        if self.items is None:
            return self.values
        return [value if kind == "id" else str(index) for index, (kind, value) in enumerate(self.items)]


def parse_targets(dia_object_id, *, name="dia_object_id"):
    """
    Sort what was given as ``dia_object_id`` into ids and names (no request is made).

    Parameters
    ----------
    dia_object_id : int, str, or iterable of int or str
        Ids (integers or digit strings) and names (strings with a letter), alone or in a list, or
        one comma-separated string.

    Returns
    -------
    `Targets`

    Raises
    ------
    astroquery.exceptions.InvalidQueryError
        For an empty list, or, among names, a value that is neither a valid id nor a name (ids
        alone are checked when the payload is built, by `~astroquery_fink.payload.normalize_ids`).

    Examples
    --------
    >>> from astroquery_fink.names import parse_targets
    >>> parse_targets([313761043604045880, "SN 2026bqe"]).items
    [('id', '313761043604045880'), ('name', 'SN 2026bqe')]
    """
    if isinstance(dia_object_id, np.ndarray) and dia_object_id.dtype.kind in "iu":
        return Targets(dia_object_id)  # an array of integers holds no name: nothing to look at
    values = id_values(dia_object_id, name=name)
    if not any(is_name(value) for value in values):
        return Targets(values)
    items = []
    for value in values:
        if is_name(value):
            items.append(("name", " ".join(str(value).split())))  # blanks collapsed: "SN  2026bqe" is "SN 2026bqe"
        else:
            items.append(("id", normalize_ids([value], name=name)[0]))
    return Targets(values, list(dict.fromkeys(items)))


def tns_candidates(name):
    """
    The names to ask the TNS resolver for ``name``, in order; empty when it is not a TNS designation.

    Examples
    --------
    >>> from astroquery_fink.names import tns_candidates
    >>> tns_candidates("2026bqe")
    ['SN 2026bqe', 'AT 2026bqe']
    >>> tns_candidates("at2026abc")
    ['AT 2026abc', 'SN 2026abc']
    >>> tns_candidates("M 31")
    []
    """
    match = _TNS.match(name.strip())
    if match is None:
        return []
    designation, prefix = match["designation"], (match["prefix"] or "").upper()
    if prefix in ("", "SN", "AT"):
        prefixes = ["SN", "AT"] if prefix != "AT" else ["AT", "SN"]
    else:
        prefixes = [prefix]
    return [f"{each} {designation}" for each in prefixes]


def first_resolver_payloads(targets):
    """
    The body of the first resolver request each name of ``targets`` would send (TNS for a TNS
    designation, else SIMBAD), in order: what ``get_query_payload=True`` returns for names.
    """
    payloads = []
    for name in targets.names:
        candidates = tns_candidates(name)
        payloads.append(resolver_payload(candidates[0], resolver="tns", nmax=_TNS_NMAX) if candidates
                        else resolver_payload(name, resolver="simbad"))
    return payloads


def _quietly(function, *args, **kwargs):
    """Call a query whose empty (or full) answer is an answer here, not something to warn the user about."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoResultsWarning)
        warnings.simplefilter("ignore", MaxResultsWarning)
        return function(*args, **kwargs)


def _tns_position(client, name, cache):
    """``((fullname, ra, dec), None)`` of the TNS transient ``name``, else ``(None, what TNS answered)``."""
    candidates = tns_candidates(name)
    if not candidates:
        return None, f"not asked ({name!r} is not a TNS designation such as 'SN 2026bqe' or '2026bqe')"
    for candidate in candidates:
        table = _quietly(client.resolve, candidate, resolver="tns", nmax=_TNS_NMAX, cache=cache)
        for row in table:
            if str(row["f:fullname"]).casefold() == candidate.casefold() and \
                    not np.ma.is_masked(row["f:ra"]) and not np.ma.is_masked(row["f:declination"]):
                return (str(row["f:fullname"]), float(row["f:ra"]), float(row["f:declination"])), None
    asked = " nor ".join(repr(candidate) for candidate in candidates)
    return None, f"knows no {asked}"


def _simbad_position(client, name, cache):
    """``((name, ra, dec), None)`` SIMBAD gives for ``name``, else ``(None, what SIMBAD answered)``."""
    table = _quietly(client.resolve, name, resolver="simbad", cache=cache)
    for row in table:
        if "jradeg" in table.colnames and "jdedeg" in table.colnames \
                and not np.ma.is_masked(row["jradeg"]) and not np.ma.is_masked(row["jdedeg"]):
            found = str(row["oname"]) if "oname" in table.colnames and not np.ma.is_masked(row["oname"]) else name
            return (found, float(row["jradeg"]), float(row["jdedeg"])), None
    return None, "does not know it (CDS Sesame found nothing)"


def _objects_at(client, ra, dec, cache):
    """The diaObjectIds of the Fink objects within `MATCH_RADIUS` of (ra, dec), nearest first."""
    cone = _quietly(client.query_region, SkyCoord(ra, dec, unit="deg"), MATCH_RADIUS, columns="r:diaObjectId",
                    cache=cache)
    if "r:diaObjectId" not in cone.colnames:
        return []
    return [int(identifier) for identifier in np.ma.compressed(np.ma.asarray(cone["r:diaObjectId"]))]


def resolve_name(client, name, *, cache=False):
    """
    The diaObjectIds of the Fink objects a name designates (see the module's docstring for the steps).

    Parameters
    ----------
    client : `~astroquery_fink.FinkClass`
    name : str
        A TNS designation or a SIMBAD name.
    cache : bool
        Reuse cached answers of the resolver and the cone search.

    Returns
    -------
    list of int
        The ids, nearest to the resolved position first.

    Raises
    ------
    astroquery_fink.exceptions.NameResolutionError
        When neither resolver gives a position with Fink objects near it; ``attempts`` lists what each said.

    Examples
    --------
    >>> from astroquery_fink import Fink
    >>> from astroquery_fink.names import resolve_name
    >>> resolve_name(Fink, "SN 2026bqe")  # doctest: +REMOTE_DATA +SKIP
    [313888627082919999]
    """
    attempts = []
    for resolver, locate in (("tns", _tns_position), ("simbad", _simbad_position)):
        position, said = locate(client, name, cache)
        if position is None:
            attempts.append((resolver, said))
            continue
        found, ra, dec = position
        ids = _objects_at(client, ra, dec, cache)
        where = f"{found} at (ra, dec) = ({ra:.6f}, {dec:.6f}) deg"
        if ids:
            log.info("%r resolved by %s to %s: diaObjectId %s (within %g arcsec).", name, resolver.upper(), where,
                     ", ".join(map(str, ids)), MATCH_RADIUS.to_value(u.arcsec))
            return ids
        attempts.append((resolver, f"gives {where}, but Fink has no object within "
                                   f"{MATCH_RADIUS.to_value(u.arcsec):g} arcsec of it"))
    tried = "; ".join(f"{resolver.upper()} {said}" for resolver, said in attempts)
    raise NameResolutionError(
        f"{name!r} is not a diaObjectId (those contain only digits) and could not be resolved to one: {tried}. "
        f"Fink.resolve({name!r}, resolver='tns' or 'simbad') shows what the resolvers answer; Fink.query_region "
        "searches a wider cone around a position.", name=name, attempts=attempts)


def resolve_targets(client, targets, *, cache=False):
    """
    All the ids of ``targets``: ids as given, names replaced by their objects' ids, in order, each once.

    Returns
    -------
    ids : list of str
        Canonical decimal ids, ready for an id query.
    resolved : dict
        Name -> list of int diaObjectIds, for ``meta["resolved_names"]``.
    """
    if targets.items is None:
        return normalize_ids(targets.values), {}
    ids, resolved = [], {}
    for kind, value in targets.items:
        if kind == "id":
            ids.append(value)
        else:
            resolved[value] = resolve_name(client, value, cache=cache)
            ids.extend(str(identifier) for identifier in resolved[value])
    return list(dict.fromkeys(ids)), resolved


def record(table, resolved):
    """Keep what the names of a query resolved to in ``table.meta["resolved_names"]`` (when names were given)."""
    if resolved:
        table.meta["resolved_names"] = {name: list(ids) for name, ids in resolved.items()}
    return table
