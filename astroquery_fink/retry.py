"""When and how long to wait before asking the Fink API again after a transient failure."""
import email.utils
import random
import time
from dataclasses import dataclass, field

import requests
import urllib3
from astroquery import log

__all__ = ["RETRY_STATUSES", "RetryPolicy", "retry_after_seconds", "unreachable", "UNREACHABLE_RETRIES",
           "failure_reason"]

#: Answers worth another try: rate limiting and the front end's gateway errors (the user docs
#: speak of 503/504 answers from the front end). A 500 is the server's code crashing on the
#: query itself, and a 4xx a refused query: asking again gives the same answer.
RETRY_STATUSES = (429, 502, 503, 504)
#: Failures before a whole answer arrived that are worth another try: no connection, no answer in
#: time, or a body cut short (the connection closed before the announced length).
RETRY_EXCEPTIONS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
#: Further attempts when the server cannot be reached at all (connection refused, unknown host): one, in case
#: it was restarting; a longer ladder would only make the user wait for the same answer.
UNREACHABLE_RETRIES = 1


def unreachable(error):
    """Whether ``error`` says that no connection could be made (refused, no route, name not resolved)."""
    if not isinstance(error, requests.ConnectionError) or isinstance(error, requests.Timeout):
        return False
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def failure_reason(error):
    """
    The words of a transport failure, without urllib3's wrappers (pool, connection object).

    ``requests`` wraps urllib3's error, whose text starts with the repr of a pool or a connection
    (``"HTTPConnectionPool(host=...): Max retries exceeded ..."``, ``"<urllib3.connection...>: Failed
    to establish ..."``): only the cause's own words are kept.
    """
    cause = error.args[0] if isinstance(error, requests.RequestException) and error.args else error
    cause = getattr(cause, "reason", cause) or cause
    text = str(cause)
    if text.startswith(("<", "HTTP")) and ": " in text:
        text = text.split(": ", 1)[1]
    return text


def _what_failed(answer, error, target):
    """One attempt's failure in words: the HTTP status and URL of an answer, or the transport's reason."""
    where = f" {target}" if target else ""
    if error is not None:
        if isinstance(error, requests.Timeout):
            reason = failure_reason(error)  # the client's own deadline already says it all
            return reason if reason.startswith("no whole answer") else f"no answer from{where} in time ({reason})"
        if isinstance(error, requests.exceptions.ChunkedEncodingError):
            return f"the answer of{where} was cut short ({failure_reason(error)})"
        return f"no connection to{where} ({failure_reason(error)})"
    response = getattr(answer, "response", answer)  # query.exchange hands over its attempt, which holds it
    status = getattr(response, "status_code", None)
    url = getattr(response, "url", None) or target
    return f"HTTP {status}" + (f" from {url}" if url else "")


def retry_after_seconds(response, now=None):
    """
    Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date), `None` if absent or unreadable.
    """
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


@dataclass
class RetryPolicy:
    """
    Exponential backoff with full jitter, bounded in attempts and in total waiting time.

    Parameters
    ----------
    max_retries : int
        Further attempts after the first one; 0 disables retrying.
    backoff : float
        Seconds of the first wait's upper bound; it doubles at every attempt.
    max_wait : float
        Total seconds the policy may spend waiting over one request.
    sleep, random : callable
        Injected for tests (`time.sleep` and `random.random` by default).
    target : str
        What is asked (a URL), named in the INFO line logged before each retry.
    time_left : callable or None
        Seconds left to the whole call (its deadline); no wait is started that would end past it.
    """

    max_retries: int = 5
    backoff: float = 1.0
    max_wait: float = 120.0
    sleep: object = field(default=time.sleep, repr=False)
    random: object = field(default=random.random, repr=False)
    time_left: object = field(default=None, repr=False)
    target: str = ""
    #: Whether the last decision to stop was for lack of time (``time_left``).
    out_of_time: bool = field(default=False, repr=False)

    def delay(self, attempt, response=None):
        """Seconds to wait before attempt ``attempt + 1``: the server's Retry-After, else a jittered backoff."""
        asked = retry_after_seconds(response)
        if asked is not None:
            return asked
        # "full jitter": spreads the retries of many clients hit by the same outage
        return self.random() * self.backoff * 2**attempt

    def run(self, send, should_retry):
        """
        Call ``send()`` until it succeeds, a failure is not retryable, or the budget is spent.

        Parameters
        ----------
        send : callable
            Makes one attempt; returns a response or raises.
        should_retry : callable
            ``should_retry(response)`` says whether an answer is a transient failure.

        Returns
        -------
        response
            The last answer (successful or not); the last exception is re-raised instead when the
            last attempt raised.
        """
        waited = 0.0
        attempt = 0
        while True:
            error = None
            try:
                response = send()
            except RETRY_EXCEPTIONS as raised:
                response, error = None, raised
            if error is None and not should_retry(response):
                return response
            pause = self.delay(attempt, response)
            if self._give_up(attempt, error, waited, pause):
                if error is not None:
                    raise error
                return response
            self._say_retry(attempt, response, error, pause)
            self.sleep(pause)
            waited += pause
            attempt += 1

    def _retries(self, error):
        """Further attempts allowed after ``error``: one only when the server cannot be reached at all."""
        return min(self.max_retries, UNREACHABLE_RETRIES) if unreachable(error) else self.max_retries

    def _say_retry(self, attempt, response, error, pause):
        """Log, at INFO on astroquery's logger, why the next attempt is made and after how long a wait."""
        asked = retry_after_seconds(response) if error is None else None
        why = _what_failed(response, error, self.target) + (" with Retry-After" if asked is not None else "")
        log.info("%s, retrying in %.1f s (attempt %d of %d)", why, pause, attempt + 2, self._retries(error) + 1)

    def _give_up(self, attempt, error, waited, pause):
        """No further attempt: retries spent (one only for an unreachable server), or no time left to wait."""
        retries = self._retries(error)
        out_of_time = self.time_left is not None and pause >= self.time_left()
        self.out_of_time = out_of_time
        return attempt >= retries or waited + pause > self.max_wait or out_of_time
