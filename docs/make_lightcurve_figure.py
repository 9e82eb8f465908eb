"""Regenerate docs/fink/lightcurve.png: the light curve of one replica object, in flux and in magnitude.

Run from anywhere: ``python docs/make_lightcurve_figure.py`` (needs the ``replica`` and ``plot``
extras). The data come from the embedded replica, so the figure is the same on every machine
with the same versions of the dependencies.

The page shows the figure at the width of its text column, about 880 px at a window 1280 px
wide. The figure is drawn for that: 9 inches wide at 150 dots per inch (1350 px, sharp on
high-density screens), so one point of font is about 1.35 px on the page, and the fonts are
11 to 13 points (15 to 18 px there). The two panels are stacked, sharing the time axis, so that
each one is as wide as the column, with one legend under them. The magnitude panel shows the
upper limits (forced points below 5 sigma) as open downward triangles.
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

FIGURE_SIZE = (9.0, 7.5)  # inches
DPI = 150
STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}
# plot_lightcurve's symbols are sized for a figure seen at its own size; the page shrinks this one
MARKER_SCALE = 1.4


def main():
    with FinkReplica() as url:
        lightcurve = FinkClass(server=url).get_lightcurve(OBJECT_ID)
    with plt.rc_context(STYLE):
        figure, (flux_axes, mag_axes) = plt.subplots(2, 1, figsize=FIGURE_SIZE, sharex=True, layout="constrained")
        figure.suptitle(f"diaObject {OBJECT_ID} (replica data)", fontsize=STYLE["axes.titlesize"] + 1)
        # titles set first are kept by plot_lightcurve (it only fills an empty one)
        flux_axes.set_title('plot_lightcurve(lc, ax, y="flux")')
        mag_axes.set_title('plot_lightcurve(lc, ax, y="mag")')
        plot_lightcurve(lightcurve, flux_axes, y="flux")
        plot_lightcurve(lightcurve, mag_axes, y="mag")
        flux_axes.set_xlabel("")  # the shared time axis is labelled once, under the lower panel
        for axes in (flux_axes, mag_axes):
            for line in axes.lines:
                line.set_markersize(line.get_markersize() * MARKER_SCALE)
            axes.get_legend().remove()
            axes.grid(True, color="0.92", linewidth=0.8)
            axes.set_axisbelow(True)
        # one legend for both panels, under them so that it hides no point and leaves them the width;
        # the upper limits are drawn in the magnitude panel only. Entries by band then kind: matplotlib
        # fills the legend column by column, so that each column holds about one band.
        legend = {}
        for axes in (flux_axes, mag_axes):
            for handle, label in zip(*axes.get_legend_handles_labels(), strict=True):
                legend.setdefault(label, handle)
        labels = sorted(legend, key=_legend_order)
        figure.legend([legend[label] for label in labels], labels, loc="outside lower center", ncols=4)
        figure.savefig(OUTPUT, dpi=DPI)
        plt.close(figure)
    print(f"{OUTPUT}: {OUTPUT.stat().st_size / 1024:.0f} KiB, {len(lightcurve)} rows")


def _legend_order(label):
    """Sort key of a legend label such as "r upper limit": band in ugrizy order, then detection, forced, limit."""
    band, kind = label.split(" ", 1)
    return "ugrizy".find(band), ["detection", "forced", "upper limit"].index(kind)


if __name__ == "__main__":
    main()
