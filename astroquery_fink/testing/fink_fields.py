"""
The fields Fink adds to the LSST alerts, as the replica server declares and stores them.

Hand-written for the replica (it must not read the client's column map). Each entry gives:

- the Avro type the server's schema route declares for the field; it is hard-coded there and
  sometimes differs from what the broker writes (``firstDiaSourceMjdTaiFink`` is declared
  ``string`` but stored as a double, ``xm_gaiadr3_VarFlag`` is declared ``int`` but written as
  text, the Mangrove distances are declared ``string``);
- the HBase cell type of the stored column, or None for the two fields the schema route lists
  although the broker does not write them (``xm_spicy_SPICY``, ``clf_slsn_score``);
- the (fink-broker, fink-science) releases that introduced the field;
- a short description in the replica's own words.
"""

__all__ = ["FinkField", "SOURCE_FIELDS", "OBJECT_FIELDS", "STATISTICS_FIELDS", "SSO_FIELDS", "STORAGE_FIELDS"]

from typing import NamedTuple

_V40 = ("4.0", "8.26.0")
_V41_SCIENCE_834 = ("4.1", "8.34.0")


class FinkField(NamedTuple):
    """One Fink field: name without prefix, declared Avro type, stored HBase type, releases, text."""

    name: str
    declared: str
    stored: str | None
    stamp: tuple
    doc: str


#: Per-alert values written next to the diaSource fields (32 listed by the schema route, 30 stored).
SOURCE_FIELDS = (
    FinkField("xm_simbad_otype", "string", "string", _V40, "SIMBAD object type of the nearest counterpart."),
    FinkField("xm_gcvs_type", "string", "string", _V40, "GCVS variability type of the nearest counterpart."),
    FinkField("xm_vsx_Type", "string", "string", _V40, "VSX variability type of the nearest counterpart."),
    FinkField("xm_gaiadr3_DR3Name", "string", "string", _V40, "Gaia DR3 designation of the nearest counterpart."),
    FinkField("xm_gaiadr3_Plx", "double", "double", _V40, "Gaia DR3 parallax of the counterpart, in mas."),
    FinkField("xm_gaiadr3_e_Plx", "double", "double", _V40, "Error on the Gaia DR3 parallax, in mas."),
    FinkField("xm_gaiadr3_VarFlag", "int", "string", _V40, "Gaia DR3 variability flag of the counterpart."),
    FinkField("xm_x3hsp_type", "string", "string", _V40, "3HSP blazar counterpart, if any."),
    FinkField("xm_x4lac_type", "string", "string", _V40, "4LAC counterpart, if any."),
    FinkField("xm_mangrove_HyperLEDA_name", "string", "string", _V40, "HyperLEDA name of the Mangrove host."),
    FinkField("xm_mangrove_2MASS_name", "string", "string", _V40, "2MASS name of the Mangrove host."),
    FinkField("xm_mangrove_lum_dist", "string", "float", _V40, "Luminosity distance of the Mangrove host."),
    FinkField("xm_mangrove_ang_dist", "string", "float", _V40, "Angular distance to the Mangrove host."),
    FinkField("xm_spicy_SPICY", "string", None, _V40, "SPICY designation of the counterpart."),
    FinkField("xm_spicy_class", "string", "string", _V40, "SPICY class of the counterpart."),
    FinkField("xm_tns_type", "string", "string", _V40, "Classification reported to TNS."),
    FinkField("xm_tns_fullname", "string", "string", ("4.1", "8.36.0"), "TNS name of the counterpart."),
    FinkField("xm_tns_redshift", "float", "float", ("4.1", "8.36.0"), "Redshift reported to TNS."),
    FinkField("xm_legacydr8_zphot", "float", "float", _V41_SCIENCE_834, "Legacy Survey DR8 photometric redshift."),
    FinkField("xm_legacydr8_e_zphot", "float", "float", _V41_SCIENCE_834, "Error on the DR8 photometric redshift."),
    FinkField("xm_legacydr8_pstar", "float", "float", _V41_SCIENCE_834, "DR8 likelihood of being a star."),
    FinkField("xm_legacydr8_fqual", "int", "integer", _V40, "DR8 photometric-redshift quality flag."),
    FinkField("clf_cats_class", "int", "integer", _V40, "CATS broad class with the highest probability."),
    FinkField("clf_cats_score", "float", "float", ("4.1", "8.35.0"), "Probability of the CATS class."),
    FinkField("clf_earlySNIa_score", "float", "float", _V40, "Early type Ia supernova score."),
    FinkField("clf_slsn_score", "float", None, _V40, "Superluminous supernova score."),
    FinkField("clf_snnSnVsOthers_score", "float", "float", _V40, "SuperNNova supernova score."),
    FinkField("clf_elephant_kstest_science", "float", "float", _V41_SCIENCE_834, "Hostless test, science image."),
    FinkField("clf_elephant_kstest_template", "float", "float", _V41_SCIENCE_834, "Hostless test, template image."),
    FinkField("fink_broker_version", "string", "string", _V40, "fink-broker release that processed the alert."),
    FinkField("fink_science_version", "string", "string", _V40, "fink-science release that processed the alert."),
    FinkField("lsst_schema_version", "string", "string", _V40, "LSST alert schema of the alert, as lsst.vM_m."),
)

