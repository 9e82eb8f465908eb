"""fink-query chains: ids from arguments, '-', --ids-file and stdin, as plain text or as any table astropy reads.

Most tests run ``cli.main`` in process with ``sys.stdin`` replaced by the text to read, and the query
method replaced by a recorder (the ids it gets are the oracle: the text the test wrote). A few run real
processes: the pipe of the issue against the replica, and stdin as a file, /dev/null and an open pipe.
"""
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.io.votable.exceptions import W03
from astropy.table import Table

from astroquery_fink import FinkClass
from astroquery_fink.cli import EXIT_OK, EXIT_USAGE, main

OBJECT = "313761043604045880"
OTHER = "314003014107006318"
SOURCE = "170424319673368579"  # a diaSourceId with cutouts on the replica
# 2**53 + 1: a float keeps 9007199254740992, so only a reader that never goes through float gets it back
BEYOND_FLOAT = "9007199254740993"
REPO = Path(__file__).resolve().parents[1]
NOWHERE = ["--server", "http://127.0.0.1:9", "--retries", "0"]  # never reached: the recorder answers


@pytest.fixture
def asked(monkeypatch):
    """The ids each call of query_forced_photometry/query_object received (the methods make no request)."""
    calls = []

    def recorder(self, dia_object_id, **options):
        calls.append(list(dia_object_id))
        return Table({"r:diaObjectId": np.array([], dtype=np.int64)})

    monkeypatch.setattr(FinkClass, "query_forced_photometry", recorder)
    monkeypatch.setattr(FinkClass, "query_object", recorder)
    return calls


def feed(monkeypatch, text):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def ecsv_text(table):
    out = io.StringIO()
    table.write(out, format="ascii.ecsv")
    return out.getvalue()


def ipac_text(table):
    out = io.StringIO()
    table.write(out, format="ascii.ipac")
    return out.getvalue()


def votable_text(table):
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", W03)  # the FIELD IDs are made from names with a colon
        table.write(out, format="votable")
    return out.getvalue().decode()


IDS_TABLE = Table({"r:diaObjectId": np.array([int(BEYOND_FLOAT), int(OBJECT)], dtype=np.int64),
                   "r:ra": [53.25, 10.0] * u.deg})
SCREEN_VIEW = f"""\
summary rows of diaObjects (/api/v1/objects): {BEYOND_FLOAT}, {OBJECT}

  r:diaObjectId       r:ra
                      deg
------------------ ---------
  {BEYOND_FLOAT}      53.25
{OBJECT}      10.0

2 rows, 2 of 9 columns (--all-columns shows all)
"""


@pytest.mark.parametrize("text", [
    f"{BEYOND_FLOAT}\n{OBJECT}\n",
    f"# my sample\n{BEYOND_FLOAT}, {OBJECT}  # two a line\n\n",
    f"r:diaObjectId,r:ra\n{BEYOND_FLOAT},53.25\n{OBJECT},10.0\n",
    f'"diaObjectId","comment"\n{BEYOND_FLOAT},"a, b"\n{OBJECT},c\n',
    f"diaObjectId ra\n{BEYOND_FLOAT} 53.25\n{OBJECT} 10.0\n",
    ecsv_text(IDS_TABLE),
    ecsv_text(Table({"diaObjectId": [BEYOND_FLOAT, OBJECT]})),  # ids as text
    votable_text(IDS_TABLE),
    ipac_text(Table({"r_diaObjectId": IDS_TABLE["r:diaObjectId"], "r_ra": IDS_TABLE["r:ra"]})),  # IPAC spelling
    SCREEN_VIEW,
], ids=["lines", "commas-comments", "csv", "csv-quoted", "whitespace-table", "ecsv", "ecsv-text", "votable",
        "ipac", "screen-view"])
def test_stdin_text_or_table(text, monkeypatch, asked):
    feed(monkeypatch, text)
    assert main(["fp", *NOWHERE, "-q", "-f", "csv"]) == EXIT_OK
    assert asked == [[BEYOND_FLOAT, OBJECT]]  # exact: 64-bit ids never went through a float


