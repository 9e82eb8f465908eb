#!/usr/bin/env python
"""Regenerate ``astroquery_fink/data/columns.json``, the column map of the Fink/LSST API.

The map gives, for every column the Fink/LSST REST API can return, its type, astropy unit,
IVOA UCD and a short description, plus the columns of each endpoint's data rows and of its
``/api/v1/schema`` answer. Endpoint keys are route names, plus keys for the answers a route
gives in other modes (``sso_ephemerides``, ``resolver_<name>[_reverse]``). Its inputs are

* the LSST alert schema (``alert_packet/<latest>/*.avsc``): field names, Avro types, and the
  unit written in brackets at the end of each field's doc string;
* the APDB schema (``sdm_schemas/apdb.yaml``): ``fits:tunit``/``ivoa:unit`` and ``ivoa:ucd``;
* ``tools/columns_extra.toml``: the hand-maintained facts (unit corrections and decisions,
  Fink-added and computed columns, and every description, written for this project).

Only derived facts are written out; no schema file and no doc sentence is copied. The run
fails (exit status 1) when a unit does not parse, when a float/double LSST field has no unit
decision, when a field has no description, or when an endpoint's columns do not have the
counts of the API contract. Usage::

    python tools/generate_columns.py [--schemas ../shared/lsst-schemas]
                                     [--output astroquery_fink/data/columns.json]

Requires PyYAML (a tool dependency only; the package never reads YAML).
"""

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

import astropy.units as u
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCHEMAS = REPO.parent / "shared" / "lsst-schemas"
DEFAULT_OUTPUT = REPO / "astroquery_fink" / "data" / "columns.json"
DEFAULT_EXTRA = Path(__file__).resolve().with_name("columns_extra.toml")

RECORDS = ("diaSource", "diaObject", "diaForcedSource", "ssSource")
ROOT_FIELDS = ("diaSourceId", "observation_reason", "target_name")
CUTOUT_FIELDS = ("cutoutDifference", "cutoutScience", "cutoutTemplate")
TYPES = ("long", "int", "float", "double", "string", "boolean", "bytes")
BANDS = "ugrizy"

R_FAMILY = "LSST original fields (r:)"
F_FAMILY = "Fink science module outputs (f:)"
B_FAMILY = "LSST original cutouts (b:)"

# Number of columns of each endpoint's data rows (API contract §1.7, plus the computed
# columns) and of each family of its /api/v1/schema answer (§2.6).
EXPECTED = {
    "sources": (131, {R_FAMILY: 100, F_FAMILY: 32}),
    "tags": (131, {R_FAMILY: 100, F_FAMILY: 32}),
    "objects": (91, {R_FAMILY: 85, F_FAMILY: 6}),
    "fp": (15, {R_FAMILY: 14}),
    "conesearch": (215, {R_FAMILY: 176, F_FAMILY: 38}),
    "skymap": (215, {}),
    "sso": (140, {R_FAMILY: 137, F_FAMILY: 1}),
    "statistics": (22, {F_FAMILY: 22}),
    "cutouts": (3, {B_FAMILY: 3}),
    # /api/v1/sso with withEphem: the sso columns, 13 Miriade columns, index, i:magpsf_red
    # (§1.5, §2.7). The resolver answers (§2.8) have no /api/v1/schema families.
    "sso_ephemerides": (155, {}),
    "resolver_tns": (8, {}),
    "resolver_tns_reverse": (4, {}),
    "resolver_simbad": (14, {}),
    "resolver_simbad_reverse": (4, {}),
    "resolver_ssodnet": (4, {}),
    "resolver_ssodnet_reverse": (4, {}),
}
# Columns of /api/v1/fp rows (§2.3).
FP_COLUMNS = (
    "r:band r:dec r:detector r:diaForcedSourceId r:diaObjectId r:midpointMjdTai r:psfFlux r:psfFluxErr r:ra "
    "r:salt r:scienceFlux r:scienceFluxErr r:timeProcessedMjdTai r:timeWithdrawnMjdTai r:visit"
).split()
# diaObject names that conesearch rows take from diaSource instead (§1.7).
CONESEARCH_SHARED = {"diaObjectId", "ra", "raErr", "dec", "decErr", "ra_dec_Cov"}
# ssSource names that sso rows take from diaSource instead (§1.7).
SSO_SHARED = {"diaSourceId", "ssObjectId"}
# Columns the server adds to sso rows with withEphem besides the Miriade ones (§2.7).
EPHEMERIS_COMPUTED = ("index", "i:magpsf_red")
# /api/v1/resolver answers made of columns described elsewhere (§1.7, §2.8), as (group, name).
RESOLVER_REUSED = {
    # rubin.diaSource_static scan of the object's alerts
    "resolver_tns_reverse": (
        ("diaSource", "r:diaObjectId"),
        ("fink_source", "f:xm_tns_fullname"),
        ("fink_source", "f:xm_tns_type"),
        ("fink_source", "f:xm_tns_redshift"),
    ),
    # rubin.diaObject row(s)
    "resolver_simbad_reverse": (
        ("diaObject", "r:diaObjectId"),
        ("fink_object", "f:main_label_crossmatch"),
        ("diaObject", "r:ra"),
        ("diaObject", "r:dec"),
    ),
    # the server's own /api/v1/sso answer, re-read
    "resolver_ssodnet": (
        ("storage", "r:packed_primary_provisional_designation"),
        ("diaSource", "r:ssObjectId"),
        ("diaSource", "r:diaSourceId"),
        ("computed", "f:sso_name"),
    ),
    # rubin.sso_resolver
    "resolver_ssodnet_reverse": (
        ("diaSource", "r:diaSourceId"),
        ("storage", "r:packed_primary_provisional_designation"),
        ("diaSource", "r:ssObjectId"),
        ("storage", "r:unpacked_primary_provisional_designation"),
    ),
}

