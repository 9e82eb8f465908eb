"""Tests of the packaged column map (astroquery_fink/data/columns.json) and its loader."""

import dataclasses
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest

from astroquery_fink import columns
from astroquery_fink.columns import ColumnInfo, column_info, endpoint_columns, numpy_dtype, schema_columns

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO.parent / "shared" / "lsst-schemas"
GENERATOR = REPO / "tools" / "generate_columns.py"
LSST_RECORDS = ("diaSource", "diaObject", "diaForcedSource", "ssSource")

R_FAMILY = "LSST original fields (r:)"
F_FAMILY = "Fink science module outputs (f:)"
B_FAMILY = "LSST original cutouts (b:)"

# Float/double LSST fields that are dimensionless on purpose. A new float field that has no
# unit in the map fails test_lsst_floats_have_unit_or_are_declared_unitless until it is
# given a unit (tools/columns_extra.toml) or added here.
UNITLESS_FLOATS = {
    "diaSource": {"snr", "psfLnL", "psfChi2", "trailChi2", "dipoleChi2", "extendedness", "reliability"},
    "diaObject": set(),
    "diaForcedSource": set(),
    "ssSource": set(),
}


def raw_map():
    text = resources.files("astroquery_fink").joinpath("data", "columns.json").read_text(encoding="utf-8")
    return json.loads(text)


def all_infos():
    """Every ColumnInfo reachable through the public API (data columns and schema entries)."""
    for endpoint in columns.ENDPOINTS:
        yield from endpoint_columns(endpoint).values()
        for names in schema_columns(endpoint).values():
            yield from names.values()


# -- units ----------------------------------------------------------------------------------


def test_every_unit_in_the_map_parses_strictly():
    for group, entries in raw_map()["groups"].items():
        for name, entry in entries.items():
            text = entry["unit"]
            if not text:
                continue
            unit = u.Unit(text, parse_strict="raise")
            assert not isinstance(unit, u.UnrecognizedUnit), (group, name, text)
            assert unit.to_string() == text, f"{group} {name}: {text!r} is not the canonical spelling"


def test_loader_gives_astropy_units_or_none():
    for info in all_infos():
        assert info.unit is None or isinstance(info.unit, u.UnitBase), info
        assert not isinstance(info.unit, u.UnrecognizedUnit), info


@pytest.mark.parametrize(
    "name, unit",
    [
        ("r:trailLengthErr", u.arcsec),
        ("r:trailAngleErr", u.deg),
        ("r:trailLength", u.arcsec),
        ("r:ixx", u.arcsec**2),
        ("r:iyy", u.arcsec**2),
        ("r:ixy", u.arcsec**2),
        ("r:ixxPSF", u.arcsec**2),
        ("r:iyyPSF", u.arcsec**2),
        ("r:ixyPSF", u.arcsec**2),
        ("r:x", u.pix),
        ("r:ra_dec_Cov", u.deg**2),
    ],
)
def test_diasource_unit_corrections(name, unit):
    for endpoint in ("sources", "tags", "sso", "conesearch"):
        assert column_info(endpoint, name).unit == unit, endpoint


@pytest.mark.parametrize(
    "name, unit",
    [
        ("r:helioRange", u.AU),
        ("r:topoRange", u.AU),
        ("r:helio_x", u.AU),
        ("r:ephVmag", u.mag),
        ("r:topoRangeRate", u.km / u.s),
        ("r:helio_vtot", u.km / u.s),
        ("r:ephRate", u.deg / u.day),
        ("r:ephOffset", u.arcsec),
        ("r:ephOffsetRa", u.arcsec),
        ("r:phaseAngle", u.deg),
        ("r:eclLambda", u.deg),
        ("r:ephRa", u.deg),
    ],
)
def test_sssource_units_from_apdb(name, unit):
    info = column_info("sso", name)
    assert info.group == "ssSource"
    assert info.unit == unit


