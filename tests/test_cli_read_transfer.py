"""
``fink-query read-transfer``: a Data Transfer download written by the replica's `write_data_transfer`,
read by the command and written to a file, must read back (with astropy's own readers) as the table
`read_data_transfer` returns when called directly; the command needs no server and fails cleanly.

The kinds ``lightcurve``, ``objects`` and ``alerts`` come with the reader's next version: their
tests are expected to fail until then.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from astropy.time import Time

import astroquery_fink
from astroquery_fink import read_data_transfer
from astroquery_fink.cli import EXIT_OK, EXIT_USAGE, main
from astroquery_fink.cli import run as cli_run
from astroquery_fink.testing import write_data_transfer

OBJECTS = ["313761043604045880", "314003014107006318"]  # real objects of the replica, with forced photometry
REPO = Path(__file__).resolve().parents[1]
# The kinds issue #13 asks for, written out here rather than taken from the code under test
KINDS = ("lightcurve", "sources", "fp", "objects", "alerts")
@pytest.fixture(scope="module")
def download(tmp_path_factory):
    """Every alert of two objects (so each history is whole), with the schema dump: the folder finkctl fills."""
    folder = tmp_path_factory.mktemp("transfer") / "download"
    write_data_transfer(folder, OBJECTS, alerts_per_object=None)
    return folder


def run(*args, cwd):
    """The command as users run it: a process of its own, reading no stdin."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "astroquery_fink", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, stdin=subprocess.DEVNULL, timeout=300)


def assert_same_table(got, want):
    """Same columns in the same order, same rows, units, masks and values (exact, floats included)."""
    assert got.colnames == want.colnames
    assert len(got) == len(want) > 0
    for name in want.colnames:
        if isinstance(want[name], Time):  # a light curve's time
            assert isinstance(got[name], Time) and got[name].scale == want[name].scale, name
            assert np.array_equal(got[name].mask, want[name].mask), name
            assert np.array_equal(got[name].mjd, want[name].mjd), name
            continue
        assert got[name].unit == want[name].unit, name
        got_mask, want_mask = np.ma.getmaskarray(got[name]), np.ma.getmaskarray(want[name])
        assert np.array_equal(got_mask, want_mask), name
        got_values, want_values = np.asarray(got[name])[~got_mask], np.asarray(want[name])[~want_mask]
        assert got_values.dtype.kind == want_values.dtype.kind, name
        assert np.array_equal(got_values, want_values), name


def assert_exact_ids(table):
    """Object ids are 64-bit integers, the very ones written (18 digits do not survive a float)."""
    assert table["r:diaObjectId"].dtype == np.int64
    assert sorted(set(table["r:diaObjectId"].tolist())) == sorted(int(identifier) for identifier in OBJECTS)


def assert_notes_then(err, last):
    """stderr: the reader's notes (what it read, from its version with kinds lightcurve...), then ``last``."""
    *notes, final = err.splitlines()
    assert final == last
    assert all(line.startswith("fink-query: note: ") for line in notes), err


def assert_clean_failure(code, captured, text):
    assert code == EXIT_USAGE
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert captured.err.startswith("fink-query: error: ") and captured.err.count("\n") == 1, captured.err
    assert text in captured.err


@pytest.fixture
def no_server(monkeypatch):
    """Building a client, or any HTTP request, fails the test: the command reads files only."""
    import requests

    def refuse(*args, **kwargs):
        raise AssertionError("read-transfer built a client or sent a request")

    monkeypatch.setattr(cli_run, "_client", refuse)
    monkeypatch.setattr(cli_run, "FinkClass", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)


# --- the command writes the reader's table ------------------------------------------------------

def test_sources_to_ecsv_in_a_process(download, tmp_path):
    result = run("read-transfer", str(download), "--kind", "sources", "-o", "sources.ecsv", cwd=tmp_path)
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout == ""
    want = read_data_transfer(download, kind="sources")
    assert_notes_then(result.stderr, f"fink-query: {len(want)} rows written to sources.ecsv (ascii.ecsv)")
    got = Table.read(tmp_path / "sources.ecsv", format="ascii.ecsv")
    assert_same_table(got, want)
    assert_exact_ids(got)
    assert got["r:psfFlux"].unit == u.nJy
    assert got.meta["source"] == "Fink Data Transfer"


