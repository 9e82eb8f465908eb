"""The path of one call after its payload: send (with retries), read the answer, and finish the result.

`query_table` is the workhorse of every tabular method: it sends the payload (an id query as
several requests, see `astroquery_fink.batch`), decodes each answer in `fetch_table` (the one
place `decode_table` is called), then completes, orders and annotates the table once in
`finish_table`, and lets `astroquery_fink.results` warn about what it lacks. `exchange` is the
one HTTP exchange under all of them, and the one place an answer is evicted from astroquery's
cache: whenever it is not handed back to the caller.
"""
import http.client
import json
from dataclasses import dataclass
from functools import partial

import requests
import urllib3
from astropy.table import Table
from astroquery import log
from astroquery.exceptions import TableParseError
from astroquery.exceptions import TimeoutError as AstroqueryTimeoutError

from . import conf, results, transport
from .annotate import annotate, complete_columns
from .batch import BatchInterrupted, IdAnswers, fetch_ids
from .columns import column_kinds
from .cutouts import decode_cutout, empty_cutout
from .decode import decode_table
from .errors import error_for_response
from .exceptions import FinkInvalidQueryError, FinkRemoteServiceError
from .layout import arrange
from .order import order_rows
from .payload import API
from .retry import RETRY_STATUSES, RetryPolicy, failure_reason, unreachable
from .schema import schema_table

__all__ = ["exchange", "fetch_table", "finish_table", "column_key", "query_table", "query_schema", "query_cutout",
           "query_listing", "CSV_FALLBACK_FROM"]

#: Transports whose server-side writers crash on ordinary data; CSV is asked for instead.
CSV_FALLBACK_FROM = ("votable", "parquet")

# The JSON listings served by GET: rows made from the decoded answer, column names and types.
_LISTINGS = {
    "tags": (lambda listing: [(tag, bool(info["API support"]), str(info["description"]))
                              for tag, info in sorted(listing.items())],
             ("tag", "api_support", "description"), (str, bool, str)),
    "blocks": (lambda listing: [(block, str(text)) for block, text in sorted(listing.items())],
               ("block", "description"), (str, str)),
}


@dataclass
class _Attempt:
    """One attempt's answer: what ``read`` made of it, or the transient error that may be retried."""

    response: object
    value: object = None
    error: Exception = None

    @property
    def headers(self):
        """The answer's headers: `~astroquery_fink.retry.RetryPolicy` reads its ``Retry-After`` there."""
        return self.response.headers


def exchange(client, method, endpoint, payload, *, cache, read):
    """
    Send one request, retrying transient failures, and return ``read(response)`` of its 200 answer.

    Connection errors, timeouts, bodies cut short and HTTP 429/502/503/504 are retried with
    backoff (``conf.max_retries``, ``conf.retry_backoff``, ``conf.retry_max_wait``); a server that
    cannot be reached at all is tried once more only. Any other non-200 answer raises
    `~astroquery_fink.errors.error_for_response`. Each answer must arrive whole within the client's
    ``timeout``, and the whole call within ``conf.max_total_time`` (`astroquery_fink.transport`);
    every failure of the transport becomes an astroquery exception naming the server. An answer
    that is not handed back (a failure, or one ``read`` refuses) is removed from the cache, so that
    a retry or a later call asks the server again.
    """
    server = transport.checked_server(client.server)
    url = server + API + endpoint
    transport.guard(client._session)
    with transport.call_deadline() as call:
        tries = []

        def attempt():
            if call.expired():
                raise _out_of_time(server, endpoint, call, tries)
            limit, setting = min((client.timeout, "timeout"), (call.remaining(), "conf.max_total_time"))
            tries.append(transport.Deadline(limit, setting))
            with transport.answering(tries[-1]):
                response = client._request(method, url, json=payload, timeout=limit, cache=cache)
            try:
                if response.status_code != 200:
                    raise error_for_response(response.status_code, response.content, url)
                return _Attempt(response, value=read(response))
            except Exception as error:
                _evict(client)
                if response.status_code in RETRY_STATUSES:
                    return _Attempt(response, error=error)
                raise

        policy = RetryPolicy(max_retries=int(conf.max_retries), backoff=float(conf.retry_backoff),
                             max_wait=float(conf.retry_max_wait), sleep=client._sleep, time_left=call.remaining,
                             target=url)
        try:
            outcome = policy.run(attempt, lambda answer: answer.error is not None)
        except _TRANSPORT_FAILURES as error:
            if isinstance(error, requests.Timeout) and policy.out_of_time:
                raise _out_of_time(server, endpoint, call, tries) from error
            raise _transport_error(server, endpoint, url, error, call, tries) from error
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


#: What the transport can raise besides astroquery's own exceptions: all mapped by `_transport_error`.
_TRANSPORT_FAILURES = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException)


def _attempts(call, tries):
    return f"{len(tries)} attempt{'s' if len(tries) != 1 else ''} in {call.elapsed():.1f} s"


