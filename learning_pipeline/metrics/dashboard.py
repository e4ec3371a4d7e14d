"""`GET /dashboard`: one self-contained HTML page (inline SVG charts, inline CSS, no script, no
external request), built from the same reports the API serves."""

from __future__ import annotations

import datetime as dt
from html import escape

from learning_pipeline.config import LearningSettings
from learning_pipeline.metrics import charts
from learning_pipeline.metrics.predictions import prediction_distribution
from learning_pipeline.metrics.report import improvement_report, metrics_report

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2630}
header{background:#1f4e79;color:#fff;padding:14px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{padding:10px 28px 40px}section{background:#fff;border-radius:8px;padding:14px 18px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:12px 0 6px}.grid{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #dde3ea;border-radius:6px;padding:10px 12px;min-width:190px;flex:1}
.card .label{font-size:12px;color:#5a6b7b}.card .value{font-size:22px;font-weight:600;margin:2px 0}
.card .ci,.card .plan{font-size:11px;color:#5a6b7b}.improved{color:#2e7d32}.worse{color:#c62828}.flat{color:#7f8c8d}
table{border-collapse:collapse;font-size:12px;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6eaef;vertical-align:top}
th{color:#5a6b7b;font-weight:600}svg.chart{max-width:100%;height:auto}.note{font-size:12px;color:#5a6b7b}
.status-failed,.status-rejected{color:#c62828}.status-promoted,.status-completed{color:#2e7d32}
"""


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if unit == "share of builds":
        return f"{value * 100:.1f}%"
    if unit == "patterns":
        return f"{int(value):,}"
    return f"{value:.2f}"


def _week(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _kpi_cards(improvement: dict) -> str:
    if not improvement["kpis"]:
        return f'<p class="note">Baseline vs latest: {escape(improvement.get("note", "not enough data"))}.</p>'
    cards = []
    for row in improvement["kpis"]:
        latest, base = row["latest"], row["baseline"]
        verdict = row["verdict"]
        css = "improved" if verdict in ("improved", "grew") else "worse" if verdict == "worse" else "flat"
        interval = (f'95% CI {_fmt(latest["low"], row["unit"])} – {_fmt(latest["high"], row["unit"])}, n={latest["n"]}'
                    if latest["low"] is not None else f'n={latest["n"]}')
        change = row["changeInterval"]
        scale = 100 if row["unit"] == "share of builds" else 1
        change_text = "" if row["change"] is None else (
            f'change {row["change"] * scale:+.2f}' + (f' [{change[0] * scale:+.2f}, {change[1] * scale:+.2f}]' if change else ""))
        cards.append(
            f'<div class="card" data-kpi="{escape(row["key"])}"><div class="label">{escape(row["label"])}</div>'
            f'<div class="value">{_fmt(latest["value"], row["unit"])}</div><div class="ci">{interval}</div>'
            f'<div class="ci">baseline week {_fmt(base["value"], row["unit"])} · {change_text} '
            f'<span class="{css}">{escape(verdict)}</span></div>'
            f'<div class="plan">plan: {_fmt(row["plan"]["baseline"], row["unit"])} → {_fmt(row["plan"]["threeMonths"], row["unit"])} (3 mo)'
            f' → {_fmt(row["plan"]["sixMonths"], row["unit"])} (6 mo)</div></div>')
    return (f'<p class="note">Week of {improvement["baselineWeek"]} (baseline) against week of {improvement["latestWeek"]} (latest); '
            f'weeks with at least {improvement["minBuildsPerWeek"]} builds. Change intervals resample each week\'s builds.</p>'
            f'<div class="grid">{"".join(cards)}</div>')


def _kpi_charts(report: dict) -> str:
    out = []
    for kpi in report["kpis"]:
        weeks = kpi["weeks"]
        if not weeks:
            continue
        if kpi["unit"] == "patterns":
            continue  # drawn in its own section
        targets = {"plan 3 mo": kpi["plan"]["threeMonths"], "plan 6 mo": kpi["plan"]["sixMonths"]}
        out.append(charts.kpi_chart(f'kpi-{kpi["key"]}', kpi["label"], [_week(w["weekStart"]) for w in weeks],
                                    [w["value"] for w in weeks], [w["low"] for w in weeks], [w["high"] for w in weeks], targets, kpi["unit"]))
    return '<div class="grid">' + "".join(f"<div>{c}</div>" for c in out) + "</div>" if out else '<p class="note">No build summaries yet.</p>'


def _patterns(report: dict) -> str:
    kpi = next(k for k in report["kpis"] if k["key"] == "patternsInLibrary")
    if not report["totals"]["patterns"]:
        return '<p class="note">The pattern library is empty.</p>'
    chart = charts.growth("pattern-growth", "Patterns in library", [_week(w["weekStart"]) for w in kpi["weeks"]],
                          [w["n"] for w in kpi["weeks"]]) if kpi["weeks"] else ""
    rows = "".join(f"<tr><td>{escape(c)}</td><td>{n}</td></tr>" for c, n in report["patternsByCategory"].items())
    return (f'<div class="grid"><div>{chart}</div><div><table><tr><th>category</th><th>patterns</th></tr>{rows}'
            f'<tr><th>total</th><th>{report["totals"]["patterns"]}</th></tr></table></div></div>')


def _models(report: dict) -> str:
    parts = []
    for model in report["shadowModels"]:
        name = model["name"]
        if not model["versions"]:
            parts.append(f'<h3>{escape(name)}</h3><p class="note">No version trained yet.</p>')
            continue
        scored = any(v["evalScore"] is not None for v in model["versions"])
        chart = charts.model_versions(f"model-{name}", name, model["versions"]) if scored else '<p class="note">No version evaluated yet.</p>'
        rows = "".join(
            f'<tr><td>v{v["version"]}</td><td class="status-{escape(v["outcome"])}">{escape(v["outcome"])}</td>'
            f'<td>{_fmt(v["evalScore"])}</td><td>{v["trainingDataCount"] or 0}</td>'
            f'<td>{escape(v["trainingDate"] or "")}</td><td>{escape("; ".join(v["gate"]["reasons"]) if v["gate"] else "")}</td></tr>'
            for v in model["versions"])
        history = "".join(f'<li>{escape(e["at"] or "")}: {escape(e["action"])} v{e["version"]}'
                          f'{"" if e["replacedVersion"] is None else " (replacing v" + str(e["replacedVersion"]) + ")"}'
                          f'{"" if not e["note"] else " — " + escape(e["note"])}</li>' for e in model["promotionHistory"])
        parts.append(
            f'<h3>{escape(name)} — champion {"v" + str(model["champion"]) if model["champion"] else "the base model"}</h3>'
            f'<div class="grid"><div>{chart}</div><div style="flex:1"><table><tr><th>version</th><th>outcome</th><th>eval score</th>'
            f'<th>pairs</th><th>trained</th><th>gate</th></tr>{rows}</table>'
            f'{"<ul class=note>" + history + "</ul>" if history else ""}</div></div>')
    return "".join(parts)


def _training(report: dict) -> str:
    rows = []
    for model in report["shadowModels"]:
        last = model["lastRun"]
        runs = ", ".join(f"{n} {s}" for s, n in model["runs"].items()) or "none"
        rows.append(f'<tr><td>{escape(model["name"])}</td><td>{runs}</td>'
                    + (f'<td class="status-{escape(last["status"])}">{escape(last["status"])}{"" if last["version"] is None else " (v" + str(last["version"]) + ")"}</td>'
                       f'<td>{escape(last["startedAt"] or "")}</td><td>{_fmt(last["finalLoss"])}</td>'
                       f'<td>{escape((last["error"] or "")[:200])}</td>' if last else '<td>never ran</td><td></td><td></td><td></td>') + "</tr>")
    weekly = report["weekly"]
    labels = [_week(w["weekStart"]).strftime("%d %b") for w in weekly]
    pair_chart = charts.bars("pairs-per-week", "Preference pairs per week", labels, [w["pairs"] for w in weekly], "pairs") if weekly else ""
    cost_chart = charts.bars("judge-cost-per-week", "Judge cost per week", labels, [w["judgeCostUsd"] for w in weekly], "USD",
                             colour="#7f6000") if weekly else ""
    totals = report["totals"]
    return (f'<table><tr><th>model</th><th>training runs</th><th>last run</th><th>started</th><th>final loss</th><th>error</th></tr>'
            f'{"".join(rows)}</table><p class="note">{totals["pairs"]} preference pairs, {totals["judgments"]} judgments '
            f'costing ${totals["judgeCostUsd"]:.4f} in all.</p><div class="grid"><div>{pair_chart}</div><div>{cost_chart}</div></div>')


def _predictions(dist: dict) -> str:
    if dist["state"] != "ok":
        return f'<p class="note">{escape(dist["state"])}.</p>'
    hist = dist["histogram"]
    chart = charts.bars("success-predictions", "Predicted first-attempt success, latest week", [f'{h["from"]:.1f}' for h in hist],
                        [h["builds"] for h in hist], "builds", marker=dist["interveneBelow"] * len(hist) - 0.5,
                        marker_label=f'intervene below {dist["interveneBelow"]:.2f}')
    evaluation = dist["predictorEvaluation"]
    figures = " · ".join(f'{k.replace("_", " ")} AUC {v["auc"]:.3f}' for k, v in evaluation.items() if isinstance(v, dict) and "auc" in v)
    return (f'<div class="grid"><div>{chart}</div><div class="note"><p>{dist["builds"]} builds since {dist["since"]} '
            f'({dist["unseenByPredictor"]} the predictor never trained on); mean predicted {dist["meanProbability"]:.2f}, '
            f'observed first-attempt success {dist["observedSuccessRate"]:.2f}; {dist["wouldIntervene"]} would get an intervention.</p>'
            f'<p>Held-out evaluation: {escape(figures)}</p></div></div>')


def render_dashboard(settings: LearningSettings) -> str:
    report, improvement = metrics_report(settings), improvement_report(settings)
    dist = prediction_distribution(settings)
    totals = report["totals"]
    sections = [
        ("kpis", "Learning KPIs: baseline week vs latest week", _kpi_cards(improvement)),
        ("improvement", "Improvement over time (per week, 95% intervals, plan targets dashed)", _kpi_charts(report)),
        ("patterns", "Pattern-library growth", _patterns(report)),
        ("models", "Shadow-model evolution", _models(report)),
        ("training", "Training pipeline status", _training(report)),
        ("predictions", "Success predictions (current distribution)", _predictions(dist)),
    ]
    body = "".join(f'<section id="{sid}"><h2>{escape(title)}</h2>{html}</section>' for sid, title, html in sections)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Learning dashboard</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head><body>'
            f'<header><h1>Learning dashboard</h1><p>{totals["builds"]} builds · {totals["errors"]} errors · '
            f'{totals["patterns"]} patterns · {totals["pairs"]} pairs · generated {escape(report["generatedAt"])}</p></header>'
            f'<main>{body}</main></body></html>')