def test_ids_file_holding_a_table(tmp_path, monkeypatch, asked):
    (tmp_path / "cone.csv").write_text(f"r:ra,r:diaObjectId\n1.0,{OBJECT}\n2.0,{BEYOND_FLOAT}\n3.0,{OBJECT}\n")
    assert main(["object", "--ids-file", str(tmp_path / "cone.csv"), *NOWHERE, "-q", "-f", "csv"]) == EXIT_OK
    assert asked == [[OBJECT, BEYOND_FLOAT]]  # in the order of the table, each once


@pytest.mark.parametrize(("text", "message"), [
    (ecsv_text(Table({"r:diaObjectId": [3.1e17, 3.2e17]})), "holds floating-point numbers"),
    (f"r:diaObjectId,r:ra\n{OBJECT},1\n3.1e17,2\n", "row 2 of the r:diaObjectId column has '3.1e17'"),
    (f"r:diaObjectId,r:ra\n{OBJECT},1\n,2\n", "row 2 of the r:diaObjectId column has no value"),
    (f"diaSourceId,r:ra\n{SOURCE},1\n", "line 1: 'diaSourceId,r:ra' is not a diaObjectId"),
    (ecsv_text(Table({"r:ra": [1.0]})), "the table has no r:diaObjectId or diaObjectId column (its columns: r:ra)"),
    ("r:band   r:dec\n------ -------\n     z -48.71\n", "does not show the r:diaObjectId column"),
    (SCREEN_VIEW.replace(f"{OBJECT}      10.0", "...               ..."), "rows were left out"),
], ids=["float-column", "float-text", "missing", "no-id-column-csv", "no-id-column-ecsv", "screen-cut",
        "screen-rows-cut"])
