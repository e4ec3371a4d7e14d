"""The metrics reports as readable text (`learning-pipeline metrics`): the same dicts the API
answers (`metrics_report`, `improvement_report`), laid out as tables. Presentation only."""

from __future__ import annotations


def _value(value, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share of builds":
        return f"{value * 100:.1f}%"
    if unit == "patterns":
        return f"{int(value):,}"
    return f"{value:.2f}"


def _interval(low, high, unit: str) -> str:
    return "" if low is None or high is None else f"[{_value(low, unit)}, {_value(high, unit)}]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def improvement_text(report: dict) -> str:
    """Baseline week against latest week, one KPI a row: values, intervals, change, verdict."""
    if not report["kpis"]:
        return f"baseline vs latest week: {report.get('note', 'not enough data')}"
    lines = [f"baseline week {report['baselineWeek']}  ->  latest week {report['latestWeek']}  "
             f"({int(report.get('confidence', 0.95) * 100)}% intervals)"]
    rows = []
    for kpi in report["kpis"]:
        unit, base, latest = kpi["unit"], kpi["baseline"], kpi["latest"]
        scale = 100 if unit == "share of builds" else 1
        change = "" if kpi["change"] is None else f"{kpi['change'] * scale:+.2f}"
        if kpi["changeInterval"]:
            low, high = kpi["changeInterval"]
            change += f" [{low * scale:+.2f}, {high * scale:+.2f}]"
        target = {True: "yes", False: "no", None: "-"}[kpi.get("meetsThreeMonthTarget")]
        rows.append([kpi["label"], f"{_value(base['value'], unit)} (n={base['n']})",
                     f"{_value(latest['value'], unit)} {_interval(latest['low'], latest['high'], unit)} (n={latest['n']})".replace("  ", " "),
                     change, kpi["verdict"], target])
    lines += _table(["KPI", "baseline", "latest [interval]", "change [interval]", "verdict", "3-month target"], rows)
    return "\n".join(lines)


def metrics_text(report: dict) -> str:
    """Every KPI's latest week with its interval, the totals, and the shadow models."""
    totals = report["totals"]
    lines = [f"builds {totals['builds']:,}  errors {totals['errors']:,}  patterns {totals['patterns']:,}  "
             f"pairs {totals['pairs']:,}  judgments {totals['judgments']:,}  judge cost ${totals['judgeCostUsd']:.4f}", ""]
    rows = []
    for kpi in report["kpis"]:
        unit, weeks = kpi["unit"], kpi["weeks"]
        last = weeks[-1] if weeks else None
        rows.append([kpi["label"], str(len(weeks)),
                     "-" if last is None else last["weekStart"],
                     "-" if last is None else f"{_value(last['value'], unit)} {_interval(last['low'], last['high'], unit)}".strip(),
                     "-" if last is None else str(last["n"]), _value(kpi["plan"]["threeMonths"], unit)])
    lines += _table(["KPI", "weeks", "latest week", "value [interval]", "n", "3-month target"], rows)
    lines.append("")
    for model in report["shadowModels"]:
        outcomes = ", ".join(f"v{v['version']} {v['outcome']}" + (f" ({v['evalScore']:.3f})" if v["evalScore"] is not None else "")
                             for v in model["versions"]) or "no versions yet"
        champion = f"champion v{model['champion']}" if model["champion"] is not None else "no champion (base model)"
        lines.append(f"{model['name']}: {champion}; {outcomes}")
    return "\n".join(lines)