BRACKET_UNIT = re.compile(r"\[([^\[\]]+)\]\.?\s*$")
# Descriptions closer than this to the schema doc (difflib ratio) are rejected as paraphrases.
MAX_DOC_SIMILARITY = 0.7


class Generator:
    """Build the column map, collecting every problem before failing."""

    def __init__(self, schemas, extra):
        self.schemas = Path(schemas)
        self.extra = extra
        self.problems = []
        self.notes = {"disagreement": [], "correction": [], "apdb only": [], "MjdTai rule": [], "not in apdb": []}
        self.used_descriptions = set()
        self.max_similarity = (0.0, "")
        self.version = (self.schemas / "alert_packet" / "latest.txt").read_text().strip()
        self.apdb = self._load_apdb()

    # -- inputs -----------------------------------------------------------------------------

    def _load_apdb(self):
        data = yaml.safe_load((self.schemas / "sdm_schemas" / "apdb.yaml").read_text())
        return {table["name"]: {col["name"]: col for col in table["columns"]} for table in data["tables"]}

    def avsc(self, record):
        major, minor = self.version.split(".")
        path = self.schemas / "alert_packet" / self.version / f"lsst.v{major}_{minor}.{record}.avsc"
        return json.loads(path.read_text())["fields"]

    # -- helpers ----------------------------------------------------------------------------

    def canonical_unit(self, text, where):
        """Return the canonical astropy spelling of ``text`` ('' for no unit)."""
        if not text:
            return ""
        try:
            unit = u.Unit(text, parse_strict="raise")
        except ValueError as exc:
            self.problems.append(f"{where}: unit {text!r} does not parse ({exc})")
            return text
        if isinstance(unit, u.UnrecognizedUnit):
            self.problems.append(f"{where}: unit {text!r} is not recognised by astropy")
        return unit.to_string()

    @staticmethod
    def same_unit(a, b):
        try:
            return u.Unit(a, parse_strict="raise") == u.Unit(b, parse_strict="raise")
        except ValueError:
            return a == b

    def split_avro(self, avro, where):
        """Return (primitive type, nullable) of an Avro field type."""
        nullable = isinstance(avro, list) and "null" in avro
        branches = [b for b in avro if b != "null"] if isinstance(avro, list) else [avro]
        if len(branches) != 1:
            self.problems.append(f"{where}: unsupported Avro union {avro!r}")
            return "string", nullable
        prim = branches[0]["type"] if isinstance(branches[0], dict) else branches[0]
        if prim not in TYPES:
            self.problems.append(f"{where}: unsupported Avro type {avro!r}")
        return prim, nullable

    def check_against_doc(self, where, description, doc):
        def norm(text):
            return " ".join(BRACKET_UNIT.sub("", text).lower().split()).rstrip(".")

        if not doc:
            return
        a, b = norm(description), norm(doc)
        if a == b:
            self.problems.append(f"{where}: description repeats the schema doc")
            return
        ratio = difflib.SequenceMatcher(None, a, b).ratio()
        if ratio > self.max_similarity[0]:
            self.max_similarity = (ratio, where)
        if ratio > MAX_DOC_SIMILARITY:
            self.problems.append(f"{where}: description too close to the schema doc (similarity {ratio:.2f})")

    # -- descriptions -----------------------------------------------------------------------

    def describe(self, group, name, names_in_record):
        """Description of an LSST field: exact entry, common entry, then the rules."""
        table = self.extra["descriptions"]
        for section in (group, "common"):
            if section == "common" and group not in RECORDS:
                continue
            if name in table.get(section, {}):
                self.used_descriptions.add((section, name))
                return table[section][name]
        rules = table["rules"]
        if name.endswith("Err") and name[:-3] in names_in_record:
            return rules["error"].format(base=name[:-3])
        match = re.fullmatch(rf"([{BANDS}])_(\w+)", name)
        if group == "diaObject" and match and match.group(2) in table["band_statistics"]:
            self.used_descriptions.add(("band_statistics", match.group(2)))
            return table["band_statistics"][match.group(2)].format(band=match.group(1))
        match = re.fullmatch(r"pixelFlags_(\w+?)(Center)?", name)
        if match and match.group(1) in table["pixel_flags"]:
            self.used_descriptions.add(("pixel_flags", match.group(1)))
            template = rules["pixel_flag_center" if match.group(2) else "pixel_flag"]
            return template.format(what=table["pixel_flags"][match.group(1)])
        self.problems.append(f"{group}.{name}: no description (add one to tools/columns_extra.toml)")
        return ""

    # -- units ------------------------------------------------------------------------------

    def decide_unit(self, record, name, prim, doc, apdb_col):
        """Apply the unit decision order documented in tools/columns_extra.toml."""
        where = f"{record}.{name}"
        match = BRACKET_UNIT.search(doc)
        bracket = match.group(1) if match else ""
        apdb_unit = ""
        if apdb_col is not None:
            apdb_unit = apdb_col.get("fits:tunit") or apdb_col.get("ivoa:unit") or ""
        corrections = self.extra["corrections"].get(record, {})
        unitless = self.extra["unitless"].get(record, [])
        if bracket and apdb_unit and not self.same_unit(bracket, apdb_unit):
            self.notes["disagreement"].append(f"{where}: avsc [{bracket}] vs apdb {apdb_unit}")
        if name in unitless and (bracket or apdb_unit or name in corrections):
            self.problems.append(f"{where}: listed as unitless but the schemas give [{bracket}] / {apdb_unit!r}")

        if name in corrections:
            unit = corrections[name]["unit"]
            reason = corrections[name]["reason"]
            note = f"{where}: avsc [{bracket or '-'}], apdb {apdb_unit or '-'} -> {unit} ({reason})"
            if bracket and self.same_unit(bracket, unit):
                note += " [no longer needed: the avsc now agrees]"
            self.notes["correction"].append(note)
            return unit
        if name.endswith("MjdTai"):
            for source, value in (("avsc", bracket), ("apdb", apdb_unit)):
                if value and not self.same_unit(value, "d"):
                    self.problems.append(f"{where}: {source} unit {value!r} for a MJD column (add a correction)")
            if not bracket:
                self.notes["MjdTai rule"].append(f"{where}: no bracket, apdb {apdb_unit or '-'} -> d")
            return "d"
        if bracket:
            if apdb_unit and not self.same_unit(bracket, apdb_unit):
                self.problems.append(f"{where}: avsc [{bracket}] and apdb {apdb_unit} disagree and no correction")
            return bracket
        if apdb_unit:
            self.notes["apdb only"].append(f"{where}: {apdb_unit}")
            return apdb_unit
        if name in unitless:
            return ""
        if record == "ssSource" or prim in ("float", "double"):
            self.problems.append(f"{where}: {prim} field without a unit decision (unit or [unitless] entry)")
        return ""

    # -- groups -----------------------------------------------------------------------------

    def lsst_group(self, group, fields, record_for_units):
        """Entries ``r:<name>`` of an LSST record (or of the alert's top level)."""
        table = self.apdb[self.extra["apdb"]["tables"][group]]
        rename = self.extra["apdb"]["rename"].get(group, {})
        names = {field["name"] for field in fields}
        out = {}
        for field in fields:
            name = field["name"]
            where = f"{group}.{name}"
            prim, nullable = self.split_avro(field["type"], where)
            apdb_col = table.get(rename.get(name, name))
            if apdb_col is None:
                self.notes["not in apdb"].append(where)
            doc = field.get("doc", "")
            unit = self.decide_unit(record_for_units, name, prim, doc, apdb_col)
            description = self.describe(group, name, names)
            self.check_against_doc(where, description, doc)
            out["r:" + name] = {
                "type": prim,
                "nullable": nullable,
                "avro_type": field["type"],
                "unit": self.canonical_unit(unit, where),
                "ucd": (apdb_col or {}).get("ivoa:ucd") or "",
                "description": description,
            }
        return out

    def extra_group(self, section, prefix="", written=False):
        """Entries of a hand-maintained group of tools/columns_extra.toml."""
        out = {}
        for name, spec in self.extra[section].items():
            where = f"{section}.{name}"
            for key in ("type", "description"):
                if not spec.get(key):
                    self.problems.append(f"{where}: missing {key}")
            if spec.get("type") not in TYPES:
                self.problems.append(f"{where}: unknown type {spec.get('type')!r}")
            entry = {
                "type": spec["type"],
                "nullable": spec.get("nullable", True),
                "avro_type": spec.get("declared", spec["type"]),
                "unit": self.canonical_unit(spec.get("unit", ""), where),
                "ucd": spec.get("ucd", ""),
                "description": spec["description"],
            }
            if written:
                entry["written"] = spec.get("written", True)
            out[prefix + name] = entry
        return out

    def groups(self):
        alert = {field["name"]: field for field in self.avsc("alert")}
        groups = {
            "alert_root": self.lsst_group("alert_root", [alert[n] for n in ROOT_FIELDS], "alert_root"),
            **{record: self.lsst_group(record, self.avsc(record), record) for record in RECORDS},
            "storage": self.extra_group("storage"),
            "fink_source": self.extra_group("fink_source", "f:", written=True),
            "fink_object": self.extra_group("fink_object", "f:"),
            "statistics": self.extra_group("statistics", "f:"),
            "computed": self.extra_group("computed"),
            "tns": self.extra_group("tns", "f:"),
            "sesame": self.extra_group("sesame"),
            "miriade": self.extra_group("miriade"),
        }
        cutouts = {}
        for name in CUTOUT_FIELDS:
            prim, nullable = self.split_avro(alert[name]["type"], f"cutouts.{name}")
            description = self.extra["descriptions"]["cutouts"][name]
            self.used_descriptions.add(("cutouts", name))
            cutouts["b:" + name] = {
                "type": prim,
                "nullable": nullable,
                "avro_type": alert[name]["type"],
                "unit": "",
                "ucd": "",
                "description": description,
            }
        groups["cutouts"] = cutouts
        for section, entries in self.extra["descriptions"].items():
            if section in ("rules",):
                continue
            for name in entries:
                if (section, name) not in self.used_descriptions:
                    self.problems.append(f"descriptions.{section}.{name}: entry not used by any field")
        return groups

    # -- endpoints --------------------------------------------------------------------------

    def endpoints(self, groups):
        def names(group, only=None, exclude=()):
            return [n for n in groups[group] if (only is None or n in only) and n not in exclude]

        def first_wins(*parts):
            out = {}
            for group, selected in parts:
                for name in selected:
                    out.setdefault(name, group)
            return out

        def last_wins(*groups_):
            out = {}
            for group in groups_:
                out.update({name: group for name in groups[group]})
            return out

        root = ("alert_root", ["r:observation_reason", "r:target_name"])
        salt = ("storage", ["r:salt"])
        written = [n for n, e in groups["fink_source"].items() if e["written"]]
        sources = first_wins(root, salt, ("diaSource", names("diaSource")), ("fink_source", written))
        objects = first_wins(root, salt, ("diaObject", names("diaObject")), ("fink_object", names("fink_object")))
        fp = first_wins(("diaForcedSource", names("diaForcedSource")), salt)
        pixel_rows = first_wins(
            root,
            salt,
            ("diaSource", names("diaSource")),
            ("diaObject", names("diaObject")),
            ("fink_object", names("fink_object")),
            ("fink_source", written),
            ("storage", ["f:pixel1024"]),
        )
        sso = first_wins(
            root,
            salt,
            ("diaSource", names("diaSource")),
            ("ssSource", names("ssSource")),
            ("storage", ["r:packed_primary_provisional_designation"]),
            ("computed", ["f:sso_name"]),
        )
        shared = {n[2:] for n in groups["diaObject"] if n in groups["diaSource"]}
        if shared != CONESEARCH_SHARED:
            self.problems.append(f"diaSource/diaObject share {sorted(shared)}, expected {sorted(CONESEARCH_SHARED)}")
        shared = {n[2:] for n in groups["ssSource"] if n in groups["diaSource"]}
        if shared != SSO_SHARED:
            self.problems.append(f"diaSource/ssSource share {sorted(shared)}, expected {sorted(SSO_SHARED)}")

        ephemeris = first_wins(("miriade", names("miriade")), ("computed", EPHEMERIS_COMPUTED))
        if set(ephemeris) & set(sso):
            self.problems.append(f"sso_ephemerides: {sorted(set(ephemeris) & set(sso))} already are sso columns")

        source_schema = {R_FAMILY: last_wins("diaSource", "alert_root"), F_FAMILY: last_wins("fink_source")}
        out = {
            "sources": (sources, source_schema),
            "tags": (dict(sources), source_schema),
            "objects": (objects, {R_FAMILY: last_wins("diaObject", "alert_root"), F_FAMILY: last_wins("fink_object")}),
            "fp": (fp, {R_FAMILY: last_wins("diaForcedSource")}),
            "conesearch": (
                {**pixel_rows, "v:separation_degree": "computed"},
                {
                    R_FAMILY: last_wins("diaSource", "diaObject", "alert_root"),
                    F_FAMILY: last_wins("fink_source", "fink_object"),
                },
            ),
            "skymap": ({**pixel_rows, "v:startgwMjdTai": "computed"}, {}),
            "sso": (
                sso,
                {R_FAMILY: last_wins("ssSource", "diaSource", "alert_root"), F_FAMILY: {"f:sso_name": "computed"}},
            ),
            "statistics": (last_wins("statistics"), {F_FAMILY: last_wins("statistics")}),
            "cutouts": (last_wins("cutouts"), {B_FAMILY: last_wins("cutouts")}),
            "sso_ephemerides": ({**sso, **ephemeris}, {}),
            "resolver_tns": (last_wins("tns"), {}),
            "resolver_simbad": (last_wins("sesame"), {}),
        }
        for endpoint, pairs in RESOLVER_REUSED.items():
            out[endpoint] = (first_wins(*((group, [name]) for group, name in pairs)), {})
        if set(out) != set(EXPECTED):
            self.problems.append(f"endpoint keys {sorted(out)} differ from EXPECTED {sorted(EXPECTED)}")
        for endpoint, (columns, schema) in out.items():
            entries = [*columns.items(), *(item for names_ in schema.values() for item in names_.items())]
            for name, group in entries:
                if name not in groups[group]:
                    self.problems.append(f"{endpoint}: column {name} is not in group {group}")
            n_expected, families = EXPECTED[endpoint]
            if len(columns) != n_expected:
                self.problems.append(f"{endpoint}: {len(columns)} data columns, the API contract says {n_expected}")
            counts = {family: len(entries) for family, entries in schema.items()}
            if counts != families:
                self.problems.append(f"{endpoint}: schema families {counts}, the API contract says {families}")
        if sorted(fp) != sorted(FP_COLUMNS):
            self.problems.append(f"fp: columns {sorted(fp)} differ from the API contract")
        return {endpoint: {"columns": columns, "schema": schema} for endpoint, (columns, schema) in out.items()}

    def build(self):
        groups = self.groups()
        return {
            "about": (
                f"Generated by tools/generate_columns.py from LSST alert_packet {self.version} "
                "and sdm_schemas apdb.yaml; do not edit by hand."
            ),
            "alert_schema_version": self.version,
            "groups": groups,
            "endpoints": self.endpoints(groups),
        }


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS, help="copies of the LSST schema files")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write")
    parser.add_argument("--extra", type=Path, default=DEFAULT_EXTRA, help="hand-maintained facts (TOML)")
    parser.add_argument("--quiet", action="store_true", help="print problems only")
    args = parser.parse_args(argv)

    extra = tomllib.loads(args.extra.read_text(encoding="utf-8"))
    generator = Generator(args.schemas, extra)
    data = generator.build()

    if not args.quiet:
        for kind, lines in generator.notes.items():
            print(f"{kind} ({len(lines)}):")
            for line in lines:
                print(f"  {line}")
        ratio, where = generator.max_similarity
        print(f"closest description to a schema doc: {where} (similarity {ratio:.2f})")
        for endpoint, entry in data["endpoints"].items():
            families = ", ".join(f"{family} {len(names)}" for family, names in entry["schema"].items())
            print(f"endpoint {endpoint}: {len(entry['columns'])} columns; schema: {families or 'none'}")
    if generator.problems:
        for problem in generator.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(generator.problems)} problem(s); {args.output} not written", file=sys.stderr)
        return 1

    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(text.encode("ascii"))
    if not args.quiet:
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