def test_every_mjdtai_column_is_in_days():
    seen = set()
    for info in all_infos():
        if "MjdTai" in info.name:
            assert info.unit == u.day, info
            assert info.type == "double", info
            seen.add(info.name)
    assert {
        "r:midpointMjdTai",
        "r:timeProcessedMjdTai",
        "r:timeWithdrawnMjdTai",
        "r:validityStartMjdTai",
        "r:firstDiaSourceMjdTai",
        "r:lastDiaSourceMjdTai",
        "f:firstDiaSourceMjdTaiFink",
        "v:startgwMjdTai",
    } <= seen


def test_fink_units():
    assert column_info("sources", "f:xm_gaiadr3_Plx").unit == u.mas
    assert column_info("sources", "f:xm_gaiadr3_e_Plx").unit == u.mas
    assert column_info("sources", "f:xm_mangrove_lum_dist").unit == u.Mpc
    assert column_info("conesearch", "v:separation_degree").unit == u.deg
    for name in ("f:clf_cats_score", "f:xm_tns_redshift", "f:xm_legacydr8_zphot", "f:clf_cats_class"):
        assert column_info("sources", name).unit is None, name


def test_flux_and_position_units():
    for endpoint in ("fp", "sources", "tags", "sso", "conesearch", "skymap"):
        assert column_info(endpoint, "r:psfFlux").unit == u.nJy, endpoint
        assert column_info(endpoint, "r:psfFluxErr").unit == u.nJy, endpoint
    for endpoint in ("fp", "sources", "objects", "tags", "sso", "conesearch", "skymap"):
        for name in ("r:ra", "r:dec"):
            assert column_info(endpoint, name).unit == u.deg, (endpoint, name)
    assert column_info("objects", "r:g_psfFluxMaxSlope").unit == u.nJy / u.day


def test_unitless_by_nature():
    for name in ("r:diaSourceId", "r:band", "r:snr", "r:extendedness", "r:reliability", "r:psfChi2", "r:psfNdata"):
        assert column_info("sources", name).unit is None, name
    assert column_info("objects", "r:nDiaSources").unit is None


def test_lsst_floats_have_unit_or_are_declared_unitless():
    groups = raw_map()["groups"]
    for record in LSST_RECORDS:
        undecided = {
            name[2:]
            for name, entry in groups[record].items()
            if entry["type"] in ("float", "double") and not entry["unit"]
        }
        assert undecided == UNITLESS_FLOATS[record], record


def test_ucds_come_through():
    assert column_info("sources", "r:ra").ucd == "pos.eq.ra"
    assert column_info("sso", "r:ephVmag").ucd == "phot.mag;em.opt.V"
    assert column_info("sources", "r:observation_reason").ucd == ""


# -- endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, n_columns, families",
    [
        ("sources", 131, {R_FAMILY: 100, F_FAMILY: 32}),
        ("tags", 131, {R_FAMILY: 100, F_FAMILY: 32}),
        ("objects", 91, {R_FAMILY: 85, F_FAMILY: 6}),
        ("fp", 15, {R_FAMILY: 14}),
        ("conesearch", 215, {R_FAMILY: 176, F_FAMILY: 38}),
        ("skymap", 215, {}),
        ("sso", 140, {R_FAMILY: 137, F_FAMILY: 1}),
        ("statistics", 22, {F_FAMILY: 22}),
        ("cutouts", 3, {B_FAMILY: 3}),
    ],
)
def test_endpoint_counts(endpoint, n_columns, families):
    assert len(endpoint_columns(endpoint)) == n_columns
    schema = schema_columns(endpoint)
    assert {family: len(names) for family, names in schema.items()} == families


def test_endpoints_listed():
    assert set(columns.ENDPOINTS) == {
        "sources",
        "objects",
        "fp",
        "conesearch",
        "tags",
        "sso",
        "statistics",
        "skymap",
        "cutouts",
        "sso_ephemerides",
        "resolver_tns",
        "resolver_tns_reverse",
        "resolver_simbad",
        "resolver_simbad_reverse",
        "resolver_ssodnet",
        "resolver_ssodnet_reverse",
    }


