"""fink-query's files and Ctrl-C: --failed-ids is never clobbered, bad ids files and values are usage errors."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from astropy.table import Table

from astroquery_fink.cli import EXIT_INTERRUPTED, EXIT_PARTIAL, EXIT_USAGE, MAX_IDS_BYTES, main
from astroquery_fink.cli import ids as id_reading
from astroquery_fink.cli import run as running

OBJECT = "313761043604045880"
OTHER = "314003014107006318"
REPO = Path(__file__).resolve().parents[1]


def fp_sent(replica):
    return [entry for entry in replica.requests if entry["path"] == "/api/v1/fp"]


# --- --failed-ids ----------------------------------------------------------------------------------------------


@pytest.fixture
def partial(fink_replica_server, tmp_path):
    """Arguments of a batch where OTHER fails (HTTP 500), and the replica."""
    fink_replica_server.inject("500", endpoint="fp", ids=[OTHER])
    return ["fp", OBJECT, OTHER, "--server", fink_replica_server.url, "--columns", "r:diaObjectId", "-q",
            "-o", str(tmp_path / "lc.ecsv")], fink_replica_server


def test_failed_ids_file_is_not_replaced(partial, tmp_path, capsys):
    arguments, replica = partial
    kept = tmp_path / "failed.txt"
    kept.write_text("my notes\n")
    assert main([*arguments, "--failed-ids", str(kept)]) == EXIT_USAGE
    assert kept.read_text() == "my notes\n"
    assert "failed.txt exists; use --overwrite" in capsys.readouterr().err
    assert fp_sent(replica) == []  # refused before any request


def test_failed_ids_symlink_is_not_followed(partial, tmp_path, capsys):
    arguments, replica = partial
    target = tmp_path / "precious.txt"
    target.write_text("precious\n")
    link = tmp_path / "failed.txt"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    for name in (link, dangling):
        assert main([*arguments, "--failed-ids", str(name)]) == EXIT_USAGE
        assert "is a symbolic link; use --overwrite" in capsys.readouterr().err
    assert target.read_text() == "precious\n" and not (tmp_path / "nowhere.txt").exists()
    assert fp_sent(replica) == []


def test_failed_ids_file_replaced_with_overwrite(partial, tmp_path):
    arguments, _ = partial
    failed = tmp_path / "failed.txt"
    failed.write_text("old\n")
    assert main([*arguments, "--failed-ids", str(failed), "--overwrite"]) == EXIT_PARTIAL
    assert failed.read_text() == f"{OTHER}\n"


def test_failed_ids_file_created_between_check_and_write_is_kept(partial, tmp_path, monkeypatch):
    arguments, _ = partial
    failed = tmp_path / "failed.txt"
    checked = running.check_failed_ids_path

    def check_then_someone_writes(args):
        checked(args)
        failed.write_text("written meanwhile\n")

    monkeypatch.setattr(running, "check_failed_ids_path", check_then_someone_writes)  # where main() calls it
    assert main([*arguments, "--failed-ids", str(failed)]) == EXIT_PARTIAL
    assert failed.read_text() == "written meanwhile\n"


# --- ids files and option values -------------------------------------------------------------------------------


def test_ids_file_not_utf8_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "ids.txt").write_bytes(f"{OBJECT}\n".encode() + b"caf\xe9\n")
    assert main(["fp", "--ids-file", str(tmp_path / "ids.txt")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "ids.txt, line 2: not UTF-8" in err and "Traceback" not in err


def test_ids_file_with_a_bom_is_read(fink_replica, tmp_path, capsys):
    (tmp_path / "ids.txt").write_bytes(b"\xef\xbb\xbf" + f"{OBJECT}\r\n".encode())
    assert main(["fp", "--ids-file", str(tmp_path / "ids.txt"), "--server", fink_replica, "-q",
                 "-o", str(tmp_path / "lc.ecsv")]) == 0


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_ids_file_is_refused(capsys):
    assert main(["fp", "--ids-file", "/dev/zero"]) == EXIT_USAGE
    assert f"/dev/zero is larger than {MAX_IDS_BYTES // 2**20} MiB" in capsys.readouterr().err


def test_too_many_ids_are_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(id_reading, "MAX_IDS", 3)  # where the ids are read
    (tmp_path / "ids.txt").write_text("1\n2\n3\n4\n")
    assert main(["fp", "--ids-file", str(tmp_path / "ids.txt")]) == EXIT_USAGE
    assert "holds 4 ids, more than 3" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["inf", "nan", "1e999"])
def test_timeout_must_be_finite(value, capsys):
    assert main(["fp", OBJECT, "--timeout", value]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "is not a positive finite number" in err and "Traceback" not in err


# --- Ctrl-C ----------------------------------------------------------------------------------------------------


def test_ctrl_c_writes_the_rows_fetched_and_lists_the_others(fink_replica_server, tmp_path):
    replica = fink_replica_server
    ids = [OBJECT] + [str(300_000_000_000_000_000 + k) for k in range(999)]  # 10 requests of 100 ids
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
    # every request but the first is held until the test ends: the batch can only be stopped
    replica.inject("slow", endpoint="fp", ids=ids[100:])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "astroquery_fink", "fp", "--ids-file", "ids.txt", "--server", replica.url,
         "--columns", "r:diaObjectId", "--retries", "0", "-o", "lc.ecsv", "--failed-ids", "left.txt"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):  # the first request answered, and the two workers' next ones held
            if len(fp_sent(replica)) >= 3 and any(entry["status"] == 200 for entry in fp_sent(replica)):
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and "interrupted:" in err
    # no request after Ctrl-C: the two held ones and the answered one, not the ten of the batch
    assert len(fp_sent(replica)) <= 3
    written = Table.read(tmp_path / "lc.ecsv")
    fetched = {str(i) for i in written["r:diaObjectId"]}
    left = (tmp_path / "left.txt").read_text().split()
    # the first request's ids are written (if the client had read its answer) or listed, the others listed
    if set(left) == set(ids[100:]):
        assert fetched == {OBJECT}
    else:
        assert set(left) == set(ids) and not fetched
    assert len(left) == len(set(left))
