"""
Visible waiting: every retry is logged at INFO with its reason and its wait, and a server that
cannot be reached at all says so plainly, pointing at ``conf.server`` and at the replica.

The replica's front-end faults give the 503s; a closed loopback port gives a refused connection,
and a failing ``socket.getaddrinfo`` an unknown host name. Retries record their waits instead of
sleeping (the ``replica_client`` fixture), so these tests never wait.
"""
import logging
import re
import socket

import pytest
from astroquery.exceptions import RemoteServiceError

from astroquery_fink import FinkClass, conf

OBJECT = 313761043604045880


def retry_lines(caplog):
    """The messages logged at INFO by astroquery's logger that announce a retry."""
    return [record.getMessage() for record in caplog.records
            if record.name == "astroquery" and record.levelno == logging.INFO and "retrying in" in record.getMessage()]


@pytest.fixture
def info(caplog):
    with caplog.at_level(logging.INFO, logger="astroquery"):
        yield caplog


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def offline_client(server, tmp_path):
    client = FinkClass(server=server)
    client.cache_location = tmp_path / "cache"
    client.slept = []
    client._sleep = client.slept.append
    return client


def test_each_retry_after_a_503_is_logged_with_the_server_s_wait(replica, replica_client, info):
    replica.inject("503", endpoint="fp", times=2, retry_after=2)
    replica_client.query_forced_photometry(OBJECT)
    url = f"{replica.url}/api/v1/fp"
    assert retry_lines(info) == [
        f"HTTP 503 from {url} with Retry-After, retrying in 2.0 s (attempt 2 of 6)",
        f"HTTP 503 from {url} with Retry-After, retrying in 2.0 s (attempt 3 of 6)",
    ]
    assert replica_client.slept == [2.0, 2.0]


def test_a_backoff_wait_is_logged_as_long_as_it_is(replica, replica_client, info):
    replica.inject("502", endpoint="objects", times=1)  # no Retry-After: the client's own jittered backoff
    with conf.set_temp("max_retries", 3):
        replica_client.query_object(OBJECT)
    [line] = retry_lines(info)
    [waited] = replica_client.slept
    assert line == f"HTTP 502 from {replica.url}/api/v1/objects, retrying in {waited:.1f} s (attempt 2 of 4)"


def test_no_retry_no_line(replica, replica_client, info):
    replica.inject("503", endpoint="fp", times=1, retry_after=0)
    with conf.set_temp("max_retries", 0), pytest.raises(RemoteServiceError, match="HTTP 503"):
        replica_client.query_forced_photometry(OBJECT)
    assert retry_lines(info) == []


def test_a_refused_connection_says_it_cannot_reach_the_server(tmp_path, info):
    server = f"http://127.0.0.1:{closed_port()}"
    client = offline_client(server, tmp_path)
    with pytest.raises(RemoteServiceError) as raised:
        client.query_forced_photometry(OBJECT)
    message = str(raised.value)
    assert message.startswith(f"cannot reach {server}: ")
    assert re.search("[Rr]efused", message)
    for pointer in ("conf.server", "FinkClass(server=...)", "--replica", "astroquery_fink.testing.FinkReplica"):
        assert pointer in message
    for internals in ("HTTPConnection", "object at 0x", "Max retries exceeded", "urllib3"):
        assert internals not in message
    [line] = retry_lines(info)  # an unreachable server is tried once more only
    assert line.startswith(f"no connection to {server}/api/v1/fp (")
    assert line.endswith(f"retrying in {client.slept[0]:.1f} s (attempt 2 of 2)")
    assert "object at 0x" not in line


def test_an_unknown_host_says_it_cannot_reach_the_server(tmp_path, monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    client = offline_client("https://fink.invalid", tmp_path)
    with pytest.raises(RemoteServiceError) as raised:
        client.query_object(OBJECT)
    message = str(raised.value)
    assert message.startswith("cannot reach https://fink.invalid: Failed to resolve 'fink.invalid'")
    assert "conf.server" in message and "--replica" in message
    assert "object at 0x" not in message and "HTTPSConnection" not in message
    assert len(client.slept) == 1



def test_an_answer_too_slow_is_retried_and_said(replica, tmp_path, info):
    client = offline_client(replica.url, tmp_path)
    client._timeout = 0.5
    replica.inject("slow", endpoint="objects", times=1)  # held until the replica lets it go: never, here
    client.query_object(OBJECT, columns="r:ra")
    [line] = retry_lines(info)
    assert line.startswith(f"no whole answer from {replica.url}/api/v1/objects within 0.5 s (timeout): stopped after")
    assert line.endswith(f"retrying in {client.slept[0]:.1f} s (attempt 2 of 6)")


def test_the_command_line_says_each_retry_and_an_unreachable_server(replica, tmp_path, capsys):
    from astroquery_fink.cli import EXIT_OK, EXIT_SERVER, main

    replica.inject("503", endpoint="fp", times=1, retry_after=0)
    assert main(["fp", str(OBJECT), "--server", replica.url, "-o", str(tmp_path / "fp.ecsv")]) == EXIT_OK
    notes = [line for line in capsys.readouterr().err.splitlines() if "retrying in" in line]
    assert notes == [f"fink-query: note: HTTP 503 from {replica.url}/api/v1/fp with Retry-After, "
                     "retrying in 0.0 s (attempt 2 of 6)"]
    server = f"http://127.0.0.1:{closed_port()}"
    assert main(["fp", str(OBJECT), "--server", server, "--retries", "0"]) == EXIT_SERVER
    err = capsys.readouterr().err
    assert f"cannot reach {server}" in err and "--replica" in err and "urllib3" not in err
