"""Large id batches that fail as a whole: time and peak memory of the client until it reports them (issue #10).

Run from the repository root; ``PYTHONPATH`` picks the code measured::

    PYTHONPATH=$PWD python benchmarks/bench_failures.py [--ids-500 16000] [--ids-down 100000]

Two cases, each in a fresh interpreter (a child process, so that the peak memory is its own):

* ``500``: a loopback server (another process) answers HTTP 500 to every request;
  ``query_forced_photometry(ids, on_error="warn")`` for 16,000 ids, CSV transport (one request
  per chunk of ``conf.max_ids_per_request`` ids, no VOTable-to-CSV second request);
* ``down``: nothing listens on the port (connection refused) and ``conf.max_retries = 0``;
  the same call for 100,000 ids.

Reported: wall time of the call, peak resident memory of the child (``ru_maxrss``), requests
the server received, and the number of ids the client reported as failed. Time is capped by
``--limit`` seconds per case (the child is killed, the row says so).
"""
import argparse
import json
import resource
import socket
import subprocess
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BASE_ID = 313761043604045880


class _Always500(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's spelling)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Always500.lock:
            _Always500.count += 1
        body = b'{"message": "Internal Server Error"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        # the count, for the parent
        body = str(_Always500.count).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_500():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always500)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_client(url, count):
    """Child: one query of ``count`` ids against ``url``; print a JSON line of what it saw."""
    from astroquery_fink import FinkClass, conf
    from astroquery_fink.exceptions import IncompleteResultWarning

    ids = [str(BASE_ID + k) for k in range(count)]
    conf.max_retries = 0
    fink = FinkClass(server=url, timeout=30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        table = fink.query_forced_photometry(ids, output_format="csv", on_error="warn", verbose=False)
        elapsed = time.perf_counter() - start
    incomplete = [w for w in caught if issubclass(w.category, IncompleteResultWarning)]
    print(json.dumps({"seconds": elapsed, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "failed": len(table.meta.get("failed_ids", [])), "warned": bool(incomplete)}))


def measure(url, count, limit):
    child = subprocess.Popen([sys.executable, __file__, "--client", url, str(count)], stdout=subprocess.PIPE,
                             text=True)
    try:
        out, _ = child.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return None
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids-500", type=int, default=16_000)
    parser.add_argument("--ids-down", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=300.0, help="seconds before a case is given up")
    parser.add_argument("--serve-500", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_500:
        return serve_500()
    if args.client:
        return run_client(args.client[0], int(args.client[1]))

    import requests

    server = subprocess.Popen([sys.executable, __file__, "--serve-500"], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        print("| case | ids | time (s) | peak RSS (MB) | requests received | ids reported failed |")
        print("|---|---|---|---|---|---|")
        result = measure(url, args.ids_500, args.limit)
        received = requests.get(url, timeout=10).text
        _row("server answers 500 to all", args.ids_500, result, received, args.limit)
        down = f"http://127.0.0.1:{free_port()}"
        _row("server down (refused), max_retries=0", args.ids_down, measure(down, args.ids_down, args.limit), "0",
             args.limit)
    finally:
        server.kill()
        server.wait()


def _row(case, count, result, received, limit):
    if result is None:
        print(f"| {case} | {count:,} | not finished after {limit:g} | - | {received} | - |")
    else:
        print(f"| {case} | {count:,} | {result['seconds']:.2f} | {result['maxrss_mb']:.0f} | {received} | "
              f"{result['failed']:,} |")


if __name__ == "__main__":
    sys.exit(main())