def test_fp_columns_exactly():
    assert sorted(endpoint_columns("fp")) == [
        "r:band", "r:dec", "r:detector", "r:diaForcedSourceId", "r:diaObjectId", "r:midpointMjdTai",
        "r:psfFlux", "r:psfFluxErr", "r:ra", "r:salt", "r:scienceFlux", "r:scienceFluxErr",
        "r:timeProcessedMjdTai", "r:timeWithdrawnMjdTai", "r:visit",
    ]  # fmt: skip


def test_sources_composition():
    cols = endpoint_columns("sources")
    groups = {}
    for info in cols.values():
        groups[info.group] = groups.get(info.group, 0) + 1
    assert groups == {"alert_root": 2, "storage": 1, "diaSource": 98, "fink_source": 30}
    assert cols["r:diaSourceId"].group == "diaSource"
    assert "f:xm_spicy_SPICY" not in cols and "f:clf_slsn_score" not in cols
    assert endpoint_columns("tags") == cols
    fink = schema_columns("sources")[F_FAMILY]
    assert "f:xm_spicy_SPICY" in fink and "f:clf_slsn_score" in fink
    assert schema_columns("sources")[R_FAMILY]["r:diaSourceId"].group == "alert_root"


def test_objects_composition():
    cols = endpoint_columns("objects")
    assert "r:diaSourceId" not in cols
    assert "r:diaSourceId" in schema_columns("objects")[R_FAMILY]
    assert {n for n, i in cols.items() if i.group == "fink_object"} == {
        "f:is_cataloged", "f:is_sso", "f:is_first", "f:main_label_classifier", "f:main_label_crossmatch",
        "f:firstDiaSourceMjdTaiFink",
    }  # fmt: skip


def test_conesearch_and_skymap_composition():
    cone = endpoint_columns("conesearch")
    for name in ("r:diaObjectId", "r:ra", "r:raErr", "r:dec", "r:decErr", "r:ra_dec_Cov"):
        assert cone[name].group == "diaSource", name
    assert cone["r:u_psfFluxMean"].group == "diaObject"
    assert cone["f:pixel1024"].type == "long"
    assert cone["v:separation_degree"].group == "computed"
    sky = endpoint_columns("skymap")
    assert set(sky) == set(cone) - {"v:separation_degree"} | {"v:startgwMjdTai"}
    assert schema_columns("skymap") == {}


def test_sso_composition():
    cols = endpoint_columns("sso")
    assert cols["r:diaSourceId"].group == "diaSource"
    assert cols["r:ssObjectId"].group == "diaSource"
    assert cols["r:packed_primary_provisional_designation"].group == "storage"
    assert cols["f:sso_name"].type == "string"
    assert sum(info.group == "ssSource" for info in cols.values()) == 37
    schema = schema_columns("sso")
    assert "r:salt" not in schema[R_FAMILY]
    assert "r:packed_primary_provisional_designation" not in schema[R_FAMILY]
    assert list(schema[F_FAMILY]) == ["f:sso_name"]


def test_statistics_columns():
    cols = endpoint_columns("statistics")
    assert "f:night" in cols
    assert {name for name, info in cols.items() if info.type == "string"} == {
        "f:fink_broker_version",
        "f:fink_science_version",
        "f:lsst_schema_version",
    }
    assert all(info.unit is None for info in cols.values())


def test_cutouts_columns():
    cols = endpoint_columns("cutouts")
    assert sorted(cols) == ["b:cutoutDifference", "b:cutoutScience", "b:cutoutTemplate"]
    assert all(info.type == "bytes" and info.nullable for info in cols.values())
    assert numpy_dtype("bytes") == np.dtype(object)


def test_is_sso_depends_on_endpoint():
    assert column_info("objects", "f:is_sso").type == "boolean"
    assert column_info("conesearch", "f:is_sso").type == "boolean"
    assert column_info("statistics", "f:is_sso").type == "int"
    assert numpy_dtype(column_info("objects", "f:is_sso").type) == np.dtype(bool)
    assert numpy_dtype(column_info("statistics", "f:is_sso").type) == np.dtype(np.int64)


