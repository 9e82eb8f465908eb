"""The ``fink-query`` command line, run as users run it: subprocesses against the session's replica.

Sub-command help, the rarer commands and the fault paths run in process through ``cli.main``
(same code, no interpreter start-up), so that the file stays fast.
"""
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from astroquery_fink import FinkClass
from astroquery_fink.cli import COMMANDS, EXIT_OK, EXIT_PARTIAL, EXIT_SERVER, EXIT_USAGE, main

OBJECT = "313761043604045880"  # has sources and forced photometry on the replica
OTHERS = ("314003014107006318", "170261592629837872")
UNKNOWN = "1"
SOURCE = "170424319673368579"  # a diaSourceId with cutouts
REPO = Path(__file__).resolve().parents[1]
PYTHON_M = (sys.executable, "-m", "astroquery_fink")


def run(*args, stdin="", command=PYTHON_M, cwd=None):
    """Run the command line; ``stdin`` is what it reads (empty by default: never the test's terminal)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def assert_clean_failure(result, status):
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("fink-query: error: ")


def ids_of(table):
    return sorted({int(identifier) for identifier in table["r:diaObjectId"]})


@pytest.fixture(scope="module")
def expected_fp(fink_replica):
    """What the client gets for the test object, to compare the command's output with."""
    return FinkClass(server=fink_replica).query_forced_photometry(OBJECT)


# --- through the entry point ------------------------------------------------------------------

def test_fp_to_stdout_is_the_screen_view(fink_replica, expected_fp):
    result = run("fp", OBJECT, "--server", fink_replica, "--all-columns")
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stderr == ""
    title, blank, header, units, rule, *rows, blank_after, count = result.stdout.splitlines()
    assert title == f"forced photometry of diaObjects (/api/v1/fp): {OBJECT}"
    assert blank == blank_after == ""
    assert header.split() == expected_fp.colnames  # --all-columns: every column, in the table's order
    assert "nJy" in units.split() and set(rule) == {"-", " "}
    assert len(rows) == len(expected_fp)  # every row by default, not a terminal's worth
    assert all(OBJECT in row for row in rows)
    assert count == f"{len(expected_fp)} rows"


