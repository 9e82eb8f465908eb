"""Regenerate docs/fink/lightcurve.png: the light curve of one replica object, in flux and in magnitude.

Run from anywhere: ``python docs/make_lightcurve_figure.py`` (needs the ``replica`` and ``plot``
extras). The data come from the embedded replica, so the figure is the same on every machine
with the same versions of the dependencies.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed, and the same rendering everywhere

import matplotlib.pyplot as plt

from astroquery_fink import FinkClass
from astroquery_fink.lightcurve import plot_lightcurve
from astroquery_fink.testing import FinkReplica

OBJECT_ID = 313761043604045880
OUTPUT = Path(__file__).parent / "fink" / "lightcurve.png"


def main():
    with FinkReplica() as url:
        lightcurve = FinkClass(server=url).get_lightcurve(OBJECT_ID)
    figure, (flux_axes, mag_axes) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    figure.suptitle(f"diaObject {OBJECT_ID} (embedded replica): get_lightcurve + plot_lightcurve")
    # titles set first are kept by plot_lightcurve (it only fills an empty one)
    flux_axes.set_title('y="flux"')
    mag_axes.set_title('y="mag"')
    plot_lightcurve(lightcurve, flux_axes, y="flux")
    plot_lightcurve(lightcurve, mag_axes, y="mag")
    # one legend for both panels, outside them so that it hides no point
    for axes in (flux_axes, mag_axes):
        axes.get_legend().remove()
    figure.legend(*flux_axes.get_legend_handles_labels(), loc="outside right upper", fontsize="small")
    figure.savefig(OUTPUT, dpi=100)
    plt.close(figure)
    print(f"{OUTPUT}: {OUTPUT.stat().st_size / 1024:.0f} KiB, {len(lightcurve)} rows")


if __name__ == "__main__":
    main()