def test_types_where_server_declarations_are_wrong():
    info = column_info("objects", "f:firstDiaSourceMjdTaiFink")
    assert (info.type, info.unit) == ("double", u.day)
    assert raw_map()["groups"]["fink_object"]["f:firstDiaSourceMjdTaiFink"]["avro_type"] == "string"
    assert column_info("sources", "f:xm_gaiadr3_VarFlag").type == "string"
    assert column_info("sources", "f:xm_mangrove_lum_dist").type == "float"


def test_nullable_and_types_follow_avro():
    assert column_info("sources", "r:psfFlux").nullable is True
    assert column_info("sources", "r:midpointMjdTai").nullable is False
    assert column_info("sources", "r:diaSourceId").type == "long"
    assert column_info("sources", "r:band").type == "string"
    assert column_info("sources", "r:isDipole").type == "boolean"
    for info in all_infos():
        assert info.type in ("long", "int", "float", "double", "string", "boolean", "bytes"), info
        numpy_dtype(info.type)


# -- resolver answers and sso ephemerides: columns that /api/v1/schema does not describe ---------

MIRIADE = {
    "Date", "RA", "DEC", "Dobs", "Dhelio", "VMag", "SDSS:g", "SDSS:r", "Phase", "Elong.", "dRAcosDEC", "dDEC", "RV",
}  # fmt: skip


@pytest.mark.parametrize(
    "key, n_columns",
    [
        ("sso_ephemerides", 155),
        ("resolver_tns", 8),
        ("resolver_tns_reverse", 4),
        ("resolver_simbad", 14),
        ("resolver_simbad_reverse", 4),
        ("resolver_ssodnet", 4),
        ("resolver_ssodnet_reverse", 4),
    ],
)
def test_answer_keys_counts_and_no_schema(key, n_columns):
    assert len(endpoint_columns(key)) == n_columns
    assert schema_columns(key) == {}


def _types(key):
    return {name: info.type for name, info in endpoint_columns(key).items()}


def test_resolver_tns_columns():
    assert _types("resolver_tns") == {
        "f:declination": "double", "f:discoverydate": "string", "f:fullname": "string",
        "f:internalname": "string", "f:ra": "double", "f:redshift": "double", "f:salt": "string",
        "f:type": "string",
    }  # fmt: skip
    cols = endpoint_columns("resolver_tns")
    assert {info.group for info in cols.values()} == {"tns"}
    assert (cols["f:ra"].unit, cols["f:ra"].ucd) == (u.deg, "pos.eq.ra")
    assert (cols["f:declination"].unit, cols["f:declination"].ucd) == (u.deg, "pos.eq.dec")
    assert cols["f:redshift"].unit is None
    assert all(cols[name].unit is None for name in cols if name not in ("f:ra", "f:declination"))
    # TNS names are not diaObject positions: f:ra here is not r:ra
    assert column_info("resolver_tns", "r:ra") is None


def assert_borrowed_columns(key, groups, endpoint):
    """The columns of ``key`` are exactly ``groups`` (name to group), each described as ``endpoint`` does."""
    cols = endpoint_columns(key)
    assert {name: info.group for name, info in cols.items()} == groups
    for name, info in cols.items():
        assert info == column_info(endpoint, name), name
    return cols


def test_resolver_tns_reverse_columns():
    assert_borrowed_columns("resolver_tns_reverse", {
        "r:diaObjectId": "diaSource",
        "f:xm_tns_fullname": "fink_source",
        "f:xm_tns_type": "fink_source",
        "f:xm_tns_redshift": "fink_source",
    }, "sources")


def test_resolver_simbad_columns():
    assert _types("resolver_simbad") == {
        "name": "string", "oid": "long", "oname": "string", "otype": "string", "jpos": "string",
        "jradeg": "double", "jdedeg": "double", "refPos": "string", "errRAmas": "double",
        "errDEmas": "double", "MType": "string", "spType": "string", "z": "double", "nrefs": "long",
    }  # fmt: skip
    cols = endpoint_columns("resolver_simbad")
    assert {info.group for info in cols.values()} == {"sesame"}
    assert all(":" not in name for name in cols)  # Sesame element names carry no family prefix
    assert (cols["jradeg"].unit, cols["jradeg"].ucd) == (u.deg, "pos.eq.ra")
    assert (cols["jdedeg"].unit, cols["jdedeg"].ucd) == (u.deg, "pos.eq.dec")
    assert cols["errRAmas"].unit == u.mas and cols["errDEmas"].unit == u.mas
    units = {name for name, info in cols.items() if info.unit is not None}
    assert units == {"jradeg", "jdedeg", "errRAmas", "errDEmas"}  # z and nrefs are pure numbers