def test_tables_that_cannot_give_exact_ids_are_refused(text, message, monkeypatch, asked, capsys):
    feed(monkeypatch, text)
    assert main(["fp", *NOWHERE]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and err.startswith("fink-query: error: stdin")
    assert asked == []


# --- where the ids come from ---------------------------------------------------------------------------------


def test_ids_on_the_command_line_and_data_on_stdin_is_an_error(monkeypatch, asked, capsys):
    feed(monkeypatch, f"{OTHER}\n")
    assert main(["fp", OBJECT, *NOWHERE]) == EXIT_USAGE
    assert "ids are given on the command line and stdin holds data too" in capsys.readouterr().err
    assert asked == []  # refused before any query


def test_ids_file_and_data_on_stdin_is_an_error(tmp_path, monkeypatch, asked, capsys):
    (tmp_path / "ids.txt").write_text(f"{OBJECT}\n")
    feed(monkeypatch, f"{OTHER}\n")
    assert main(["fp", "--ids-file", str(tmp_path / "ids.txt"), *NOWHERE]) == EXIT_USAGE
    assert "stdin holds data too" in capsys.readouterr().err and asked == []


def test_ids_on_the_command_line_and_empty_stdin(monkeypatch, asked, capsys):
    feed(monkeypatch, "")
    assert main(["fp", OBJECT, *NOWHERE, "-f", "csv"]) == EXIT_OK
    assert asked == [[OBJECT]] and capsys.readouterr().err == ""


def test_dash_reads_stdin_among_the_ids(monkeypatch, asked):
    feed(monkeypatch, f"r:diaObjectId\n{BEYOND_FLOAT}\n")
    assert main(["fp", OBJECT, "-", OTHER, *NOWHERE, "-q", "-f", "csv"]) == EXIT_OK
    assert asked == [[OBJECT, BEYOND_FLOAT, OTHER]]


def test_stdin_named_twice_is_an_error(monkeypatch, asked, capsys):
    feed(monkeypatch, f"{OBJECT}\n")
    assert main(["fp", "-", "--ids-file", "-", *NOWHERE]) == EXIT_USAGE
    assert "stdin is named twice" in capsys.readouterr().err and asked == []


def test_no_ids_anywhere(monkeypatch, asked, capsys):
    feed(monkeypatch, "# only a comment\n")
    assert main(["fp", *NOWHERE]) == EXIT_USAGE
    assert "no diaObjectId given" in capsys.readouterr().err and asked == []


def test_names_are_passed_on_as_given(tmp_path, monkeypatch, asked):
    """The query methods resolve names (or say why not): the command line does not refuse them."""
    feed(monkeypatch, "")
    assert main(["fp", "SN 2026bqe", OBJECT, "2026bqe", *NOWHERE, "-q", "-f", "csv"]) == EXIT_OK
    (tmp_path / "targets.txt").write_text(f"SN 2026bqe   # a TNS name, one a line\n{OBJECT} {OTHER}\nM 31\n")
    assert main(["object", "--ids-file", str(tmp_path / "targets.txt"), *NOWHERE, "-q", "-f", "csv"]) == EXIT_OK
    assert asked == [["SN 2026bqe", OBJECT, "2026bqe"], ["SN 2026bqe", OBJECT, OTHER, "M 31"]]


def test_cutout_reads_its_diasourceid_from_a_table(fink_replica, tmp_path, monkeypatch):
    feed(monkeypatch, f"r:diaObjectId,r:diaSourceId,r:band\n{OBJECT},{SOURCE},g\n")
    assert main(["cutout", "--server", fink_replica, "-q", "-o", str(tmp_path / "stamp.fits")]) == EXIT_OK
    with fits.open(tmp_path / "stamp.fits") as stamp:
        assert stamp[1].data.shape == (30, 30)


def test_screen_view_chains(fink_replica, monkeypatch, capsys):
    """What ``fink-query object ...`` shows can be piped to another command (the id column is among those shown)."""
    expected = FinkClass(server=fink_replica).query_object([OBJECT, OTHER], columns="r:diaObjectId,r:ra")
    assert main(["object", OBJECT, OTHER, "--columns", "r:diaObjectId,r:ra", "--server", fink_replica]) == EXIT_OK
    feed(monkeypatch, capsys.readouterr().out)
    assert main(["object", "--columns", "r:diaObjectId,r:ra", "--server", fink_replica, "-f", "ecsv"]) == EXIT_OK
    again = Table.read(capsys.readouterr().out, format="ascii.ecsv")
    assert list(again["r:diaObjectId"]) == list(expected["r:diaObjectId"])


# --- real processes: the pipe of the issue, and stdin as the shell gives it ----------------------------------


def environment():
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}


COMMAND = (sys.executable, "-m", "astroquery_fink")