def test_fp_to_parquet(download, tmp_path, capsys, no_server):
    output = tmp_path / "fp.parquet"
    assert main(["read-transfer", str(download), "--kind", "fp", "-o", str(output)]) == EXIT_OK
    want = read_data_transfer(download, kind="fp")
    assert_notes_then(capsys.readouterr().err, f"fink-query: {len(want)} rows written to {output} (parquet)")
    got = Table.read(output, format="parquet")
    assert_same_table(got, want)
    assert_exact_ids(got)
    assert got["r:diaForcedSourceId"].dtype == np.int64


def test_columns(download, tmp_path, no_server):
    output = tmp_path / "some.ecsv"
    code = main(["read-transfer", str(download), "--kind", "sources", "--columns", "r:midpointMjdTai, r:psfFlux",
                 "-o", str(output), "-q"])
    assert code == EXIT_OK
    want = read_data_transfer(download, kind="sources", columns=["r:midpointMjdTai", "r:psfFlux"])
    assert want.colnames == ["r:diaObjectId", "r:midpointMjdTai", "r:psfFlux"]  # the object's id is kept
    assert_same_table(Table.read(output, format="ascii.ecsv"), want)


@pytest.mark.parametrize("where", ["topic folder", "one file"])
def test_a_topic_folder_or_one_file(download, tmp_path, where, no_server):
    topic = next(path for path in download.iterdir() if path.is_dir())
    path = topic if where == "topic folder" else sorted(topic.glob("*.parquet"))[0]
    output = tmp_path / "fp.ecsv"
    assert main(["read-transfer", str(path), "--kind", "fp", "-o", str(output), "-q"]) == EXIT_OK
    assert_same_table(Table.read(output, format="ascii.ecsv"), read_data_transfer(path, kind="fp"))


def test_csv_to_stdout(download, capsys, no_server):
    assert main(["read-transfer", str(download), "--kind", "fp", "-f", "csv", "--columns", "r:psfFlux"]) == EXIT_OK
    captured = capsys.readouterr()
    assert all(line.startswith("fink-query: note: ") for line in captured.err.splitlines()), captured.err
    got = Table.read(captured.out, format="ascii.csv")
    want = read_data_transfer(download, kind="fp", columns=["r:psfFlux"])
    assert got.colnames == want.colnames
    assert got["r:diaObjectId"].dtype.kind == "i"
    assert got["r:diaObjectId"].tolist() == want["r:diaObjectId"].tolist()
    np.testing.assert_array_equal(got["r:psfFlux"], want["r:psfFlux"].filled(np.nan))


def test_screen_view(download, capsys, no_server):
    assert main(["read-transfer", str(download), "--kind", "sources", "--max-lines", "8", "--max-width", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f": {download}, kind sources")
    assert lines[0].startswith("tables from a Fink Data Transfer download")
    assert lines[-1].startswith(f"{len(read_data_transfer(download, kind='sources')):,} rows")


# --- no server ----------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [["--replica"], ["--server", "http://127.0.0.1:9"], ["--timeout", "3"],
                                     ["--retries", "0", "--replica"]])
def test_server_options_are_refused_by_name(download, tmp_path, capsys, options, no_server):
    output = tmp_path / "x.ecsv"
    # before the command, where the other commands take them, and after it
    for argv in ([*options, "read-transfer", str(download), "--kind", "fp", "-o", str(output)],
                 ["read-transfer", str(download), "--kind", "fp", "-o", str(output), *options]):
        code = main(argv)
        assert_clean_failure(code, capsys.readouterr(), "read-transfer reads files and queries no server")
        assert not output.exists()
    assert main(["read-transfer", str(download), "--replica", "--timeout", "3"]) == EXIT_USAGE
    assert capsys.readouterr().err.endswith(": --replica, --timeout do not apply\n")