def _out_of_time(server, endpoint, call, tries):
    """The exception of a call that passed ``conf.max_total_time``."""
    return AstroqueryTimeoutError(
        f"the call to {server}{API}{endpoint} gave up after {call.elapsed():.1f} s of its {call.limit:g} s limit "
        f"(conf.max_total_time), with no time left for another attempt ({_attempts(call, tries)}). Ask for less, "
        "or raise the limit.")


def _transport_error(server, endpoint, url, error, call, tries):
    """The astroquery exception for a request that got no whole answer, naming the server."""
    if isinstance(error, requests.Timeout):
        last = tries[-1] if tries else transport.Deadline(call.limit, "conf.max_total_time")
        if last.setting == "conf.max_total_time":
            return _out_of_time(server, endpoint, call, tries)
        return AstroqueryTimeoutError(
            f"{server} did not answer {API + endpoint} within {last.limit:g} s (the last attempt stopped after "
            f"{last.elapsed():.1f} s; {_attempts(call, tries)}). Ask for less (fewer ids, columns or a smaller "
            "region), or raise the limit with conf.timeout or FinkClass(timeout=...).")
    if isinstance(error, transport.RefusedRedirect):
        return FinkRemoteServiceError(f"the Fink API at {server} answered with a redirect: {error}", url=url)
    if isinstance(error, requests.TooManyRedirects):
        return FinkRemoteServiceError(f"the Fink API at {server} redirected {url} more than "
                                      f"{transport.MAX_REDIRECTS} times (a redirect loop?)", url=url)
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return FinkRemoteServiceError(f"the answer of {url} could not be decompressed: {failure_reason(error)}",
                                      url=url)
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return FinkRemoteServiceError(f"the answer of {url} was cut short: {failure_reason(error)}", url=url)
    if unreachable(error):
        return FinkRemoteServiceError(
            f"cannot reach {server}: {failure_reason(error)} ({_attempts(call, tries)}). Check the server setting "
            f"(conf.server, or FinkClass(server=...); now {server}) and the network. To work offline, query the "
            "embedded replica: fink-query ... --replica, or astroquery_fink.testing.FinkReplica in Python.", url=url)
    if isinstance(error, requests.ConnectionError):
        return FinkRemoteServiceError(f"the connection to the Fink API at {server} failed: {failure_reason(error)} "
                                      f"({_attempts(call, tries)})", url=url)
    return FinkRemoteServiceError(f"the request to the Fink API at {server} failed: {failure_reason(error)}", url=url)


def _evict(client):
    """Remove the last answer from the astroquery cache: it failed or could not be read (astroquery #2252)."""
    query = getattr(client, "_last_query", None)
    if query is not None:
        try:
            query.remove_cache_file(client.cache_location)
        except OSError:
            pass


def _framed(response):
    """
    Whether the HTTP message itself says where the body ends (a length, or chunks ending with an
    empty one): a body cut short is then an error. Without either, the connection's close is the
    only end, and a cut body cannot be told from a whole one.
    """
    headers = response.headers
    return "Content-Length" in headers or "chunked" in headers.get("Transfer-Encoding", "").lower()


def _read_table(response, *, endpoint, payload, transport, key):
    """Decode a tabular answer; record the transport used and the URL in its ``meta``."""
    table = decode_table(response.content, transport, column_kinds(key),
                         content_type=response.headers.get("Content-Type"), framed=_framed(response))
    if endpoint == "skymap" and table.colnames == ["status"]:
        # GraceDB's refusal comes back as a one-cell table with status 200
        refusal = str(table["status"][0])
        raise FinkInvalidQueryError(f"The Fink API could not get the map of {payload.get('event_name')!r}: "
                                    f"{refusal}", status=200, url=response.url, server_message=refusal)
    table.meta.update(transport=transport, url=response.url)
    return table


def fetch_table(client, payload, *, endpoint, cache, key):
    """
    Send a tabular query and decode the answer.

    A VOTable or parquet request that the server answers with HTTP 500 is sent once more
    in CSV: the server's writers of those two formats crash on ordinary data (astropy
    cannot write a text or boolean column whose first row is null; pandas-2 servers also
    fail on columns null in every row, and on booleans with some nulls in parquet), while
    its CSV writer never does and gives the same table. ``table.meta["transport"]`` records
    the format that was used.
    """
    transport = payload["output-format"]

    def send(transport):
        read = partial(_read_table, endpoint=endpoint, payload=payload, transport=transport, key=key)
        return exchange(client, "POST", endpoint, {**payload, "output-format": transport}, cache=cache, read=read)

    try:
        return send(transport)
    except FinkRemoteServiceError as error:
        if error.status != 500 or transport not in CSV_FALLBACK_FROM:
            raise
        log.info("The Fink API answered HTTP 500 to a %s request at %s; asking again in CSV.", transport, error.url)
        try:
            return send("csv")
        except FinkRemoteServiceError as again:
            raise FinkRemoteServiceError(
                f"{error} The same query in CSV failed too (HTTP {again.status or '?'}): "
                f"{again.server_message or again}", status=again.status, url=again.url,
                server_message=again.server_message) from again


