"""
The queries of ``fink-query``: one function a sub-command, ``(client, args) -> Table``, or bytes for an image.

Each calls a public `FinkClass` method with the parsed arguments and leaves the checking to it;
``read-transfer`` calls `~astroquery_fink.read_data_transfer` instead, and gets no client.
"""
import io
import re

from astropy import units as u
from astropy.coordinates import Angle, SkyCoord
from astroquery.exceptions import InvalidQueryError

from .status import UsageError


def _wire(args):
    """The options every table query takes: --columns and --transport."""
    return {"columns": args.columns, "output_format": args.transport}


def forced_photometry(client, args):
    return client.query_forced_photometry(args.id_list, **_wire(args), verbose=not args.quiet)


def sources(client, args):
    return client.query_sources(args.id_list, midpoint_mjd_tai=args.time, **_wire(args), verbose=not args.quiet)


def objects(client, args):
    return client.query_object(args.id_list, **_wire(args), verbose=not args.quiet)


def schema(client, args):
    # "10.0" -> major 10, minor 0; "10" -> major only (minor 0): get_schema checks the numbers
    major, _, minor = (args.schema_version or "").partition(".")
    return client.get_schema(args.endpoint, major_version=major or None, minor_version=minor or None)


def cone(client, args):
    return client.query_region(_position(args.ra, args.dec), args.radius, n=args.n, start_time=args.start,
                               stop_time=args.stop, window=args.window, **_wire(args))


def tags(client, args):
    if args.tag is None:
        return client.list_tags()
    return client.query_tags(args.tag, n=args.n, start_time=args.start, stop_time=args.stop, **_wire(args))


def sso(client, args):
    return client.query_sso(args.names, with_ephemerides=args.ephemerides, **_wire(args))


def resolve(client, args):
    return client.resolve(args.name, resolver=args.resolver, reverse=args.reverse, nmax=args.nmax)


def statistics(client, args):
    return client.query_statistics(args.date, **_wire(args))


def skymap(client, args):
    return client.query_skymap(event_name=args.event, skymap=args.map, credible_level=args.level,
                               output_format=args.transport)


def blocks(client, args):
    return client.list_blocks()


def cutout(client, args):
    if args.kind == "All":
        return _all_stamps(client, args)
    image = client.get_cutouts(args.id_list[0], kind=args.kind, output_format=args.image_format,
                               stretch=args.stretch, colormap=args.colormap, convolution_kernel=args.kernel)
    if args.image_format == "PNG":
        return image
    if not len(image):  # no such diaSourceId: the client has already warned
        return b""
    buffer = io.BytesIO()
    # the alert stamps are bare image extensions: 'silentfix' puts the primary HDU FITS files start with
    image.writeto(buffer, output_verify="silentfix")
    return buffer.getvalue()


def _all_stamps(client, args):
    """
    The three stamps of ``--kind All`` as one FITS file: an empty primary HDU, then SCIENCE, TEMPLATE, DIFFERENCE.

    The server gives the three together only as pixel arrays (it refuses ``kind=All`` in FITS or PNG), so
    these extensions carry the pixels without the alert's WCS; ask one kind at a time for the FITS stamps.
    """
    from astropy.io import fits  # only this command writes FITS images itself

    stamps = client.get_cutouts(args.id_list[0], kind="All", output_format="array")
    if not any(pixels.size for pixels in stamps.values()):  # no such diaSourceId: the client has already warned
        return b""
    primary = fits.PrimaryHDU()
    primary.header["DIASRCID"] = (int(args.id_list[0]), "diaSourceId of the alert")
    primary.header["COMMENT"] = "Fink cutouts of kind All: pixels only, no WCS (ask one kind for the FITS stamp)"
    hdus = [primary] + [fits.ImageHDU(pixels, name=kind.upper()) for kind, pixels in stamps.items()]
    buffer = io.BytesIO()
    fits.HDUList(hdus).writeto(buffer)
    return buffer.getvalue()


# read-transfer's light-curve options: the command's flag, and read_data_transfer's argument
_LIGHTCURVE_OPTIONS = {"--flux": "flux", "--limit-sigma": "limit_sigma", "--keep-withdrawn": "keep_withdrawn",
                       "--min-reliability": "min_reliability"}


def read_transfer(client, args):
    """A Data Transfer download read from disk into the ``--kind`` table; ``client`` is None: no server is asked."""
    import pyarrow  # loaded by the reader anyway; named here for its errors

    from .. import read_data_transfer

    # only the options the user gave, so that the reader's own defaults hold (they are get_lightcurve's)
    given = {flag: getattr(args, name) for flag, name in _LIGHTCURVE_OPTIONS.items()
             if getattr(args, name) not in (None, False)}
    if given and args.kind != "lightcurve":
        verb = "applies" if len(given) == 1 else "apply"
        raise UsageError(f"{', '.join(given)} {verb} to --kind lightcurve only, not to --kind {args.kind}")
    options = {_LIGHTCURVE_OPTIONS[flag]: value for flag, value in given.items()}
    columns = None if args.columns is None else [name.strip() for name in args.columns.split(",")]
    try:
        table = read_data_transfer(args.path, kind=args.kind, columns=columns, **options)
    except pyarrow.ArrowException as error:  # a file that is not Parquet, or not of a Data Transfer download
        raise UsageError(f"cannot read {args.path} as a Data Transfer download: {error}") from error
    # what was read (files, alerts, rows) the reader says itself, in astroquery's log: a note on stderr
    return table


def _position(ra, dec):
    """A SkyCoord from RA and Dec texts: decimal degrees, or sexagesimal (RA in hours unless it has units)."""
    ra, dec = ra.strip(), dec.strip()
    ra_unit = u.hourangle if re.search(r"[:\s]", ra) else u.deg
    try:
        return SkyCoord(Angle(ra, unit=ra_unit), Angle(dec, unit=u.deg), frame="icrs")
    except (ValueError, TypeError, u.UnitsError) as error:
        raise InvalidQueryError(f"could not read the position RA={ra!r} DEC={dec!r}: {error}") from error
