"""When and how long to wait before asking the Fink API again after a transient failure."""
import email.utils
import random
import time
from dataclasses import dataclass, field

import requests
import urllib3

__all__ = ["RETRY_STATUSES", "RetryPolicy", "retry_after_seconds", "unreachable", "UNREACHABLE_RETRIES"]

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
    time_left : callable or None
        Seconds left to the whole call (its deadline); no wait is started that would end past it.
    """

    max_retries: int = 5
    backoff: float = 1.0
    max_wait: float = 120.0
    sleep: object = field(default=time.sleep, repr=False)
    random: object = field(default=random.random, repr=False)
    time_left: object = field(default=None, repr=False)
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
            self.sleep(pause)
            waited += pause
            attempt += 1

    def _give_up(self, attempt, error, waited, pause):
        """No further attempt: retries spent (one only for an unreachable server), or no time left to wait."""
        retries = min(self.max_retries, UNREACHABLE_RETRIES) if unreachable(error) else self.max_retries
        out_of_time = self.time_left is not None and pause >= self.time_left()
        self.out_of_time = out_of_time
        return attempt >= retries or waited + pause > self.max_wait or out_of_time
