"""Server-side charts: matplotlib figures rendered to inline SVG (text kept as text, so the page
is searchable and needs no font, script or network to display)."""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")  # no display on a server
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False})

INK, BAND, TARGET = "#1f4e79", "#9dc3e6", "#c55a11"
OUTCOME_COLOURS = {"promoted": "#2e7d32", "deprecated": "#7f8c8d", "rejected": "#c62828", "failed": "#6a1b9a",
                   "ready": "#1f4e79", "training": "#f9a825"}


def _svg(fig, chart_id: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside HTML
    return svg.replace("<svg ", f'<svg class="chart" data-chart="{chart_id}" role="img" ', 1)


def kpi_chart(chart_id: str, title: str, weeks: list[dt.date], values, lows, highs, targets: dict[str, float], unit: str) -> str:
    """One KPI over the weeks: the value, its interval as a band, the plan's marks as dashed lines."""
    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    x = list(range(len(weeks)))
    if any(lo is not None for lo in lows):
        ax.fill_between(x, [lo if lo is not None else v for lo, v in zip(lows, values)],
                        [hi if hi is not None else v for hi, v in zip(highs, values)], color=BAND, alpha=0.6, linewidth=0, label="95% interval")
    ax.plot(x, values, color=INK, marker="o", markersize=3, label="measured")
    for label, value in targets.items():
        ax.axhline(value, color=TARGET, linestyle="--" if "6" in label else ":", linewidth=1)
        ax.annotate(label, (x[-1] if x else 0, value), fontsize=7, color=TARGET, ha="right", va="bottom")
    ax.set_xticks(x, [w.strftime("%d %b") for w in weeks], rotation=0, fontsize=7)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(unit, fontsize=8)
    return _svg(fig, chart_id)


def bars(chart_id: str, title: str, labels: list[str], values: list[float], ylabel: str, colour: str = INK,
         marker: float | None = None, marker_label: str = "") -> str:
    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    ax.bar(range(len(values)), values, color=colour)
    ax.set_ylim(0, max(max(values, default=0) * 1.1, 1e-9) if any(values) else 1)  # all zero: a flat floor, not a band around 0
    ax.set_xticks(range(len(values)), labels, fontsize=7, rotation=30 if len(labels) > 6 else 0)
    if marker is not None:
        ax.axvline(marker, color=TARGET, linestyle="--", linewidth=1)
        ax.annotate(marker_label, (marker, ax.get_ylim()[1]), fontsize=7, color=TARGET, ha="left", va="top")
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(ylabel, fontsize=8)
    return _svg(fig, chart_id)


def growth(chart_id: str, title: str, weeks: list[dt.date], counts: list[int]) -> str:
    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    ax.step(range(len(counts)), counts, where="post", color=INK)
    ax.fill_between(range(len(counts)), counts, step="post", color=BAND, alpha=0.5)
    ax.set_xticks(range(len(weeks)), [w.strftime("%d %b") for w in weeks], fontsize=7)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel("patterns", fontsize=8)
    return _svg(fig, chart_id)


def model_versions(chart_id: str, name: str, versions: list[dict]) -> str:
    """Evaluation score by version, each point coloured by what happened to the version."""
    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    xs = [v["version"] for v in versions]
    ys = [v["evalScore"] for v in versions]
    ax.plot([x for x, y in zip(xs, ys) if y is not None], [y for y in ys if y is not None], color="#bbbbbb", linewidth=1)
    for outcome, colour in OUTCOME_COLOURS.items():
        pts = [(v["version"], v["evalScore"]) for v in versions if v["outcome"] == outcome and v["evalScore"] is not None]
        if pts:
            ax.scatter(*zip(*pts), color=colour, label=outcome, zorder=3, s=24)
    ax.set_xlabel("version", fontsize=8)
    ax.set_ylabel("held-out accuracy", fontsize=8)
    ax.set_title(f"{name}: evaluation by version", fontsize=10, loc="left")
    if xs:
        ax.set_xticks(xs)
    if ax.get_legend_handles_labels()[0]:  # versions still training have no score to plot yet
        ax.legend(fontsize=7, frameon=False, loc="best")
    return _svg(fig, chart_id)
