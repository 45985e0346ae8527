"""The markdown report of bench/demand.py (bench/results/demand.md)."""

from __future__ import annotations

from typing import Any


def _detection_row(name: str, d: dict[str, Any]) -> str:
    return (f"| {name} | {d['labelled_spikes']} | {d['detected']} | {d['missed']} | "
            f"{d['false_alarms']} | {d['detection_delay_hours_p50']} | "
            f"{d['detection_delay_hours_mean']} |")


def markdown(result: dict[str, Any]) -> str:
    c = result["comparison"]
    names = list(c["policies"])
    lines = ["# Demand sensing bench", "",
             f"Generated {result['at']} on {result['machine']} (load average "
             f"{result.get('load_average', '?')}). Command: `{result['command']}`.",
             "", f"## Path vs weekly min/max ({c['skus']} SKUs x {c['zones']} zones, "
             f"{c['days']} days, seed {c['seed']}, lead time {c['lead_time_hours']} h)", "",
             f"Detector rule: {c['rule']} (the default); previous rule: {c['previous_rule']}.",
             "", "| KPI | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    lines += [f"| {k} | " + " | ".join(str(c["policies"][n][k]) for n in names) + " |"
              for k in c["policies"][names[0]]]
    lines += ["", "Other seeds (lost sales units / total cost):", "",
              "| seed | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    lines += [f"| {seed} | " + " | ".join(f"{r['policies'][n]['lost_sales_units']} / "
                                          f"{r['policies'][n]['total_cost']}"
                                          for n in names) + " |"
              for seed, r in result["other_seeds"].items()]
    net = c["network"]
    net_names = list(net)
    lines += ["", "## Per location: the path's own decisions (PO raise + transfer MILP) on top "
              "of the weekly planner", "",
              "Same seed and firings (default rule); see bench/demand_network.py for the network "
              "(a micro-fulfilment centre per zone, one DC; weekly reorder and top-ups).", "",
              "| KPI | " + " | ".join(net_names) + " |", "| --- |" + " ---: |" * len(net_names)]
    lines += [f"| {k} | " + " | ".join(str(net[n][k]) for n in net_names) + " |"
              for k in net[net_names[0]]]
    lines += ["", "Other seeds (lost sales units / same-day share / total cost):", "",
              "| seed | " + " | ".join(net_names) + " |",
              "| --- |" + " ---: |" * len(net_names)]
    lines += [f"| {seed} | " + " | ".join(
        f"{r['network'][n]['lost_sales_units']} / {r['network'][n]['same_day_share']} / "
        f"{r['network'][n]['total_cost']}" for n in net_names) + " |"
        for seed, r in result["other_seeds"].items()]
    header = ["| seed, rule | labelled | detected | missed | false alarms | delay p50 (h) | "
              "delay mean (h) |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += ["", "## Detection on the labelled spikes (before / after, same run)", "", *header,
              _detection_row(f"{c['seed']}, previous ({c['previous_rule']})",
                             c["detection_previous_rule"]),
              _detection_row(f"{c['seed']}, default ({c['rule']})", c["detection"])]
    for seed, r in result["other_seeds"].items():
        lines += [_detection_row(f"{seed}, previous", r["detection_previous_rule"]),
                  _detection_row(f"{seed}, default", r["detection"])]
    lines += ["", f"Rule sweep (seed {c['seed']}, same baselines; the path's lost sales and "
              "total cost in the pooled simulation):", "",
              "| rule | detected | missed | false alarms | delay p50 (h) | path lost units | "
              "path total cost | per location: same-day share | per location: total cost |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {v['rule']} | {v['detected']} | {v['missed']} | {v['false_alarms']} | "
              f"{v['detection_delay_hours_p50']} | {v['path_lost_sales_units']} | "
              f"{v['path_total_cost']} | {v['network_same_day_share']} | "
              f"{v['network_total_cost']} |" for v in c["rule_sweep"]]
    lines += ["", "## Real system", "",
              "| database | signals/s | spike batch -> PO change p50 (ms) | max (ms) |",
              "| --- | ---: | ---: | ---: |"]
    lines += [f"| {s['database']} | {s['signals_per_second']} | "
              f"{s['detection_to_po_change_ms_p50']} | {s['detection_to_po_change_ms_max']} |"
              for s in result["system"]]
    f = result["fit"]
    lines += ["", "## Baseline fit (statsforecast)", "",
              f"{f['series']} series of {f['hours_each']} hourly points: first call "
              f"{f['seconds_first_call']} s (JIT compile included), warm {f['seconds_warm']} s. "
              f"Methods: {f['methods']}. MASE on a held-out week (median per method, scaled by "
              f"the in-sample one-day seasonal naive): {f['mase_held_out_week']}. "
              f"WRMSSE per level (same week, weights = training units): "
              f"{f['wrmsse_held_out_week']}.", ""]
    return "\n".join(lines)
