"""
A cache of answers that a damaged entry or a concurrent writer cannot break.

The entries are astroquery's: ``<hash>.pickle`` in ``client.cache_location``, one pickled
`requests.Response` per request, named by astroquery's own request hash (so ``clear_cache``,
``_last_query.remove_cache_file`` and entries written by astroquery keep working). Two things
differ from astroquery's own reading and writing:

- an entry that cannot be read back as a whole answer (cut short, garbage, empty, another
  object) is deleted and the request sent again, instead of raising at every later call;
- an entry is written to a temporary file in the same directory, then renamed over the entry
  (`os.replace`, atomic): a reader sees the old answer or the new one, never half of one,
  however many processes share the cache.

Only HTTP 200 answers are written; an answer the client then cannot read is evicted by
`astroquery_fink.query.exchange`.

Uncached requests are sent here too (`uncached_request`), so that no request of the client,
from whatever thread, changes astroquery's process-wide ``cache_conf``.
"""
import copy
import os
import pickle
import tempfile
import time

import requests
from astroquery import cache_conf, log
from astroquery.query import AstroQuery

__all__ = ["cached_request", "uncached_request", "read_entry", "write_entry", "remove_partial_files"]

# the `_request` arguments astroquery's hash names an entry by
_KEY_ARGUMENTS = ("params", "data", "headers", "files", "timeout", "json")
# how a temporary file ends: not ".pickle", so that nothing takes it for an entry
_PARTIAL_SUFFIX = ".part"


def cached_request(client, method, url, options):
    """
    The answer to a request of ``client`` from its cache, else from the server, then cached.

    ``options`` are the arguments given to `astroquery.query.BaseQuery._request` by name; the
    entry and the request sent are the ones astroquery would use for them. ``client._last_query``
    names the entry afterwards, so that the caller can evict an answer it could not read.
    """
    query = AstroQuery(method, url, **{name: options.get(name) for name in _KEY_ARGUMENTS})
    path = query.request_file(client.cache_location)
    response = read_entry(path, cache_conf.cache_timeout)
    if response is None:
        response = query.request(client._session, stream=options.get("stream", False), auth=options.get("auth"),
                                 verify=options.get("verify", True),
                                 allow_redirects=options.get("allow_redirects", True), json=options.get("json"))
        if response.status_code == 200:
            write_entry(response, path)
    client._last_query = query
    return response


def uncached_request(client, method, url, options):
    """
    The answer to a request of ``client`` from the server, the cache neither read nor written.

    What `astroquery.query.BaseQuery._request` does for an uncached request (same session, so the
    same hooks, headers and adapters; same timeout, streaming, auth, TLS and redirect options; the
    request recorded in ``client._last_query``), without its ``cache_conf.set_temp("cache_active",
    False)`` around the exchange: that switch is one setting of the whole process, and worker
    threads saving and restoring it at once can leave it off, which stops the caching of every
    astroquery service in the session. Nothing in the exchange reads it.
    """
    query = AstroQuery(method, url, **{name: options.get(name) for name in _KEY_ARGUMENTS})
    response = query.request(client._session, stream=options.get("stream", False), auth=options.get("auth"),
                             verify=options.get("verify", True), allow_redirects=options.get("allow_redirects", True),
                             json=options.get("json"))
    client._last_query = query
    return response


def read_entry(path, timeout=None):
    """
    The `requests.Response` cached at ``path``, or None when there is none to use.

    None for a missing entry or one older than ``timeout`` seconds; an entry that cannot be
    read back as a whole answer is deleted (with a warning in the log) and gives None too.
    """
    try:
        if timeout is not None and time.time() - path.stat().st_mtime > timeout:
            return None
        with open(path, "rb") as file:
            response = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as error:  # unpickling damaged bytes can raise almost anything
        _discard(path, f"{type(error).__name__}: {error}")
        return None
    if not isinstance(response, requests.Response) or not isinstance(response._content, bytes):
        _discard(path, f"it holds a {type(response).__name__}, not a whole HTTP answer")
        return None
    return response


def write_entry(response, path):
    """
    Cache ``response`` at ``path``, atomically: a temporary file in the same directory, then a rename.

    Caching is an optimisation: a cache that cannot be written (full disk, no permission, an
    answer that cannot be pickled) is logged and the answer still handed back.
    """
    partial = None
    try:
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=_PARTIAL_SUFFIX)
        with os.fdopen(fd, "wb") as file:
            pickle.dump(_without_hooks(response), file, protocol=4)
        os.replace(partial, path)
        partial = None
    except Exception as error:  # a failed write must not fail the call
        log.warning(f"Could not cache the answer of {response.url} in {path}: {type(error).__name__}: {error}")
    finally:
        if partial is not None:
            _remove(partial)


def remove_partial_files(cache_location):
    """Remove the temporary files that writers killed before their rename left in ``cache_location``."""
    for partial in cache_location.glob(f".*{_PARTIAL_SUFFIX}"):
        _remove(partial)


def _without_hooks(response):
    """
    A copy of ``response`` ready to pickle: its requests lose their hooks (the client's bound methods).

    The copies are shallow: the body is shared, not copied.
    """
    clean = copy.copy(response)
    if clean.request is not None:
        clean.request = copy.copy(clean.request)
        clean.request.hooks = {"response": []}
    clean.history = [_without_hooks(earlier) for earlier in clean.history]
    return clean


def _discard(path, reason):
    log.warning(f"Removed the unreadable cache entry {path} ({reason}); asking the server again.")
    _remove(path)


def _remove(path):
    try:
        os.remove(path)
    except OSError:  # already gone (another process removed or replaced it), or not ours to remove
        pass
