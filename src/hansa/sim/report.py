"""The HTML report of a comparison: the KPI table and PNG charts (matplotlib, Agg backend)."""

from __future__ import annotations

import html
from itertools import accumulate
from pathlib import Path

from hansa.sim.compare import Comparison
from hansa.sim.kpis import KPI_KEYS, DayPoint

COLOURS = {"automation": "#1f77b4", "baseline": "#ff7f0e"}
CHARTS = [
    ("zone_stock", "Units on hand at the sites serving the focus zone", "units",
     lambda p: p.zone_stock),
    ("zone_promise", "Promised delivery (days) for orders from the focus zone", "days",
     lambda p: p.zone_promise_days),
    ("lost_sales", "Lost sales (units) per day", "units", lambda p: p.lost_units),
    ("margin", "Cumulative gross margin before logistics (USD)", "USD", None),
    ("breaker_events", "Breaker trips per day", "trips", lambda p: p.breaker_trips),
]


def difference(a: object, b: object) -> str:
    """automation - baseline, for the tables (blank where either is not a number)."""
    if isinstance(a, int | float) and isinstance(b, int | float):
        delta = a - b
        return f"{delta:+,.4g}" if isinstance(delta, float) and abs(delta) < 10 else \
            f"{delta:+,.2f}" if isinstance(delta, float) else f"{delta:+,}"
    return ""


def _chart(path: Path, title: str, unit: str, series: dict[str, list[float | None]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3), dpi=100)
    for name, values in series.items():
        points = [(d, float(v)) for d, v in enumerate(values) if v is not None]
        ax.plot([d for d, _ in points], [v for _, v in points], label=name,
                color=COLOURS.get(name), linestyle="--" if name == "baseline" else "-",
                marker="o", markersize=3, linewidth=1.5)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("day")
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def _values(points: list[DayPoint], key: str, pick: object) -> list[float | None]:
    if key == "margin":
        return list(accumulate(p.gross_margin for p in points))
    assert callable(pick)
    return [pick(p) for p in points]


def write_report(comparison: Comparison, folder: Path) -> Path:
    """Write index.html and one PNG per chart into `folder`; returns the HTML file."""
    folder.mkdir(parents=True, exist_ok=True)
    tallies = comparison.tallies
    for key, title, unit, pick in CHARTS:
        _chart(folder / f"{key}.png", title, unit,
               {name: _values(t.series, key, pick) for name, t in tallies.items()})
    kpis = {name: t.as_dict() for name, t in tallies.items()}
    keys = list(KPI_KEYS) + [k for k in kpis["automation"] if k not in KPI_KEYS]
    rows = "\n".join(
        f"<tr><td>{k}</td><td>{_fmt(kpis['automation'][k])}</td>"
        f"<td>{_fmt(kpis['baseline'][k])}</td>"
        f"<td>{difference(kpis['automation'][k], kpis['baseline'][k])}</td></tr>" for k in keys)
    scenario = comparison.scenario
    charts = "\n".join(f'<figure><img src="{key}.png" alt="{html.escape(title)}">'
                       f"<figcaption>{html.escape(title)}</figcaption></figure>"
                       for key, title, _, _ in CHARTS)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Hansa simulation: {html.escape(scenario.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.25rem .6rem;
text-align:right}}td:first-child,th:first-child{{text-align:left}}
figure{{margin:1rem 0}}</style></head><body>
<h1>Simulation: {html.escape(scenario.name)}</h1>
<p>{html.escape(scenario.description)}</p>
<p>Seed {comparison.seed}, {comparison.days} days from {scenario.start:%Y-%m-%d},
size {html.escape(comparison.size)}; focus zone {html.escape(', '.join(scenario.focus_states))}.
</p>
<h2>KPIs</h2>
<table><thead><tr><th>KPI</th><th>automation</th><th>baseline</th><th>difference</th></tr>
</thead><tbody>
{rows}
</tbody></table>
<h2>Charts</h2>
{charts}
</body></html>
"""
    target = folder / "index.html"
    target.write_text(page)
    return target


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))