def test_resolver_simbad_reverse_columns():
    cols = assert_borrowed_columns("resolver_simbad_reverse", {
        "r:diaObjectId": "diaObject",
        "f:main_label_crossmatch": "fink_object",
        "r:ra": "diaObject",
        "r:dec": "diaObject",
    }, "objects")
    assert cols["r:ra"].unit == u.deg and cols["r:dec"].unit == u.deg


def test_resolver_ssodnet_columns():
    forward = endpoint_columns("resolver_ssodnet")
    assert set(forward) == {
        "r:packed_primary_provisional_designation", "r:ssObjectId", "r:diaSourceId", "f:sso_name",
    }  # fmt: skip
    for name, info in forward.items():
        assert info == column_info("sso", name), name
    reverse = endpoint_columns("resolver_ssodnet_reverse")
    assert _types("resolver_ssodnet_reverse") == {
        "r:diaSourceId": "long",
        "r:packed_primary_provisional_designation": "string",
        "r:ssObjectId": "long",
        "r:unpacked_primary_provisional_designation": "string",
    }
    unpacked = reverse["r:unpacked_primary_provisional_designation"]
    assert (unpacked.group, unpacked.unit, unpacked.nullable) == ("storage", None, False)
    assert "r:unpacked_primary_provisional_designation" not in endpoint_columns("sso")


@pytest.mark.parametrize(
    "key, name, type_",
    [
        ("resolver_tns", "f:ra", "double"),
        ("resolver_tns", "f:declination", "double"),
        ("resolver_tns", "f:redshift", "double"),
        ("resolver_tns_reverse", "r:diaObjectId", "long"),
        ("resolver_tns_reverse", "f:xm_tns_redshift", "float"),
        ("resolver_simbad_reverse", "r:diaObjectId", "long"),
        ("resolver_simbad_reverse", "r:ra", "double"),
        ("resolver_simbad_reverse", "r:dec", "double"),
        ("resolver_ssodnet_reverse", "r:diaSourceId", "long"),
        ("resolver_ssodnet_reverse", "r:ssObjectId", "long"),
    ],
)
def test_resolver_text_values_are_typed_as_numbers(key, name, type_):
    # the resolver sends these as JSON strings (no type restoration on its routes): the map gives
    # the number type the client converts them to
    info = column_info(key, name)
    assert info.type == type_
    assert numpy_dtype(info.type).kind in "if"


def test_sso_ephemerides_columns():
    cols = endpoint_columns("sso_ephemerides")
    sso = endpoint_columns("sso")
    assert {name: info for name, info in cols.items() if name in sso} == sso
    extra = {name: info for name, info in cols.items() if name not in sso}
    assert set(extra) == MIRIADE | {"index", "i:magpsf_red"}
    assert {extra[name].group for name in MIRIADE} == {"miriade"}
    assert extra["index"].group == extra["i:magpsf_red"].group == "computed"
    assert extra["index"].type == "long"  # position in the Miriade frame, not the HBase row key
    assert all(info.type == "double" for name, info in extra.items() if name != "index")
    assert "SDSS:u" not in cols and "SDSS:i" not in cols  # Fink asks Miriade for g and r only


@pytest.mark.parametrize(
    "name, unit",
    [
        ("Dobs", u.AU),
        ("Dhelio", u.AU),
        ("Phase", u.deg),
        ("Elong.", u.deg),
        ("RA", u.deg),
        ("DEC", u.deg),
        ("VMag", u.mag),
        ("SDSS:g", u.mag),
        ("SDSS:r", u.mag),
        ("dRAcosDEC", u.arcsec / u.min),
        ("dDEC", u.arcsec / u.min),
        ("RV", u.km / u.s),
        ("Date", u.day),
        ("i:magpsf_red", u.mag),
        ("index", None),
    ],
)
def test_sso_ephemerides_units(name, unit):
    assert column_info("sso_ephemerides", name).unit == unit