def test_quiet_is_taken(download, tmp_path, capsys, no_server):
    assert main(["-q", "read-transfer", str(download), "--kind", "fp", "-o", str(tmp_path / "fp.ecsv")]) == EXIT_OK
    assert capsys.readouterr().err == ""


# --- errors: exit status 2, one line, no traceback, no file ------------------------------------

def test_no_such_folder(tmp_path, capsys, no_server):
    code = main(["read-transfer", str(tmp_path / "nowhere"), "--kind", "sources", "-o", str(tmp_path / "x.ecsv")])
    assert_clean_failure(code, capsys.readouterr(), "nowhere")
    assert not (tmp_path / "x.ecsv").exists()


def test_no_parquet_files(tmp_path, capsys, no_server):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not data")
    code = main(["read-transfer", str(tmp_path / "empty"), "--kind", "fp"])
    assert_clean_failure(code, capsys.readouterr(), "no Parquet data files")


def test_a_file_that_is_not_parquet(tmp_path, capsys, no_server):
    (tmp_path / "topic").mkdir()
    (tmp_path / "topic" / "part-1-0-1.parquet").write_text("not parquet")
    code = main(["read-transfer", str(tmp_path), "--kind", "fp"])
    assert_clean_failure(code, capsys.readouterr(), "part-1-0-1.parquet' is not a Parquet file")


def test_unknown_column(download, capsys, no_server):
    code = main(["read-transfer", str(download), "--kind", "fp", "--columns", "r:psfFlux,r:nosuch"])
    assert_clean_failure(code, capsys.readouterr(), "r:nosuch")