#: Per-object values written next to the diaObject fields.
OBJECT_FIELDS = (
    FinkField("is_cataloged", "boolean", "boolean", _V40, "Latest alert has a SIMBAD or Gaia DR3 counterpart."),
    FinkField("is_sso", "boolean", "boolean", _V40, "Alert attached to a known Solar System object."),
    FinkField("is_first", "boolean", "boolean", _V40, "First detection at this position."),
    FinkField("main_label_classifier", "int", "integer", _V40, "Main classifier label of the latest alert."),
    FinkField("main_label_crossmatch", "string", "string", _V40, "Main cross-match label of the latest alert."),
    FinkField("firstDiaSourceMjdTaiFink", "string", "double", _V40, "First Rubin detection seen by Fink, MJD TAI."),
)

_COUNTERS = (
    ("alerts", "Alerts of the night."),
    *((f"alerts_{band}", f"Alerts of the night in band {band}.") for band in "ugrizy"),
    ("objects", "Distinct objects of the night."),
    ("is_sso", "Alerts of the night on known Solar System objects."),
    ("is_first", "Alerts of the night that are first detections."),
    ("in_tns", "Alerts of the night with a TNS counterpart."),
    ("is_cataloged", "Alerts of the night with a catalogued counterpart."),
    ("visits", "Visits of the night."),
    ("glint_trail", "Alerts of the night flagged glint_trail."),
    ("isDipole", "Alerts of the night flagged isDipole."),
    ("pixelFlags_cr", "Alerts of the night flagged pixelFlags_cr."),
    ("pixelFlags_saturated", "Alerts of the night flagged pixelFlags_saturated."),
    ("pixelFlags_streak", "Alerts of the night flagged pixelFlags_streak."),
)

#: Entries of the statistics schema. The table stores every cell as text; the route returns text.
STATISTICS_FIELDS = (
    FinkField("night", "int", "string", _V40, "Night, YYYYMMDD."),
    *(FinkField(name, "int", "string", _V41_SCIENCE_834 if name == "in_tns" else _V40, doc)
      for name, doc in _COUNTERS),
    FinkField("fink_broker_version", "str", "string", _V40, "fink-broker release of the night."),
    FinkField("fink_science_version", "str", "string", _V40, "fink-science release of the night."),
    FinkField("lsst_schema_version", "str", "string", _V40, "LSST alert schema of the night."),
)

#: The one Fink entry of the sso schema: computed by the route, not stored.
SSO_FIELDS = (FinkField("sso_name", "str", None, _V40, "Name given by the SsODNet resolver."),)

#: Storage helpers present in the rows but absent from every schema answer: full name -> HBase type.
STORAGE_FIELDS = {
    "r:salt": "string",
    "r:packed_primary_provisional_designation": "string",
    "f:pixel1024": "long",
}