def test_ephemeris_columns_only_with_ephemerides():
    for name in MIRIADE | {"index", "i:magpsf_red"}:
        assert column_info("sso", name) is None, name


# -- loader API -----------------------------------------------------------------------------


def test_unknown_endpoint_raises_valueerror_listing_valid_ones():
    for call in (endpoint_columns, schema_columns, lambda e: column_info(e, "r:ra")):
        with pytest.raises(ValueError, match="valid endpoints are: .*sources"):
            call("resolver")


def test_endpoint_path_form_accepted():
    assert endpoint_columns("/api/v1/fp") == endpoint_columns("fp")


def test_unknown_column_gives_none():
    assert column_info("sources", "r:nope") is None
    assert column_info("fp", "f:xm_simbad_otype") is None


def test_column_info_is_frozen_and_results_are_copies():
    info = column_info("fp", "r:psfFlux")
    assert isinstance(info, ColumnInfo)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.unit = None
    cols = endpoint_columns("fp")
    cols.clear()
    assert len(endpoint_columns("fp")) == 15


def test_numpy_dtype():
    assert numpy_dtype("long") == np.dtype(np.int64)
    assert numpy_dtype("int") == np.dtype(np.int64)
    assert numpy_dtype("float") == np.dtype(np.float64)
    assert numpy_dtype("double") == np.dtype(np.float64)
    assert numpy_dtype("boolean") == np.dtype(bool)
    assert numpy_dtype("string") == np.dtype("U")
    with pytest.raises(ValueError, match="unknown column type"):
        numpy_dtype("str")


def test_type_kind_and_column_kinds():
    assert [columns.type_kind(name) for name in ("long", "int", "float", "double", "boolean", "string", "bytes")] == [
        "int", "int", "float", "float", "bool", "str", None]
    with pytest.raises(ValueError, match="unknown column type"):
        columns.type_kind("str")
    kinds = columns.column_kinds("fp")
    assert (kinds["r:diaObjectId"], kinds["r:psfFlux"], kinds["r:band"]) == ("int", "float", "str")
    assert columns.column_kinds("objects")["f:is_sso"] == "bool"
    assert columns.column_kinds("cutouts") == {}  # bytes have no kind: decoded as they come
    kinds.clear()
    assert len(columns.column_kinds("fp")) == 15
    with pytest.raises(ValueError, match="unknown endpoint"):
        columns.column_kinds("nope")


# One column of each kind, on an endpoint that has it.
KIND_EXAMPLES = {"int": ("fp", "r:diaObjectId"), "float": ("fp", "r:psfFlux"), "bool": ("sources", "r:isDipole"),
                 "str": ("fp", "r:band")}


@pytest.mark.parametrize("kind", sorted(columns.KIND_DTYPES))
def test_one_dtype_and_one_missing_form_per_kind(kind):
    """decode, annotate and lightcurve give a column of one kind the same dtype and the same missing form."""
    from astropy.table import MaskedColumn, Table

    from astroquery_fink import lightcurve
    from astroquery_fink.annotate import complete_columns
    from astroquery_fink.decode import decode_table

    endpoint, name = KIND_EXAMPLES[kind]
    assert columns.column_kinds(endpoint)[name] == kind
    dtype = columns.KIND_DTYPES[kind]
    assert all(numpy_dtype(type_name) == dtype for type_name in ("long", "int", "float", "double", "boolean", "string")
               if columns.type_kind(type_name) == kind)
    missing = columns.missing_column(name, kind, 2)
    assert isinstance(missing, MaskedColumn) and missing.mask.all()
    assert missing.dtype == np.zeros(0, dtype).dtype  # str: the narrowest unicode, <U1
    underneath = np.ma.getdata(missing)  # what unmasking would show: NaN for floats, else zeros
    assert np.isnan(underneath).all() if kind == "float" else not underneath.any()
    decoded = decode_table(b'[{"x": null}, {"x": null}]', "json", {"x": kind})["x"]
    completed, _ = complete_columns(Table({"y": [1, 2]}), endpoint, [name])
    absent = lightcurve._absent_column(endpoint, name, 2)
    for column in (decoded, completed[name], absent):
        assert column.dtype == missing.dtype and column.mask.all()
        assert np.ma.getdata(column).tobytes() == underneath.tobytes()


