"""The statistics as charts: SVG drawn by matplotlib, one per axis, each with the data table that
says the same thing (the page shows both: the picture for the eye, the table for everyone)."""

from __future__ import annotations

import io
from typing import Any

from states.money import parse_eur

AXES = {"by_department": "département", "by_kind": "type de collectivité",
        "by_population": "population", "by_measure": "mesure"}
DECISIONS = {"accept": ("accord", "acceptance_rate"),
             "request_revision": ("à revoir", "revision_rate"),
             "refuse": ("refus", "refusal_rate")}
BLUE = "#000091"  # the DSFR's blue France


def rows(document: dict[str, Any], axis: str) -> list[dict[str, Any]]:
    """The chart's data, as its table shows it: one row per value of the axis."""
    if axis == "decisions":
        taken = document["decisions"]
        return [{"label": label, "count": taken[event], "rate": document[rate]}
                for event, (label, rate) in DECISIONS.items()]
    from reports.stats import said

    return [{"label": said(axis, key), "count": value["count"],
             "awarded_eur": value["awarded_eur"]}
            for key, value in document.get(axis, {}).items()]


def svg(document: dict[str, Any], axis: str) -> bytes:
    """One chart: the amounts awarded along ``axis`` (whole euros: a chart has no use for cents,
    and an amount is never a float), or the decisions taken. Its text stays text in the SVG."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from workflow.french import number_fr

    data = rows(document, axis)
    if axis == "decisions":
        values = [row["count"] for row in data]
        title, unit = "Décisions du comité", number_fr
    else:
        values = [parse_eur(row["awarded_eur"]) // 100 for row in data]
        title, unit = f"Montants accordés par {AXES[axis]}", (
            lambda value: f"{number_fr(value)} €")
    labels = [row["label"] for row in data] or ["aucun"]
    values = values or [0]
    figure = Figure(figsize=(6.4, max(1.8, 0.8 + 0.45 * len(labels))), dpi=100)
    plot = figure.add_subplot()
    bars = plot.barh(labels, values, color=BLUE)
    plot.bar_label(bars, labels=[unit(v) for v in values], padding=4, fontsize=10)
    plot.set_title(title, fontsize=12)
    plot.invert_yaxis()  # first row on top, as in the table
    plot.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    plot.xaxis.set_major_formatter(FuncFormatter(lambda value, _: unit(int(value))))
    plot.set_xlim(0, max([*values, 1]) * 1.25)
    for side in ("top", "right"):
        plot.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "comite"}):  # text stays text
        figure.savefig(out, format="svg", metadata={"Date": None, "Title": title})
    return out.getvalue()