def finish_table(table, endpoint, payload, *, key, url):
    """
    Complete, order, annotate and lay out a decoded table, and record where it came from in ``meta``.

    Units and descriptions are the packaged ones of the column map (``key`` names its entry),
    whatever was asked before: the same query always gives the same table. The columns people
    read come first and the server's internals are left out (`astroquery_fink.layout.arrange`),
    whatever the transport format.
    """
    requested = payload["columns"].split(",") if "columns" in payload else None
    table, unknown = complete_columns(table, key, requested)
    results.warn_unknown_columns(unknown, endpoint)
    ids = payload["diaObjectId"].split(",") if "diaObjectId" in payload else None
    table = order_rows(table, endpoint, ids)
    annotate(table, key)
    table = arrange(table, key, requested)
    table.meta.update(endpoint=API + endpoint, url=table.meta.get("url", url), query=dict(payload))
    return table


def column_key(endpoint, payload):
    """
    The column map entry that types and describes the answer of ``payload`` at ``endpoint``.

    It is the endpoint, except where the payload changes the columns: ephemerides added to
    ``sso``, and each resolver (forward or reverse) with its own columns.
    """
    if endpoint == "sso" and payload.get("withEphem"):
        return "sso_ephemerides"
    if endpoint == "resolver":
        return f"resolver_{payload['resolver']}" + ("_reverse" if payload.get("reverse") else "")
    return endpoint


def query_table(client, endpoint, payload, *, cache, verbose=True, on_error="raise"):
    """
    The workhorse: send a tabular query, and return its decoded, completed and annotated table.

    A payload with ``diaObjectId`` is sent as requests of at most ``conf.max_ids_per_request``
    ids (`astroquery_fink.batch.fetch_ids`); failed requests are reported as ``on_error`` asks.
    All of them share one deadline, ``conf.max_total_time``. On Ctrl-C during such a batch, the
    `~astroquery_fink.exceptions.BatchInterrupted` raised carries the finished table of the rows
    fetched so far in ``table``.
    """
    key = column_key(endpoint, payload)
    url = client.server + API + endpoint
    with transport.call_deadline() as call:  # conf.max_total_time covers every request of the call
        fetch = transport.within(call, partial(fetch_table, endpoint=endpoint, cache=cache, key=key))
        if "diaObjectId" in payload:
            try:
                answers = fetch_ids(fetch, client, payload, verbose=verbose, on_error=on_error)
            except BatchInterrupted as interrupted:
                if interrupted.answers is not None:
                    interrupted.table = finish_table(interrupted.answers.table, endpoint, payload, key=key,
                                                     url=url)
                raise
        else:
            answers = IdAnswers(fetch(client, payload))
    table = finish_table(answers.table, endpoint, payload, key=key, url=url)
    results.check_result(table, endpoint, payload, failed_ids=answers.failed_ids)
    results.report_failures(table, endpoint, answers, on_error)
    return table


def query_schema(client, payload, *, cache):
    """Ask the schema service to describe an endpoint; return the server's descriptions as a Table."""
    short = payload["endpoint"].removeprefix(API)

    def read(response):
        try:
            table = schema_table(short, json.loads(response.content))
        except (ValueError, AttributeError, TypeError) as error:
            raise TableParseError(f"could not read the schema answer of {response.url}: {error}") from error
        table.meta.update(endpoint=API + "schema", url=response.url, query=payload)
        return table

    return exchange(client, "POST", "schema", payload, cache=cache, read=read)


def query_cutout(client, payload, *, cache):
    """Get a cutout: an HDUList, array(s) or PNG bytes; an empty one, with a warning, for an unknown id."""
    kind, output_format = payload["kind"], payload["output-format"]
    # an unknown diaSourceId is an empty 200 answer
    stamps = exchange(client, "POST", "cutouts", payload, cache=cache,
                      read=lambda response: decode_cutout(response.content, kind, output_format)
                      if response.content else None)
    if stamps is None:
        results.warn_no_cutout(payload)
        return empty_cutout(kind, output_format)
    return stamps


def query_listing(client, endpoint, *, cache):
    """GET one of the JSON listings (``tags``, ``blocks``) and return it as a small Table."""
    rows_of, names, dtypes = _LISTINGS[endpoint]

    def read(response):
        try:
            rows = rows_of(json.loads(response.content))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise TableParseError(f"could not read the list of {endpoint} from {response.url}: {error}") from error
        table = Table(rows=rows, names=names, dtype=dtypes) if rows else Table(names=names, dtype=dtypes)
        table.meta.update(endpoint=API + endpoint, url=response.url)
        return table

    return exchange(client, "GET", endpoint, None, cache=cache, read=read)