# -- descriptions ---------------------------------------------------------------------------


def test_every_column_has_a_description():
    for group, entries in raw_map()["groups"].items():
        for name, entry in entries.items():
            assert entry["description"].strip(), (group, name)


def _avsc_fields(record):
    version = (SCHEMAS / "alert_packet" / "latest.txt").read_text().strip()
    major, minor = version.split(".")
    path = SCHEMAS / "alert_packet" / version / f"lsst.v{major}_{minor}.{record}.avsc"
    return json.loads(path.read_text())["fields"]


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"LSST schema copies not found at {SCHEMAS}")
def test_descriptions_are_not_the_schema_docs():
    def norm(text):
        text = re.sub(r"\[[^\[\]]+\]\.?\s*$", "", text)
        return " ".join(text.lower().split()).rstrip(".")

    groups = raw_map()["groups"]
    pairs = [(record, record) for record in LSST_RECORDS] + [("alert_root", "alert"), ("cutouts", "alert")]
    checked = 0
    for group, record in pairs:
        prefix = "b:" if group == "cutouts" else "r:"
        for field in _avsc_fields(record):
            entry = groups[group].get(prefix + field["name"])
            if entry is None or not field.get("doc"):
                continue
            assert norm(entry["description"]) != norm(field["doc"]), (group, field["name"])
            checked += 1
    assert checked > 230


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"LSST schema copies not found at {SCHEMAS}")
def test_group_fields_match_the_avsc():
    groups = raw_map()["groups"]
    for record in LSST_RECORDS:
        fields = _avsc_fields(record)
        assert list(groups[record]) == sorted("r:" + f["name"] for f in fields)
        for field in fields:
            assert groups[record]["r:" + field["name"]]["avro_type"] == field["type"]


# -- generator ------------------------------------------------------------------------------


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"LSST schema copies not found at {SCHEMAS}")
def test_generator_reproduces_the_packaged_file(tmp_path):
    pytest.importorskip("yaml", reason="the generator needs PyYAML")
    output = tmp_path / "columns.json"
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--schemas", str(SCHEMAS), "--output", str(output), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    packaged = resources.files("astroquery_fink").joinpath("data", "columns.json").read_bytes()
    assert output.read_bytes() == packaged


@pytest.mark.skipif(not SCHEMAS.is_dir(), reason=f"LSST schema copies not found at {SCHEMAS}")
def test_generator_refuses_an_undecided_float(tmp_path):
    pytest.importorskip("yaml", reason="the generator needs PyYAML")
    extra = (REPO / "tools" / "columns_extra.toml").read_text(encoding="utf-8")
    extra = extra.replace('"snr", ', "", 1)
    (tmp_path / "extra.toml").write_text(extra, encoding="utf-8")
    output = tmp_path / "columns.json"
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--schemas", str(SCHEMAS), "--output", str(output),
         "--extra", str(tmp_path / "extra.toml"), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "diaSource.snr" in result.stderr
    assert not output.exists()


# -- cross-check against the replica's own field types ------------------------------------------
#
# The replica (astroquery_fink.testing) builds its tables and schema answers from the LSST schema
# files and its own list of Fink fields, never from this map: its types are the oracle here.

_KINDS = {"long": "int", "int": "int", "integer": "int", "float": "float", "double": "float",
          "boolean": "bool", "string": "str", "str": "str", "bytes": "bytes"}
# client endpoint -> replica table read by its route
_STORED = {"sources": "sources", "tags": "tags", "objects": "objects", "fp": "fp", "conesearch": "conesearch",
           "skymap": "conesearch", "sso": "sso"}