def test_bad_kind_is_a_usage_error(download, capsys, no_server):
    assert main(["read-transfer", str(download), "--kind", "lightcurves"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert "invalid choice: 'lightcurves'" in captured.err


@pytest.mark.parametrize("option", [["--flux", "science"], ["--limit-sigma", "3"], ["--keep-withdrawn"],
                                    ["--min-reliability", "0.5"]])
def test_light_curve_options_need_kind_lightcurve(download, capsys, option, no_server):
    code = main(["read-transfer", str(download), "--kind", "sources", *option])
    assert_clean_failure(code, capsys.readouterr(), f"{option[0]} applies to --kind lightcurve only")


def test_output_checked_before_reading(download, tmp_path, capsys, monkeypatch, no_server):
    (tmp_path / "x.ecsv").write_text("already there")

    def not_called(*args, **kwargs):
        raise AssertionError("the download was read although the output is refused")

    monkeypatch.setattr(astroquery_fink, "read_data_transfer", not_called)
    code = main(["read-transfer", str(download), "--kind", "fp", "-o", str(tmp_path / "x.ecsv")])
    assert_clean_failure(code, capsys.readouterr(), "exists; use --overwrite")


# --- what the command passes to the reader, and what it says -------------------------------------

@pytest.fixture
def recording_reader(monkeypatch, download):
    """read_data_transfer replaced by one that records its arguments and returns a small table."""
    calls = []

    def reader(path, kind="lightcurve", columns=None, **options):
        calls.append({"path": str(path), "kind": kind, "columns": columns, **options})
        return read_data_transfer(download, kind="fp", columns=["r:psfFlux"])[:3]

    monkeypatch.setattr(astroquery_fink, "read_data_transfer", reader)
    return calls


def test_light_curve_options_passed_only_when_given(recording_reader, download, capsys, no_server):
    assert main(["read-transfer", str(download), "-f", "csv", "-q"]) == EXIT_OK
    assert recording_reader[-1] == {"path": str(download), "kind": "lightcurve", "columns": None}
    assert main(["read-transfer", str(download), "--flux", "science", "--limit-sigma", "3", "--keep-withdrawn",
                 "--min-reliability", "0.25", "--columns", "r:visit,r:snr", "-f", "csv", "-q"]) == EXIT_OK
    assert recording_reader[-1] == {"path": str(download), "kind": "lightcurve", "columns": ["r:visit", "r:snr"],
                                    "flux": "science", "limit_sigma": 3.0, "keep_withdrawn": True,
                                    "min_reliability": 0.25}
    capsys.readouterr()


def test_screen_view_with_a_time_column(monkeypatch, download, capsys, no_server):
    """A light curve's time is an astropy Time, which the screen view measures as any other column."""
    table = read_data_transfer(download, kind="fp", columns=["r:midpointMjdTai", "r:psfFlux"])
    table.add_column(Time(table["r:midpointMjdTai"], format="mjd", scale="tai"), index=1, name="time")
    monkeypatch.setattr(astroquery_fink, "read_data_transfer", lambda *args, **kwargs: table)
    capsys.readouterr()  # the reader's own log (astropy prints INFO on stdout)
    assert main(["read-transfer", str(download), "--max-lines", "8", "--max-width", "100"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[:2] == ["r:diaObjectId", "time"]
    assert lines[-1] == f"{len(table):,} rows"  # every column fits 100 characters


def test_note_of_what_was_read(download, capsys, no_server):
    table = read_data_transfer(download, kind="fp")
    capsys.readouterr()
    assert main(["read-transfer", str(download), "--kind", "fp", "-f", "csv"]) == EXIT_OK
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 1 and notes[0].startswith("fink-query: note: "), notes
    # the counts the reader gives in the table's meta, and the rows
    for count in (f"{table.meta['alerts']} alerts", f"{table.meta['files']} files", f"{len(table)} "):
        assert count in notes[0], count
    assert main(["read-transfer", str(download), "--kind", "fp", "-f", "csv", "-q"]) == EXIT_OK
    assert capsys.readouterr().err == ""


# --- help ---------------------------------------------------------------------------------------

def test_help_lists_the_kinds_and_options(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["read-transfer", "--help"]) == EXIT_OK
    text = capsys.readouterr().out
    kind_help = text.split("\n  --kind KIND", 1)[1].split("\n  --columns", 1)[0]  # its help, not the usage
    assert [kind for kind in KINDS if kind not in kind_help] == []
    for option in ("FOLDER", "--columns A,B,C", "--flux FLUX", "--limit-sigma N", "--keep-withdrawn",
                   "--min-reliability R"):
        assert option in text, option
    assert "--replica" not in text and "--server" not in text
    assert main(["--help"]) == EXIT_OK
    assert "read-transfer" in capsys.readouterr().out


# --- kinds of the reader's next version -----------------------------------------------------------

@pytest.mark.parametrize("kind", ["lightcurve", "objects", "alerts"])
def test_other_kinds_to_ecsv(download, tmp_path, kind, no_server):
    output = tmp_path / f"{kind}.ecsv"
    assert main(["read-transfer", str(download), "--kind", kind, "-o", str(output), "-q"]) == EXIT_OK
    got = Table.read(output, format="ascii.ecsv")
    assert_same_table(got, read_data_transfer(download, kind=kind))
    assert_exact_ids(got)


def test_lightcurve_is_the_default_kind_to_parquet(download, tmp_path, no_server):
    output = tmp_path / "lc.parquet"
    assert main(["read-transfer", str(download), "-o", str(output), "-q"]) == EXIT_OK
    got = Table.read(output, format="parquet")
    assert_same_table(got, read_data_transfer(download, kind="lightcurve"))
    assert_exact_ids(got)
    assert got["mag"].unit == u.ABmag


def test_lightcurve_options_reach_the_reader(download, tmp_path, no_server):
    output = tmp_path / "lc.ecsv"
    assert main(["read-transfer", str(download), "--flux", "science", "--limit-sigma", "3", "--keep-withdrawn",
                 "-o", str(output), "-q"]) == EXIT_OK
    want = read_data_transfer(download, kind="lightcurve", flux="science", limit_sigma=3, keep_withdrawn=True)
    got = Table.read(output, format="ascii.ecsv")
    assert_same_table(got, want)
    assert got.meta["flux"] == "science" and got.meta["limit_sigma"] == 3
