"""The statistics as charts: SVG drawn by pygal, one per axis, each with the data table that
says the same thing (the page shows both: the picture for the eye, the table for everyone)."""

from __future__ import annotations

from typing import Any

from states.money import parse_eur

AXES = {"by_department": "département", "by_kind": "type de collectivité",
        "by_population": "population", "by_measure": "mesure"}
DECISIONS = {"accept": ("accord", "acceptance_rate"),
             "request_revision": ("à revoir", "revision_rate"),
             "refuse": ("refus", "refusal_rate")}
BLUE, RED = "#000091", "#e1000f"  # the DSFR's blue France and red Marianne


def rows(document: dict[str, Any], axis: str) -> list[dict[str, Any]]:
    """The chart's data, as its table shows it: one row per value of the axis."""
    if axis == "decisions":
        taken = document["decisions"]
        return [{"label": label, "count": taken[event], "rate": document[rate]}
                for event, (label, rate) in DECISIONS.items()]
    return [{"label": key, "count": value["count"], "awarded_eur": value["awarded_eur"]}
            for key, value in document.get(axis, {}).items()]


def svg(document: dict[str, Any], axis: str) -> bytes:
    """One chart: the amounts awarded along ``axis`` (whole euros: a chart has no use for cents,
    and an amount is never a float), or the decisions taken."""
    import pygal
    from pygal.style import Style

    from workflow.french import number_fr

    style = Style(font_family="Marianne, Arial, sans-serif", colors=(BLUE,),
                  background="#ffffff", plot_background="#ffffff", value_font_size=14,
                  label_font_size=13, major_label_font_size=13, title_font_size=16)
    data = rows(document, axis)
    if axis == "decisions":
        values = [row["count"] for row in data]
        title, unit = "Décisions du comité", number_fr
    else:
        values = [parse_eur(row["awarded_eur"]) // 100 for row in data]
        title, unit = f"Montants accordés par {AXES[axis]}", lambda v: f"{number_fr(v)} €"
    chart = pygal.HorizontalBar(
        js=[], style=style, width=640, height=max(160, 60 + 48 * len(data)), title=title,
        show_legend=False, print_values=True, range=(0, max([*values, 1])), min_scale=1,
        max_scale=5, value_formatter=lambda v: unit(int(v)))
    if axis == "decisions" and max([*values, 1]) <= 10:
        chart.y_labels = list(range(max([*values, 1]) + 1))  # counts: whole numbers only
    chart.x_labels = [row["label"] for row in data] or ["aucun"]
    chart.add(title, values or [0])
    return bytes(chart.render())