# endpoint -> schema answer the statistics counters and the schema-only fields are compared with
_ANSWERS = {"sources": "/api/v1/sources", "tags": "/api/v1/tags", "objects": "/api/v1/objects", "fp": "/api/v1/fp",
            "conesearch": "/api/v1/conesearch", "sso": "/api/v1/sso", "cutouts": "/api/v1/cutouts",
            "statistics": "/api/v1/statistics"}


def _declared_kind(avro_type):
    if isinstance(avro_type, list):
        (avro_type,) = [member for member in avro_type if member != "null"]
    return _KINDS[avro_type]


def _replica_kinds(endpoint):
    """Kind of every column the replica knows for an endpoint: stored type first, else the declared one."""
    from astroquery_fink.testing import fields

    kinds = {}
    answer = fields.schema_answer(_ANSWERS[endpoint]) if endpoint in _ANSWERS else {}
    for label, entries in answer.items():
        prefix = re.search(r"\((\w+):\)", label).group(1)
        kinds.update({f"{prefix}:{name}": _declared_kind(info["type"]) for name, info in entries.items()})
    if endpoint in _STORED:
        # what the broker stores wins over what the schema declares (f:firstDiaSourceMjdTaiFink, ...)
        kinds.update({name: _KINDS[cell] for name, cell in fields.table_schema(_STORED[endpoint]).items()})
    return kinds


@pytest.mark.parametrize(("endpoint", "at_least"), [
    ("sources", 131), ("tags", 131), ("objects", 91), ("fp", 15), ("conesearch", 214), ("skymap", 214),
    ("sso", 139), ("cutouts", 3), ("statistics", 22),
])
def test_types_agree_with_the_replica(endpoint, at_least):
    replica = _replica_kinds(endpoint)
    client = {name: _KINDS[info.type] for name, info in endpoint_columns(endpoint).items()}
    for names in schema_columns(endpoint).values():
        client.update({name: _KINDS[info.type] for name, info in names.items() if name not in client})
    shared = sorted(set(client) & set(replica))
    assert len(shared) >= at_least
    assert {name: (client[name], replica[name]) for name in shared if client[name] != replica[name]} == {}


# -- what columns= may name (issue #11) --------------------------------------------------------


def test_selectable_columns_are_the_stored_ones_and_those_the_schema_lists():
    raw = raw_map()["endpoints"]
    for endpoint in ("sources", "objects", "fp", "conesearch", "tags", "sso", "statistics"):
        computed = {name for name, group in raw[endpoint]["columns"].items() if group in ("computed", "miriade")}
        stored = set(raw[endpoint]["columns"]) - computed
        listed = {name for names in raw[endpoint]["schema"].values() for name in names}
        assert set(columns.selectable_columns(endpoint)) == (stored | listed) - computed, endpoint
    # the schema's columns that the data never holds are selectable (they come back empty)
    assert {"f:clf_slsn_score", "f:xm_spicy_SPICY"} <= set(columns.selectable_columns("sources"))
    assert "r:diaSourceId" in columns.selectable_columns("objects")
    # storage columns are in the data, hence selectable; computed ones are not
    assert "r:salt" in columns.selectable_columns("fp")
    assert "v:separation_degree" not in columns.selectable_columns("conesearch")
    assert "f:sso_name" not in columns.selectable_columns("sso")


def test_computed_columns():
    assert columns.computed_columns("conesearch") == ["v:separation_degree"]
    assert columns.computed_columns("skymap") == ["v:startgwMjdTai"]
    assert columns.computed_columns("fp") == []
    ephemerides = set(columns.computed_columns("sso_ephemerides"))
    assert {"Date", "Phase", "SDSS:g", "index", "i:magpsf_red", "f:sso_name"} <= ephemerides
    assert not any(name.startswith("r:") for name in ephemerides)


def test_endpoints_serving_a_column():
    assert columns.endpoints_serving("r:diaForcedSourceId") == ["fp"]
    assert columns.endpoints_serving("r:nDiaSources") == ["conesearch", "objects", "skymap"]
    assert columns.endpoints_serving("r:snr") == ["conesearch", "skymap", "sources", "sso", "sso_ephemerides", "tags"]
    assert columns.endpoints_serving("r:noSuchField") == []
