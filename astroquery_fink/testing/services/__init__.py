"""
What the replica emulates besides its HBase tables of alerts: the services and side tables the server calls.

- `cutout_service`: the cutout service (FITS stamps, arrays, PNG rendering) and ``rubin.cutouts``;
- `gracedb`: GraceDB's event lookup and the bayestar sky map of ``/api/v1/skymap``;
- `night_statistics`: ``rubin.statistics``, the per-night counters;
- `resolvers`: ``rubin.tns_resolver`` and CDS Sesame;
- `solar_system`: SsODNet (quaero), Miriade ephemerides and ``rubin.diaSource_sso``;
- `tag_lists`: the tags and blocks and their ``rubin.tag_*`` tables.
"""