def test_cone_csv_piped_to_fp_ecsv(fink_replica, tmp_path):
    """``fink-query cone ... -f csv | fink-query fp -f ecsv > fp.ecsv``, as a shell runs it."""
    client = FinkClass(server=fink_replica)
    cone = client.query_region(SkyCoord(53.2514, -27.861, unit="deg"), 10 * u.arcsec)
    expected = client.query_forced_photometry([str(i) for i in cone["r:diaObjectId"]])
    assert len(cone) == 2 and len(expected) > 0
    with open(tmp_path / "fp.ecsv", "wb") as output, open(tmp_path / "errors.txt", "wb") as errors:
        first = subprocess.Popen([*COMMAND, "cone", "53.2514", "-27.861", "--radius", "10arcsec", "-f", "csv",
                                  "--server", fink_replica, "-q"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, env=environment())
        second = subprocess.Popen([*COMMAND, "fp", "-f", "ecsv", "--server", fink_replica, "-q"],
                                  stdin=first.stdout, stdout=output, stderr=errors, env=environment())
        first.stdout.close()  # the second process holds the pipe now
        assert second.wait(timeout=300) == EXIT_OK, (tmp_path / "errors.txt").read_text()
        assert first.wait(timeout=300) == EXIT_OK
    fp = Table.read(tmp_path / "fp.ecsv")
    assert fp.colnames == expected.colnames and len(fp) == len(expected)
    np.testing.assert_array_equal(np.sort(fp["r:diaForcedSourceId"]), np.sort(expected["r:diaForcedSourceId"]))
    assert fp["r:psfFlux"].unit == u.nJy


def test_stdin_file_with_ids_on_the_command_line(tmp_path):
    """``fink-query fp ID < ids.txt``: the file's ids would be ignored, so the command is refused."""
    (tmp_path / "ids.txt").write_text(f"{OTHER}\n")
    with open(tmp_path / "ids.txt", "rb") as stdin:
        result = subprocess.run([*COMMAND, "fp", OBJECT, *NOWHERE], stdin=stdin, capture_output=True, text=True,
                                env=environment(), timeout=300)
    assert result.returncode == EXIT_USAGE
    assert "stdin holds data too" in result.stderr and "Traceback" not in result.stderr


def test_no_ids_and_stdin_dev_null():
    result = subprocess.run([*COMMAND, "fp", *NOWHERE], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            env=environment(), timeout=300)
    assert result.returncode == EXIT_USAGE and "no diaObjectId given" in result.stderr


def test_ids_with_an_open_pipe_on_stdin_do_not_wait(fink_replica, tmp_path):
    """A pipe nobody writes to (as some CI runners leave on stdin) is noted and left alone, not waited on."""
    with open(tmp_path / "out.txt", "wb") as out, open(tmp_path / "err.txt", "wb") as err:
        process = subprocess.Popen([*COMMAND, "fp", OBJECT, "--server", fink_replica, "-f", "csv"],
                                   stdin=subprocess.PIPE, stdout=out, stderr=err, env=environment())
        try:
            status = process.wait(timeout=300)  # stdin stays open all along
        finally:
            process.kill()
            process.stdin.close()
    assert status == EXIT_OK, (tmp_path / "err.txt").read_text()
    assert "stdin is an open pipe without data yet: it is not read" in (tmp_path / "err.txt").read_text()
    assert Table.read(tmp_path / "out.txt", format="ascii.csv")["r:diaObjectId"][0] == int(OBJECT)


def test_a_pipe_already_full_is_read_whole(fink_replica):
    """Data waiting in the pipe before the command starts: every byte is read (the first digit too)."""
    reader, writer = os.pipe()
    os.write(writer, f"{OBJECT}\n".encode())
    os.close(writer)
    try:
        result = subprocess.run([*COMMAND, "object", "--server", fink_replica, "-f", "csv", "--columns",
                                 "r:diaObjectId,r:ra"], stdin=reader, capture_output=True, text=True,
                                env=environment(), timeout=300)
    finally:
        os.close(reader)
    assert result.returncode == EXIT_OK, result.stderr
    assert list(Table.read(result.stdout, format="ascii.csv")["r:diaObjectId"]) == [int(OBJECT)]


def test_names_are_resolved_through_the_command_line(fink_replica, tmp_path, capsys):
    # SN 2026bqe is the TNS name of the replica's object 313888627082919999 (its alerts carry f:xm_tns_fullname)
    path = tmp_path / "fp.ecsv"
    assert main(["fp", "SN 2026bqe", "--server", fink_replica, "-o", str(path)]) == EXIT_OK
    assert "note: 'SN 2026bqe' resolved by TNS" in capsys.readouterr().err
    by_name = Table.read(path)
    by_id = FinkClass(server=fink_replica).query_forced_photometry(313888627082919999)
    assert len(by_name) == len(by_id) > 0
    assert list(by_name["r:diaForcedSourceId"]) == list(by_id["r:diaForcedSourceId"])
    assert by_name.meta["resolved_names"] == {"SN 2026bqe": [313888627082919999]}
    # a name no resolver knows is a usage error saying what was tried
    assert main(["fp", "M 31", "--server", fink_replica]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "'M 31' is not a diaObjectId" in err and "SIMBAD" in err