def test_fp_to_ecsv_keeps_units_and_ids(fink_replica, expected_fp, tmp_path):
    result = run("fp", OBJECT, "--server", fink_replica, "-o", "lc.ecsv", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout == ""
    assert f"{len(expected_fp)} rows written to lc.ecsv" in result.stderr
    table = Table.read(tmp_path / "lc.ecsv")
    assert table.colnames == expected_fp.colnames
    assert table["r:psfFlux"].unit == u.nJy
    assert table["r:midpointMjdTai"].unit == u.d
    assert table["r:diaObjectId"].dtype == np.int64
    assert table["r:diaObjectId"][0] == int(OBJECT)  # exact: 18 digits do not survive a float
    np.testing.assert_array_equal(table["r:diaForcedSourceId"], expected_fp["r:diaForcedSourceId"])
    assert table.meta["endpoint"] == "/api/v1/fp"

    again = run("fp", OBJECT, "--server", fink_replica, "-o", "lc.ecsv", cwd=tmp_path)
    assert_clean_failure(again, EXIT_USAGE)
    assert "lc.ecsv exists; use --overwrite" in again.stderr
    assert run("fp", OBJECT, "--server", fink_replica, "-o", "lc.ecsv", "--overwrite", "-q",
               cwd=tmp_path).returncode == EXIT_OK


def test_ids_from_a_file(fink_replica, tmp_path):
    (tmp_path / "ids.txt").write_text(f"# my sample\n{OBJECT}\n\n{OTHERS[0]}  # a comment\n{OTHERS[1]}\n{OBJECT}\n")
    result = run("fp", "--ids-file", "ids.txt", "--server", fink_replica, "--columns", "r:diaObjectId,r:psfFlux",
                 "-o", "batch.ecsv", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    table = Table.read(tmp_path / "batch.ecsv")
    expected = FinkClass(server=fink_replica).query_forced_photometry([OBJECT, *OTHERS], columns="r:diaObjectId")
    assert ids_of(table) == sorted(int(identifier) for identifier in [OBJECT, *OTHERS])
    assert len(table) == len(expected)  # the duplicate id does not double its rows


@pytest.mark.parametrize("arguments", [(), ("--ids-file", "-")], ids=["implicit", "dash"])
def test_ids_from_stdin(fink_replica, arguments):
    stdin = f"{OBJECT}\n{OTHERS[0]}\n{OBJECT}\n"
    result = run("object", *arguments, "--server", fink_replica, "--columns", "r:diaObjectId,r:ra,r:dec",
                 "--format", "ecsv", stdin=stdin)
    assert result.returncode == EXIT_OK, result.stderr
    table = Table.read(result.stdout, format="ascii.ecsv")
    assert ids_of(table) == sorted([int(OBJECT), int(OTHERS[0])])
    assert table["r:ra"].unit == u.deg


def test_csv_to_stdout(fink_replica, expected_fp):
    result = run("fp", OBJECT, "--server", fink_replica, "--format", "csv", "--transport", "parquet")
    assert result.returncode == EXIT_OK, result.stderr
    table = Table.read(result.stdout, format="ascii.csv")
    assert table.colnames == expected_fp.colnames
    assert table["r:diaObjectId"].dtype == np.int64 and set(table["r:diaObjectId"]) == {int(OBJECT)}
    np.testing.assert_allclose(table["r:psfFlux"].filled(np.nan), expected_fp["r:psfFlux"].filled(np.nan))


def test_schema(fink_replica, tmp_path):
    result = run("schema", "fp", "--server", fink_replica)
    assert result.returncode == EXIT_OK, result.stderr
    flux = next(line for line in result.stdout.splitlines() if line.split()[:1] == ["r:psfFlux"])
    assert "nJy" in flux.split()
    # the unit column holds Unit objects, which ECSV cannot store as such: written as text
    assert run("schema", "fp", "--server", fink_replica, "-o", "fp.ecsv", cwd=tmp_path).returncode == EXIT_OK
    schema = Table.read(tmp_path / "fp.ecsv")
    schema.add_index("name")
    assert schema.loc["r:psfFlux"]["unit"] == "nJy"


@pytest.mark.parametrize("position", [("53.2514", "-27.861"), ("03:33:00.336", "-27:51:39.6")],
                         ids=["degrees", "sexagesimal"])
def test_cone(fink_replica, position):
    result = run("cone", *position, "--radius", "10arcsec", "--server", fink_replica, "--format", "ecsv")
    assert result.returncode == EXIT_OK, result.stderr
    table = Table.read(result.stdout, format="ascii.ecsv")  # stdout holds the table only
    assert len(table) == 2
    # the full read cannot be written in VOTable by the server: the client said so on stderr
    assert "HTTP 500" in result.stderr and "asking again in CSV" in result.stderr
    # the server's separation in degrees, in arcsec in the table
    assert (table["v:separation_arcsec"] <= 10).all()
    assert table["v:separation_arcsec"].unit == u.arcsec


def test_bad_id_is_refused(fink_replica):
    # the command line passes "abc" on (it could be a name): the client's refusal is what the user reads
    result = run("fp", "abc", "--server", fink_replica)
    assert_clean_failure(result, EXIT_USAGE)
    assert "'abc'" in result.stderr
    assert result.stdout == ""


def test_unreachable_server():
    result = run("fp", OBJECT, "--server", "http://127.0.0.1:9", "--retries", "0")
    assert_clean_failure(result, EXIT_SERVER)
    assert "http://127.0.0.1:9" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_unknown_id_is_no_data(fink_replica, expected_fp, tmp_path):
    result = run("fp", UNKNOWN, "--server", fink_replica, "-o", "none.ecsv", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stderr.startswith("fink-query: note: The Fink API has no data")
    assert "Traceback" not in result.stderr
    empty = Table.read(tmp_path / "none.ecsv")
    assert len(empty) == 0 and empty.colnames == expected_fp.colnames
    assert empty["r:psfFlux"].unit == u.nJy

    quiet = run("fp", UNKNOWN, "--server", fink_replica, "--quiet")
    assert quiet.returncode == EXIT_OK and quiet.stderr == ""


def test_help():
    result = run("--help")
    assert result.returncode == EXIT_OK
    assert result.stdout.startswith("usage: fink-query")
    for command in COMMANDS:
        assert f"    {command} " in result.stdout
    assert "exit status:" in result.stdout


def test_replica_option(tmp_path):
    result = run("fp", OBJECT, "--replica", "-o", "lc.fits", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert "embedded replica" in result.stderr
    table = Table.read(tmp_path / "lc.fits")
    assert table["r:psfFlux"].unit == u.nJy and table["r:diaObjectId"][0] == int(OBJECT)


def test_first_command_line_still_works():
    """``python -m astroquery_fink [--replica] ID...`` (README, .ci/run) means ``fp``."""
    result = run("--replica", OBJECT, "--quiet")
    assert result.returncode == EXIT_OK, result.stderr
    title, _, header, *_ = result.stdout.splitlines()
    assert title.startswith("forced photometry of diaObjects") and "r:diaObjectId" in header.split()


def test_shared_options_before_the_command(tmp_path):
    result = run("--replica", "-q", "-o", "lc.ecsv", "fp", OBJECT, cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert Table.read(tmp_path / "lc.ecsv")["r:diaObjectId"][0] == int(OBJECT)


def test_console_script(fink_replica):
    script = shutil.which("fink-query")
    if script is None:
        pytest.skip("the fink-query console script is not installed (pip install -e .)")
    result = run("fp", OBJECT, "--server", fink_replica, "--format", "csv", "--columns", "r:diaObjectId",
                 command=(script,))
    assert result.returncode == EXIT_OK, result.stderr
    header, first = result.stdout.splitlines()[:2]
    # the client adds the time column it sorts on
    assert header == "r:diaObjectId,r:midpointMjdTai" and first.split(",")[0] == OBJECT


# --- in process: help of every command, the other commands, formats and faults -----------------

@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_is_its_own(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main([command, "--help"]) == EXIT_OK
    text = capsys.readouterr().out
    assert text.startswith(f"usage: fink-query {command}")
    assert "examples:\n  fink-query " in text
    # the shared options and the exit status are described once, in the main help, which each command points to
    for shared in ("--transport FORMAT", "--server URL", "--timeout SECONDS", "--max-width N", "exit status:"):
        assert shared not in text or (command, shared) == ("skymap", "--transport FORMAT")  # its own: no --columns
    assert text.rstrip().endswith("see 'fink-query --help'.") or command == "cutout"
    assert len(text.splitlines()) <= 35  # was 46 to 67 lines


def test_main_help_describes_the_shared_options(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["--help"]) == EXIT_OK
    text = capsys.readouterr().out
    for shared in ("--ids-file FILE", "--failed-ids FILE", "--columns A,B,C", "--transport FORMAT", "-o FILE",
                   "-f FORMAT", "--all-columns", "--server URL", "--replica", "--timeout SECONDS", "exit status:"):
        assert text.count(shared) >= 1, shared
    assert text.count("--transport FORMAT") == 1  # once, not once per command


def test_usage_errors_exit_2(capsys):
    assert main([]) == EXIT_USAGE
    assert main(["fp", OBJECT, "--replica", "--server", "http://x.org"]) == EXIT_USAGE
    assert main(["fp", OBJECT, "--format", "no-such-format"]) == EXIT_USAGE
    assert main(["cone", "1", "2", "--radius", "10m"]) == EXIT_USAGE  # metres, not minutes
    assert main(["fp", OBJECT, "-o", "lc.txt"]) == EXIT_USAGE  # format unknown: refused before the query
    # the client's own checks, made before any request
    assert main(["sources", OBJECT, OTHERS[0], "--time", "61176"]) == EXIT_USAGE
    assert main(["tags", "in_tns", "--n", "0"]) == EXIT_USAGE
    assert main(["fp", OBJECT, "--transport", "xml"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert "exclude each other" in err and "no-such-format" in err and "radius must be an angle" in err
    assert "cannot tell the format of lc.txt" in err
    assert "single dia_object_id" in err and "positive integer" in err and "'xml' is not supported" in err
    assert "Traceback" not in err


def test_ids_file_errors_name_the_line(tmp_path, capsys):
    (tmp_path / "ids.txt").write_text(f"{SOURCE}\nZTF21abc\n")  # a diaSourceId has no name
    assert main(["cutout", "--ids-file", str(tmp_path / "ids.txt")]) == EXIT_USAGE
    assert "ids.txt, line 2: 'ZTF21abc' is not a diaSourceId" in capsys.readouterr().err
    (tmp_path / "ids.txt").write_text(f"{OBJECT}\nra,dec\n")  # a name has no comma: a table without ids
    assert main(["fp", "--ids-file", str(tmp_path / "ids.txt")]) == EXIT_USAGE
    assert "ids.txt, line 2: 'ra,dec' is not a diaObjectId" in capsys.readouterr().err


@pytest.mark.parametrize(("name", "fmt"), [("lc.fits", None), ("lc.parquet", None), ("lc.xml", None),
                                           ("lc.vot", "votable"), ("lc.tbl", None)])
def test_file_formats(fink_replica, tmp_path, capsys, name, fmt):
    arguments = ["fp", OBJECT, "--server", fink_replica, "-o", str(tmp_path / name), "--quiet"]
    assert main(arguments + (["--format", fmt] if fmt else [])) == EXIT_OK
    assert capsys.readouterr().err == ""  # no warning from astropy's writers either
    reader = {".xml": "votable", ".vot": "votable", ".tbl": "ascii.ipac"}.get(Path(name).suffix)
    options = {"use_names_over_ids": True} if reader == "votable" else {}  # the IDs are r_psfFlux...
    table = Table.read(tmp_path / name, format=reader, **options)
    # IPAC allows no colon in names: r:psfFlux becomes r_psfFlux there
    flux, identifier = ("r_psfFlux", "r_diaObjectId") if name.endswith(".tbl") else ("r:psfFlux", "r:diaObjectId")
    assert table[flux].unit == u.nJy
    assert table[identifier].dtype.kind == "i" and table[identifier][0] == int(OBJECT)


def test_binary_format_needs_a_file_or_a_pipe(fink_replica, capsysbinary, monkeypatch):
    assert main(["fp", OBJECT, "--server", fink_replica, "--format", "fits", "-q"]) == EXIT_OK
    assert fits.open(io.BytesIO(capsysbinary.readouterr().out))[1].columns["r:diaObjectId"].format == "K"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["fp", OBJECT, "--server", fink_replica, "--format", "fits"]) == EXIT_USAGE
    assert b"binary" in capsysbinary.readouterr().err


def test_client_warnings_are_one_line_each(fink_replica, capsys):
    assert main(["tags", "in_tns", "--n", "2", "--columns", "r:diaObjectId", "--server", fink_replica]) == 0
    captured = capsys.readouterr()
    warnings = captured.err.splitlines()
    assert len(warnings) == 1 and all(line.startswith("fink-query: warning: ") for line in warnings)
    assert "raise n" in captured.err
    # title, blank, header, unit line (of the time column), rule, two alerts, blank, row count
    assert len(captured.out.splitlines()) == 2 + 3 + 2 + 2
    # a column the endpoint does not have is refused before the request, in one line
    assert main(["tags", "in_tns", "--columns", "r:diaObjectId,r:nosuch", "--server", fink_replica]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1 and "'r:nosuch'" in captured.err


def test_tags_sso_resolve_stats(fink_replica, capsys):
    assert main(["tags", "--server", fink_replica, "--format", "csv"]) == EXIT_OK
    assert "in_tns" in capsys.readouterr().out
    assert main(["sso", "2015 BC557", "--columns", "r:midpointMjdTai,r:psfFlux", "--server", fink_replica]) == EXIT_OK
    assert "2015 BC557" in capsys.readouterr().out
    assert main(["resolve", "SN 2022and", "--server", fink_replica]) == EXIT_OK
    assert "ZTF22aaaifcx" in capsys.readouterr().out
    assert main(["resolve", OBJECT, "--reverse", "--server", fink_replica]) == EXIT_OK
    assert OBJECT in capsys.readouterr().out
    assert main(["stats", "20250906", "--columns", "f:alerts", "--server", fink_replica, "--format", "csv"]) == 0
    header, night = capsys.readouterr().out.splitlines()
    assert header == "f:night,f:alerts" and night.split(",")[0] == "20250906"  # the night leads
    assert main(["tags", "no_such_tag", "--server", fink_replica]) == EXIT_USAGE
    assert "is not a Fink tag" in capsys.readouterr().err


def test_cutout(fink_replica, tmp_path, capsys):
    assert main(["cutout", SOURCE, "--server", fink_replica, "-o", str(tmp_path / "stamp.fits")]) == EXIT_OK
    with fits.open(tmp_path / "stamp.fits") as hdus:
        assert hdus[1].data.shape == (30, 30)
    assert main(["cutout", SOURCE, "--kind", "Difference", "--server", fink_replica,
                 "-o", str(tmp_path / "stamp.png")]) == EXIT_OK
    assert (tmp_path / "stamp.png").read_bytes().startswith(b"\x89PNG")
    assert main(["cutout", UNKNOWN, "--server", fink_replica, "-o", str(tmp_path / "none.fits")]) == EXIT_OK
    assert not (tmp_path / "none.fits").exists()
    assert "no Science cutout" in capsys.readouterr().err


def test_partial_batch_exit_3(fink_replica_server, tmp_path, capsys):
    fink_replica_server.inject("500", endpoint="fp", ids=[OTHERS[0]])
    output, failed = tmp_path / "lc.ecsv", tmp_path / "failed.txt"
    # one request of both ids: split, so that the id the server crashes on is the only one lost
    status = main(["fp", OBJECT, OTHERS[0], "--server", fink_replica_server.url, "--columns", "r:diaObjectId",
                   "-o", str(output), "--failed-ids", str(failed)])
    assert status == EXIT_PARTIAL
    assert ids_of(Table.read(output)) == [int(OBJECT)]  # what did come back is written
    assert failed.read_text() == f"{OTHERS[0]}\n"
    err = capsys.readouterr().err
    # the crash in VOTable was asked again in CSV (a note), which crashed too (the error)
    assert err.startswith("fink-query: note: The Fink API answered HTTP 500")
    assert "fink-query: error: 1 of 2 ids have no rows" in err and OTHERS[0] in err and "Traceback" not in err


def test_timeout_exit_1(fink_replica_server, capsys):
    fink_replica_server.inject("slow", endpoint="fp", delay=3)
    status = main(["fp", OBJECT, "--server", fink_replica_server.url, "--timeout", "0.3", "--retries", "0"])
    assert status == EXIT_SERVER
    err = capsys.readouterr().err
    assert err.startswith("fink-query: error: ") and fink_replica_server.url in err and "0.3 s" in err


def test_replica_extra_missing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "astroquery_fink.testing", None)  # as if flask & co. were not installed
    assert main(["fp", OBJECT, "--replica"]) == EXIT_USAGE
    assert "pip install 'astroquery-fink[replica]'" in capsys.readouterr().err


def test_parquet_through_a_pipe(fink_replica, expected_fp):
    """A format astropy writes to named files only still reaches a redirected stdout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([*PYTHON_M, "fp", OBJECT, "--server", fink_replica, "--format", "parquet", "-q"],
                            capture_output=True, env=env, timeout=300)
    assert result.returncode == EXIT_OK, result.stderr
    table = Table.read(io.BytesIO(result.stdout), format="parquet")
    assert table["r:psfFlux"].unit == u.nJy and len(table) == len(expected_fp)


def test_a_failed_write_leaves_no_file(fink_replica, tmp_path, capsys, monkeypatch):
    def broken_write(table, *args, **kwargs):
        with open(args[0], "w") as handle:
            handle.write("half a ")
        raise ImportError("no writer package")

    monkeypatch.setattr(Table, "write", broken_write)
    output = tmp_path / "lc.ecsv"
    assert main(["fp", OBJECT, "--server", fink_replica, "-o", str(output)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert "cannot write the ascii.ecsv format: ImportError: no writer package" in captured.err
    assert captured.out == "" and not output.exists()


def test_cutout_kind_all_is_one_fits_file(fink_replica, tmp_path, capsys):
    assert main(["cutout", SOURCE, "--kind", "all", "--server", fink_replica, "-o", str(tmp_path / "all.fits")]) == 0
    for kind in ("Science", "Template", "Difference"):
        assert main(["cutout", SOURCE, "--kind", kind, "--server", fink_replica, "-q",
                     "-o", str(tmp_path / f"{kind}.fits")]) == EXIT_OK
    with fits.open(tmp_path / "all.fits") as stamps:
        assert [hdu.name for hdu in stamps] == ["PRIMARY", "SCIENCE", "TEMPLATE", "DIFFERENCE"]
        assert stamps[0].header["DIASRCID"] == int(SOURCE)
        for kind in ("Science", "Template", "Difference"):  # the pixels of each kind's own FITS stamp
            with fits.open(tmp_path / f"{kind}.fits") as single:
                np.testing.assert_array_equal(stamps[kind.upper()].data, single[1].data)


def test_cutout_kind_all_refuses_png_before_any_request(capsys):
    # the unreachable server is never asked: the refusal comes first
    assert main(["cutout", SOURCE, "--kind", "All", "-o", "all.png", "--server", "http://127.0.0.1:9"]) == EXIT_USAGE
    assert "--kind All writes the three stamps as one FITS file" in capsys.readouterr().err
    assert main(["cutout", SOURCE, "--kind", "all", "--stretch", "asinh", "-f", "fits",
                 "--server", "http://127.0.0.1:9"]) == EXIT_USAGE
    assert "do not apply to --kind All" in capsys.readouterr().err


def test_cutout_takes_one_id(capsys):
    assert main(["cutout", SOURCE, "170424319673368580", "-o", "x.fits"]) == EXIT_USAGE
    assert "cutout takes one diaSourceId, got 2" in capsys.readouterr().err


def test_skymap(fink_replica, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # the width of the screen view, title included
    expected = FinkClass(server=fink_replica).query_skymap(event_name="S251112cm", credible_level=0.9)
    assert len(expected) > 0
    assert main(["skymap", "S251112cm", "--level", "0.9", "--server", fink_replica, "--format", "ecsv"]) == EXIT_OK
    table = Table.read(capsys.readouterr().out, format="ascii.ecsv")
    assert sorted(table["r:diaObjectId"]) == sorted(expected["r:diaObjectId"])
    assert main(["skymap", "S251112cm", "--level", "0.9", "--server", fink_replica]) == EXIT_OK
    assert capsys.readouterr().out.startswith("objects in the credible region of a gravitational-wave event "
                                              "(/api/v1/skymap): S251112cm, credible level 0.9\n")
    assert main(["skymap", "S251112cm", "--level", "1.5", "--server", fink_replica]) == EXIT_USAGE
    assert main(["skymap", "--level", "0.9", "--server", fink_replica]) == EXIT_USAGE
    assert "exactly one of event_name" in capsys.readouterr().err


def test_skymap_from_a_map_file(fink_replica, tmp_path, capsys):
    from astroquery_fink.testing.services.gracedb import bayestar_bytes

    (tmp_path / "bayestar.fits.gz").write_bytes(bayestar_bytes())
    expected = FinkClass(server=fink_replica).query_skymap(event_name="S251112cm", credible_level=0.9)
    assert main(["skymap", "--map", str(tmp_path / "bayestar.fits.gz"), "--level", "0.9", "--server", fink_replica,
                 "--format", "csv", "--transport", "csv"]) == EXIT_OK
    table = Table.read(capsys.readouterr().out, format="ascii.csv")
    assert sorted(table["r:diaObjectId"]) == sorted(expected["r:diaObjectId"])


def test_blocks(fink_replica, capsys):
    assert main(["blocks", "--server", fink_replica, "--format", "csv"]) == EXIT_OK
    table = Table.read(capsys.readouterr().out, format="ascii.csv")
    assert table.colnames == ["block", "description"] and "b_is_new" in table["block"]


def test_long_lists_in_messages_are_cut_with_an_ellipsis():
    from astroquery_fink.cli.messages import listed

    ids = [str(number) for number in range(1, 14)]
    assert listed(ids[:3], 10) == "1, 2, 3"
    assert listed(ids[:10], 10) == "1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
    assert listed(ids, 10) == "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ..."
    assert listed([], 10) == ""
