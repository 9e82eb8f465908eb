"""
Wall time and peak memory of one call against hostile or broken loopback servers (issue #10).

Each case runs ``FinkClass(server=..., timeout=1).list_blocks(cache=False)`` in a fresh Python
process whose peak resident size (``ru_maxrss``) is read when it ends; a process still running
after ``--kill-after`` seconds is killed and reported as such. Point ``--code`` at a checkout to
measure its client (``--code /work/main`` for the code before the change).

    python benchmarks/bench_hostile.py --code /work/main   # before
    python benchmarks/bench_hostile.py --code .            # after
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MiB = 2**20
BOMB_SIZE = 1024 * MiB  # decompressed size of the gzip bomb (about 1 MB compressed)
ENDLESS_CAP = 1024 * MiB  # the "endless" body stops there, to spare the machine
STOP = threading.Event()

CHILD = r"""
import sys, json
from astroquery_fink import FinkClass, conf
settings = json.loads(sys.argv[2])
try:
    with conf.set_temp("max_retries", 2), conf.set_temp("retry_backoff", 0.5):
        contexts = [conf.set_temp(name, value) for name, value in settings.items()]
        for context in contexts:
            context.__enter__()
        result = FinkClass(server=sys.argv[1], timeout=1).list_blocks(cache=False)
    print("returned", len(result), "rows")
except BaseException as error:
    print(type(error).__name__ + ":", str(error)[:150].replace("\n", " "))
"""


def gzip_bomb(size):
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (16 * MiB)
    return b"".join([packer.compress(block) for _ in range(size // len(block))] + [packer.flush()])


def _send(handler, status=200, body=b"", **headers):
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def _hold(step, pause):
    end = time.monotonic() + 120
    while not STOP.is_set() and time.monotonic() < end and step() is not False:
        STOP.wait(pause)


def _endless(handler):
    _send(handler, Connection="close")
    sent = [0]

    def step():
        handler.wfile.write(b"x" * MiB)
        sent[0] += MiB
        return sent[0] < ENDLESS_CAP
    _hold(step, 0)


def _trickle_headers(handler):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    _hold(lambda: handler.wfile.write(b"X") and handler.wfile.flush(), 0.5)


BEHAVIOURS = {
    "trickle (3 B every 0.5 s)": lambda h: (_send(h, Content_Length="100000"),
                                            _hold(lambda: h.wfile.write(b"abc") and h.wfile.flush(), 0.5)),
    "trickled headers": _trickle_headers,
    "never answers": lambda h: STOP.wait(120),
    "endless body (1 GiB here)": _endless,
    "Content-Length 64 GiB": lambda h: (_send(h, body=b"x" * (8 * MiB), Content_Length=str(64 * 2**30)),
                                        STOP.wait(120)),
    "gzip bomb (1 MB -> 1 GiB)": lambda h: _send(h, body=BOMB, Content_Encoding="gzip",
                                                 Content_Length=str(len(BOMB))),
    "bad gzip": lambda h: _send(h, body=b"not gzip", Content_Encoding="gzip", Content_Length="8"),
    "redirect to file://": lambda h: _send(h, 302, Location="file:///etc/passwd", Content_Length="0"),
    "redirect loop": lambda h: _send(h, 302, Location=h.path, Content_Length="0"),
    "307 to another origin": lambda h: _send(h, 307, Location=f"{OTHER}{h.path}", Content_Length="0"),
}
BOMB = b""
OTHER = ""


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _handle(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            BEHAVIOURS[self.server.case](self)
        except OSError:
            pass

    do_GET = do_POST = _handle


def serve(case):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.case = case
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def run(code, url, settings, kill_after):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(code))
    start = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, settings], env=env, cwd=os.path.abspath(code),
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    killed = threading.Timer(kill_after, lambda: child.send_signal(signal.SIGKILL))
    killed.start()
    _, status, usage = os.wait4(child.pid, 0)
    killed.cancel()
    elapsed = time.monotonic() - start
    child.returncode = status
    outcome = child.stdout.read().strip() or f"killed after {kill_after:g} s"
    return elapsed, usage.ru_maxrss / 1024, outcome


def main():
    global BOMB, OTHER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--code", default=".", help="checkout whose astroquery_fink is measured")
    parser.add_argument("--kill-after", type=float, default=60.0)
    parser.add_argument("--settings", default="{}", help='conf items as JSON, e.g. \'{"max_response_bytes": 1e8}\'')
    parser.add_argument("--only", help="run the cases whose name contains this text")
    args = parser.parse_args()
    BOMB = gzip_bomb(BOMB_SIZE)
    other, OTHER = serve("never answers")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}"
    cases = [(name, None) for name in BEHAVIOURS] + [("connection refused", refused),
                                                     ("scheme-less server", "api.lsst.fink-portal.org")]
    print("| case | wall (s) | peak RSS (MB) | outcome |\n|---|---|---|---|")
    for name, url in cases:
        if args.only and args.only not in name:
            continue
        server = None
        if url is None:
            server, url = serve(name)
        STOP.clear()
        elapsed, rss, outcome = run(args.code, url, args.settings, args.kill_after)
        STOP.set()
        if server is not None:
            server.shutdown()
            server.server_close()
        print(f"| {name} | {elapsed:.1f} | {rss:.0f} | {outcome[:110]} |", flush=True)
    other.shutdown()


if __name__ == "__main__":
    main()
