"""`learning-pipeline`: the command line over the same code the Dagster assets run."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from tqdm import tqdm

from learning_pipeline.config import ConfigError, DemoConfig, LearningSettings
from learning_pipeline.service.status import status_report


def _settings() -> LearningSettings:
    return LearningSettings.from_env()


# -- simulate ------------------------------------------------------------------------------------
def cmd_simulate(args) -> int:
    from learning_pipeline.simulation import simulate

    end = dt.date.fromisoformat(args.end_date) if args.end_date else None
    summary = simulate(builds=args.builds, seed=args.seed, days=args.days, out=Path(args.out), end_date=end)
    print(
        f"simulated {summary.builds} builds over {args.days} days: {summary.lines} lines "
        f"({summary.bad_lines} deliberately bad, {summary.planted_secrets} planted secrets) -> {summary.out}\n"
        f"hidden ground truth -> {summary.truth_path}"
    )
    return 0


# -- ingest --------------------------------------------------------------------------------------
def cmd_ingest(args) -> int:
    """Exit 0 when everything landed clean, 1 when a file or a line was rejected (the others
    were still landed), 2 when there was nothing to ingest."""
    import sqlite3

    from learning_pipeline.capture.ingest import IngestError, expand_paths, ingest_path
    from learning_pipeline.capture.landing import LandingZone

    zone = LandingZone(_settings().landing_dir)
    paths = expand_paths(args.paths)
    if not paths:
        print("nothing to ingest: no trace files or databases found", file=sys.stderr)
        return 2
    rejected = 0
    with tqdm(desc="ingesting", unit=" lines", disable=args.quiet) as bar:
        for path in paths:
            try:
                report = ingest_path(path, zone, progress=bar.update)
            except IngestError as err:
                tqdm.write(f"error: {err}", file=sys.stderr)
                rejected += 1
                continue
            except (OSError, sqlite3.Error) as err:  # the landing zone itself: every later file would fail too
                raise ConfigError(f"cannot write the landing zone {zone.root} while ingesting {path}: "
                                  f"{getattr(err, 'strerror', None) or err}") from None
            r = report.receipt
            tqdm.write(
                f"{path} ({report.format}): {r.lines} lines landed in {len(r.files_written)} files over "
                f"{len(r.lines_by_partition)} days; {r.duplicate_lines} lines already landed; "
                f"{sum(r.redactions.values())} secrets redacted"
            )
            for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
                tqdm.write(f"rejected: {path}: {problem.where}: {problem.field}: {problem.reason[:200]}", file=sys.stderr)
            if r.invalid_lines > MAX_PROBLEMS_SHOWN:
                tqdm.write(f"rejected: {path}: {r.invalid_lines - MAX_PROBLEMS_SHOWN} more lines; `learning-pipeline run` puts "
                           f"every rejected line in the quarantine (`status` lists them by field)", file=sys.stderr)
            if report.broken and all(p.where != report.broken.where for p in report.problems[:MAX_PROBLEMS_SHOWN]):
                tqdm.write(f"error: {path}: {report.broken.where}: {report.broken.reason}", file=sys.stderr)
            rejected += report.rejected
    return 1 if rejected else 0


MAX_PROBLEMS_SHOWN = 5


# -- run -----------------------------------------------------------------------------------------
def run_pipeline(selection: list[str] | None = None, quiet: bool = False, force: bool = False) -> bool:
    """Materialize what is stale: the days whose landing files changed, what depends on them, and
    anything last materialized by other code. A second run with no new data does nothing."""
    import dagster as dg

    from learning_pipeline.capture.assets import CAPTURE_KEYS
    from learning_pipeline.capture.landing import LandingZone
    from learning_pipeline.capture.sensors import changed_partitions
    from learning_pipeline.definitions import defs
    from learning_pipeline.item_outcomes import item_outcomes
    from learning_pipeline.partitions import daily_partitions
    from learning_pipeline.runner import ensure_dagster_home, materialize_runs, plan_runs, stale_partitions

    settings = _settings()
    ensure_dagster_home(settings)

    keys = daily_partitions.get_partition_keys()
    with_data = sorted({max(p, keys[0]) for p in LandingZone(settings.landing_dir).partitions() if p <= keys[-1]})
    new_files = set(changed_partitions(defs.resources["learning_home"], keys[0], keys[-1]))
    instance = dg.DagsterInstance.get()
    plan = stale_partitions(defs, instance, with_data, selection, {k: new_files for k in CAPTURE_KEYS}, force=force)
    runs = plan_runs(defs, plan, selection)
    fresh = [k.to_user_string() for k, wanted in plan.items() if not wanted]
    if fresh:
        tqdm.write(f"up to date (no new or changed data): {', '.join(fresh)}")
    if not runs:
        tqdm.write("nothing to materialize: every selected asset is up to date")
        return True
    ok, finished = True, 0
    with tqdm(total=len(runs), desc="materializing", unit=" run", disable=quiet) as bar:
        for planned, result in materialize_runs(defs, instance, runs):
            finished += 1
            bar.update(1)
            names = ", ".join(k.to_user_string() for k in planned.keys)
            days = "" if planned.span is None else f" [{planned.span[0]}..{planned.span[1]}]"
            if not result.success:
                ok = False
                for event in result.all_events:
                    if event.is_step_failure:
                        tqdm.write(f"FAILED {event.step_key}: {event.event_specific_data.error.message.strip()}")
            else:
                outcomes = item_outcomes(result.all_events)
                broken = [o for o in outcomes if o.mostly_failed]
                for outcome in outcomes:
                    if outcome.failed:
                        tqdm.write(("FAILED " if outcome.mostly_failed else "") + outcome.describe()
                                   + " (kept as failed, retried on the next run)")
                ok = ok and not broken
                if not broken:
                    tqdm.write(f"ok: {names}{days}")
    return ok and finished == len(runs)


def resolve_selection(names: list[str]) -> list[str]:
    """The asset keys `--select` names: asset keys or Dagster selection strings. A key computed in
    one step with others (the capture step writes every raw table and the quarantine) brings
    them along. An unknown name is a ConfigError listing the valid ones."""
    import dagster as dg

    from learning_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    valid = sorted(k.to_user_string() for k in graph.materializable_asset_keys)
    keys: set = set()
    for name in filter(None, (n.strip() for n in names)):
        key = dg.AssetKey.from_user_string(name)
        if graph.has(key) and graph.get(key).is_materializable:
            keys.add(key)
            continue
        try:
            resolved = dg.AssetSelection.from_string(name).resolve(graph)
        except Exception:  # Dagster raises several types for a selection it cannot parse or resolve
            resolved = set()
        if not resolved:
            raise ConfigError(f"--select {name!r}: no such asset; valid names: {', '.join(valid)}")
        keys |= resolved
    if not keys:
        raise ConfigError(f"--select names no asset; valid names: {', '.join(valid)}")
    for key in list(keys):
        keys |= set(graph.get(key).execution_set_asset_keys)
    return sorted(k.to_user_string() for k in keys if graph.get(k).is_materializable)


def cmd_run(args) -> int:
    selection = resolve_selection(args.select.split(",")) if args.select else None
    return 0 if run_pipeline(selection, quiet=args.quiet, force=args.force) else 1


# -- status --------------------------------------------------------------------------------------
def cmd_status(args) -> int:
    report = status_report(_settings())
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"LEARNING_HOME {report['learning_home']}")
    print(f"landing: {report['landing']['files']} files over {report['landing']['days']} days")
    print("tables:")
    for table, rows in sorted(report["tables"].items()):
        print(f"  {table:<28} {rows:>9,}")
    q = report["quarantine"]
    print(f"quarantine: {q['count']} lines")
    for row in q["by_reason"][:10]:
        print(f"  {row['count']:>6}  {row['kind'] or '-'}.{row['field']}: {row['example'][:90]}")
    print(f"redactions: {report['redactions']['total']} {report['redactions']['by_kind']}")
    print(f"judgments: {report['judgments']['by_status']}  mean overall: {report['judgments']['mean_overall_by_judge']}")
    print(f"preference pairs (domain/split): {report['preference_pairs']}")
    if report["flagged_pairs"]:
        print(f"pairs flagged for review, never trained: {report['flagged_pairs']}")
    print("registry:")
    for name, model in report["registry"].items():
        champion = (f"champion v{model['champion']}" + (f" (eval {model['champion_eval_score']:.3f})" if model["champion_eval_score"] is not None else "")
                    if model["champion"] is not None else "no champion (base model)")
        print(f"  {name}: {champion}; versions {model['versions'] or 'none'}" + (f"; {model['problem']}" if "problem" in model else ""))
        run = model["last_training_run"]
        if run:
            loss = f", final loss {run['final_loss']:.4f}" if run["final_loss"] is not None else ""
            print(f"    last training run {run['run_id']}: {run['status']}{loss}" + (f": {run['error'][:150]}" if run["error"] else ""))
    print("last runs:" if report["last_runs"] else "last runs: none yet")
    for run in report["last_runs"]:
        what = ", ".join(run["assets"]) if run["assets"] else run["job"]
        print(f"  {run['started_at'] or '-':<25} {run['status']:<9} {what[:70]}" + (f" [{run['partition']}]" if run["partition"] else "")
              + (f" skipped: {run['skipped'][:80]}" if "skipped" in run else ""))
    return 0


# -- training and the registry -------------------------------------------------------------------
def train_models(quiet: bool = False, run_config: dict | None = None, threshold: int | None = None) -> bool:
    import dagster as dg

    from learning_pipeline.definitions import defs
    from learning_pipeline.run_keys import SKIP_REASON_TAG
    from learning_pipeline.runner import ensure_dagster_home, ready_training_requests, train_ready_models

    ensure_dagster_home(_settings())
    instance = dg.DagsterInstance.get()
    requests, why_not = ready_training_requests(defs, instance, threshold)
    ok, trained = True, 0
    def starting(model: str) -> None:
        if not quiet:
            print(f"    {model}: training, evaluating and gating (minutes on a CPU; each step's loss is in the run's log) ...",
                  flush=True)

    for model, result in train_ready_models(defs, instance, run_config, requests, starting=starting):
        trained += 1
        skipped = instance.get_run_by_id(result.run_id).tags.get(SKIP_REASON_TAG)
        if skipped:
            # Nothing trained, on purpose (already training elsewhere, or too few pairs left): not an error.
            print(f"    {model}: skipped: {skipped}")
            continue
        events = {e.asset_key.to_user_string(): {k: v.value for k, v in e.event_specific_data.materialization.metadata.items()}
                  for e in result.get_asset_materialization_events()}
        evaluation = events.get("adapter_evaluation")
        if evaluation:
            print(f"    {model}: {evaluation['held_out_pairs']} held-out pairs; accuracy by own likelihood: base "
                  f"{evaluation.get('base_likelihood_accuracy', float('nan')):.3f}, {evaluation['champion']} "
                  f"{evaluation['champion_accuracy']:.3f} -> candidate v{evaluation['candidate_version']} "
                  f"{evaluation['candidate_accuracy']:.3f} (95% interval over builds {evaluation['candidate_interval']}); "
                  f"best trivial baseline {evaluation.get('best_baseline', '-')}, candidate "
                  f"{evaluation.get('candidate_margin_over_best_baseline', float('nan')):+.3f} over it")
            print(f"    {model}: {_evaluation_details(evaluation)}")
        gate = next((c for c in result.get_asset_check_evaluations() if c.check_name == "promotion_gate"), None)
        reasons = gate.metadata["reasons"].value if gate is not None and "reasons" in gate.metadata else ""
        if "shadow_promotion" in events:
            print(f"    {model}: v{events['shadow_promotion']['promoted_version']} promoted (was "
                  f"{events['shadow_promotion']['previous_champion']})" + (f": {reasons}" if reasons else ""))
        elif evaluation:
            print(f"    {model}: v{evaluation['candidate_version']} rejected, the gate held {evaluation['champion']}"
                  + (f": {reasons}" if reasons else ""))
        if not result.success and not evaluation:
            ok = False
            for event in result.all_events:
                if event.is_step_failure:
                    print(f"    FAILED {event.step_key}: {event.event_specific_data.error.message.strip()[:300]}")
    if trained == 0:
        print(f"    nothing to train: {why_not}")
    return ok


def _evaluation_details(evaluation: dict) -> str:
    """The rest of the evaluation in one line: the implicit-reward measure beside the gate's, and
    every trivial baseline on the same held-out pairs."""
    parts = []
    for who in ("champion", "candidate"):
        value = evaluation.get(f"{who}_implicit_reward_accuracy")
        if value is not None:
            parts.append(f"{who} {value:.3f}")
    baselines = [(k[len("baseline_"):-len("_accuracy")].replace("_", " "), v) for k, v in evaluation.items()
                 if k.startswith("baseline_") and k.endswith("_accuracy")]
    text = ("by DPO implicit reward: " + ", ".join(parts) + "; ") if parts else ""
    text += "baselines: " + ", ".join(f"{name} {value:.3f}" for name, value in baselines)
    # Gate rule 4: the candidate's margin over each trivial baseline, whose interval must lie above the bar.
    margins = [(k[len("margin_over_"):-len("_absolute")].replace("_", " "), v) for k, v in evaluation.items()
               if k.startswith("margin_over_") and k.endswith("_absolute") and "interval" not in k]
    if margins:
        text += "; candidate over " + ", ".join(
            f"{name} {value:+.3f} ({evaluation.get('margin_over_' + name.replace(' ', '_') + '_interval_absolute', '')})"
            for name, value in margins)
    return text


def close_cycle() -> None:
    """Record the cycle that just turned (the `cycle_records` asset), as the daemon's
    cycle_record_sensor does, and print its line."""
    import dagster as dg

    from learning_pipeline.definitions import defs
    from learning_pipeline.runner import record_cycle

    result = record_cycle(defs, dg.DagsterInstance.get())
    if result is None:
        return
    event = next((e for e in result.get_asset_materialization_events()), None)
    if event is None:
        print("    the cycle record failed; see the run in the Dagster UI", file=sys.stderr)
        return
    m = {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}
    print(f"    cycle {m['cycle']} recorded: {m['traces_captured']} traces, {m['judgments_run']} judgments, "
          f"{m['pairs_generated']} new pairs, {m['models_trained']} trained, {m['models_promoted']} promoted, "
          f"{m['models_rejected']} rejected")


def cmd_train(args) -> int:
    ok = train_models()
    close_cycle()
    return 0 if ok else 1


def cmd_models(args) -> int:
    from learning_pipeline.lake import Lake
    from learning_pipeline.service.models import RegistryError, UnknownModelError, check_model, model_names, rollback, versions_report
    from learning_pipeline.training.registry import ShadowModelRegistry

    settings = _settings()
    registry = ShadowModelRegistry(Lake(settings.lake_dir))
    if args.name:
        try:
            check_model(args.name)
        except UnknownModelError as err:
            raise ConfigError(str(err)) from None
    names = [args.name] if args.name else model_names()
    if args.rollback:
        if not args.name:
            print("error: name the model to roll back", file=sys.stderr)
            return 2
        try:
            restored = rollback(settings, args.name)
        except RegistryError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"{args.name}: rolled back to v{restored['version']}")
        return 0
    report = versions_report(settings, names, iso=False)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    for name, versions in report.items():
        champion = next((v for v in versions if v["status"] == "promoted"), None)
        print(f"{name}: {len(versions)} versions, champion {('v' + str(champion['version'])) if champion else 'none (base model)'}")
        for v in versions:
            score = f"{v['eval_score']:.3f}" if v["eval_score"] is not None else "-"
            print(f"  v{v['version']:<3} {v['status']:<11} eval {score:<6} pairs {v['training_data_count']:<6} {v['training_date']}")
        history = registry.promotion_history(name)
        if history.height:
            print("  promotions: " + ", ".join(
                f"{e['action']} to v{e['version']}" + (f" (from v{e['replaced_version']})" if e["replaced_version"] is not None else "")
                for e in history.iter_rows(named=True)))
    return 0


def _check_output_path(raw: str) -> None:
    """Refuse, naming the path the user gave, an output that cannot be written (rather than fail
    later on a temporary file beside it)."""
    import os

    path = Path(raw)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigError(f"--out {raw}: is a folder; give a file path")
    if not parent.is_dir():
        raise ConfigError(f"--out {raw}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"--out {raw}: not writable (permission denied)")


# -- export-pairs --------------------------------------------------------------------------------
def cmd_export_pairs(args) -> int:
    from learning_pipeline.lake import Lake
    from learning_pipeline.preferences.export import SecretInExportError, select_split, write_export

    _check_output_path(args.out)
    pairs = Lake(_settings().lake_dir).read("preference_pairs")
    if pairs.height == 0:
        print("no preference pairs yet: run `learning-pipeline run` first", file=sys.stderr)
        return 2
    split = "all" if args.include_held_out else args.split
    selected = select_split(pairs, split, args.format)
    try:
        written = write_export(selected, args.format, Path(args.out))
    except SecretInExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # the temporary file beside it is an implementation detail: name the user's path
        raise ConfigError(f"--out {args.out}: cannot be written ({err.strerror or err})") from None
    left_out = 0 if split == "all" and args.format == "jsonl" else int((pairs.get_column("split") == "flagged").sum())
    note = f"; {left_out} pairs flagged for review (prompt injection) left out" if left_out else ""
    print(f"{written} pairs ({args.format}, split {split}) -> {args.out}{note}")
    return 0


# -- patterns and strategies --------------------------------------------------------------------
def cmd_patterns(args) -> int:
    from learning_pipeline.meta.service import PatternLibraryError, list_patterns, search_patterns

    try:
        if args.action == "search":
            answer = search_patterns(_settings(), args.query, category=args.category, k=args.k)
        else:
            answer = list_patterns(_settings(), category=args.category)
    except PatternLibraryError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    if not answer["results"]:
        print("no pattern is relevant enough" if args.action == "search" else "the pattern library is empty: run `learning-pipeline run`")
    for r in answer["results"]:
        figures = f"similarity {r['similarity']:.2f}  score {r['score']:.2f}  " if "score" in r else f"sources {r['sourceCount']}  "
        print(f"[{r['category']}] {r['name']}\n    {figures}success {r['successRate']:.2f} over {r['usageCount']} uses  ({r['patternId']})")
        print(f"    problem:  {r['problem'][:110]}")
        print(f"    solution: {r['solutionTemplate'].splitlines()[0][:110] if r['solutionTemplate'] else '-'}")
    return 0


def cmd_strategies(args) -> int:
    from learning_pipeline.meta.service import list_strategies, recommend_strategy

    if args.action == "recommend":
        try:
            context = json.loads(args.context) if args.context else {}
            answer = recommend_strategy(_settings(), args.domain, context)
        except (KeyError, json.JSONDecodeError) as err:
            print(f"error: {err.args[0] if isinstance(err, KeyError) else f'--context is not JSON: {err}'}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(answer, indent=2))
        else:
            low, high = answer["credibleInterval"]
            print(f"{answer['domain']}: {answer['strategy']} ({answer['status']}) posterior mean {answer['posteriorMean']:.2f} "
                  f"[{low:.2f}, {high:.2f}], propensity {answer['propensity']:.2f}{', exploratory' if answer['exploratory'] else ''}")
            for alt in answer["alternatives"]:
                print(f"    or {alt['strategy']} ({alt['status']}) {alt['posteriorMean']:.2f}")
        return 0
    answer = list_strategies(_settings(), args.domain)
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    if not answer["strategies"]:
        print("no strategy posteriors yet: run `learning-pipeline run`")
    for r in answer["strategies"]:
        low, high = r["credibleInterval"]
        print(f"{r['domain']:<16} {r['strategy'][:40]:<40} {r['status']:<12} {r['successRate']:.2f} [{low:.2f}, {high:.2f}] "
              f"used {r['usage']}")
    return 0


DEMO_QUERY = "TypeError: undefined is not an object (evaluating 'items.map')"  # Safari's wording; traces hold Chrome's


def print_meta_summary(settings: LearningSettings) -> None:
    """What the demo shows of strategy evolution and the pattern library."""
    from learning_pipeline.meta.service import PatternLibraryError, list_patterns, list_strategies, search_patterns

    print("\nStrategies (discounted Beta posteriors):")
    for r in list_strategies(settings)["strategies"]:
        low, high = r["credibleInterval"]
        print(f"  {r['domain']:<16} {r['strategy'][:34]:<34} {r['status']:<12} {r['successRate']:.2f} [{low:.2f}, {high:.2f}] used {r['usage']}")
    patterns = list_patterns(settings)["results"]
    by_category: dict[str, int] = {}
    for p in patterns:
        by_category[p["category"]] = by_category.get(p["category"], 0) + 1
    print(f"\nPattern library: {len(patterns)} patterns {by_category}")
    try:
        hits = search_patterns(settings, DEMO_QUERY)["results"]
    except PatternLibraryError as err:
        print(f"  sample search failed: {err}")
        return
    print(f"  search {DEMO_QUERY!r}:")
    for hit in hits or [{"name": "(nothing relevant enough)", "similarity": 0.0, "successRate": 0.0}]:
        print(f"    {hit['name'][:90]}  similarity {hit['similarity']:.2f}, success {hit['successRate']:.2f}")


def _print_json_or(answer: dict, as_json: bool, lines) -> None:
    if as_json:
        print(json.dumps(answer, indent=2))
    else:
        for line in lines(answer):
            print(line)


def _success_lines(answer: dict | None) -> list[str]:
    if answer is None:
        return ["success: no predictor trained yet"]
    verdict = "intervene" if answer["intervene"] else "on track"
    lines = [f"first-attempt success {answer['probability']:.2f} ({verdict}; threshold {answer['threshold']})"]
    lines += [f"    {s['signal']} = {s['value']}: {s['effect']:+.3f}" for s in answer["topSignals"]]
    return lines


def cmd_predict(args) -> int:
    from learning_pipeline.meta.guidance import GuidanceError, predict_success, read_trace_lines

    try:
        answer = predict_success(_settings(), read_trace_lines(Path(args.traces)), args.build_id)
    except GuidanceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    _print_json_or(answer, args.json, _success_lines)
    return 0


def cmd_guide(args) -> int:
    from learning_pipeline.meta.guidance import GuidanceError, guide
    from learning_pipeline.meta.service import PatternLibraryError

    try:
        request = json.loads(Path(args.context).read_text(encoding="utf-8"))
        answer = guide(_settings(), request)
    except OSError as err:
        print(f"error: {args.context}: cannot read ({err.strerror})", file=sys.stderr)
        return 2
    except json.JSONDecodeError as err:
        print(f"error: {args.context}: line {err.lineno}: invalid JSON ({err.msg})", file=sys.stderr)
        return 2
    except (GuidanceError, PatternLibraryError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    def lines(a: dict) -> list[str]:
        out = [f"{d}: {r['strategy']} (posterior mean {r['posteriorMean']:.2f}{', exploratory' if r['exploratory'] else ''})"
               for d, r in a["strategies"].items()] or ["strategies: none learned yet"]
        out += [f"pattern [{p['category']}] {p['name'][:90]} (similarity {p['similarity']:.2f})" for p in a["patterns"]] or ["patterns: none relevant enough"]
        return out + _success_lines(a["success"])

    _print_json_or(answer, args.json, lines)
    return 0


def print_predictor_summary(settings: LearningSettings) -> None:
    """The demo's view of the success predictor: held-out figures against the base rate."""
    from learning_pipeline.meta.guidance import predictor_dir
    from learning_pipeline.meta.success import EVALUATION_FILE

    path = predictor_dir(settings) / EVALUATION_FILE  # the figures only: no need to load the model
    if not path.exists():
        print("\nSuccess predictor: not trained (too few labelled builds)")
        return
    f = json.loads(path.read_text())
    print(f"\nSuccess predictor (fit on {f['train_builds']} earlier builds, scored on the {f['test_builds']} later ones):")
    for name, label in (("model", "early signals"), ("trivial", "error count only"), ("base_rate", "base rate")):
        print(f"  {label:<16} AUC {f[name]['auc']:.3f}  Brier {f[name]['brier']:.4f}  ECE {f[name]['ece']:.4f}")


# -- demo ----------------------------------------------------------------------------------------
def cmd_demo(args) -> int:
    """One simulated world, landed in two batches of days: each batch is ingested, materialized
    and trained on through the preference sensor's path, so the flywheel turns twice."""
    from learning_pipeline.capture.ingest import ingest_path
    from learning_pipeline.capture.landing import LandingZone
    from learning_pipeline.config import preference_threshold_from_env
    from learning_pipeline.demo_batches import split_by_day
    from learning_pipeline.simulation import simulate

    settings = _settings()
    demo = DemoConfig()
    folder = settings.home / "demo"
    out = folder / "traces.jsonl.gz"
    print(f"1/3 simulating {args.builds} builds over {args.days} days (seed {args.seed}) ...")
    end = dt.date.fromisoformat(args.end_date) if args.end_date else None
    summary = simulate(builds=args.builds, seed=args.seed, days=args.days, out=out, end_date=end)
    print(f"    {summary.lines} trace lines, {summary.bad_lines} deliberately bad, {summary.planted_secrets} planted secrets")
    last_day = end or dt.datetime.now(dt.timezone.utc).date()
    first_days = max(1, min(args.days - 1, round(args.days * demo.first_batch_share)))
    cut = last_day - dt.timedelta(days=args.days - first_days - 1)
    batches = split_by_day(out, cut, folder / "traces-earlier-days.jsonl.gz", folder / "traces-later-days.jsonl.gz")
    print(f"    delivered in two batches: days before {cut} ({batches[0].lines} lines), then from {cut} on "
          f"({batches[1].lines} lines)")
    configured = preference_threshold_from_env()
    threshold = demo.training_threshold or configured
    run_config = {"ops": {"training_batches": {"config": {"min_new_pairs": threshold}},
                          "shadow_adapter": {"config": {"max_steps": -1, "step_cap": demo.max_training_steps}}}}
    print(f"    a model trains when {threshold} new training pairs await it"
          + (f" (a demo setting: the configured threshold is {configured}, which this small world would not let "
             f"builder-coder reach twice)" if threshold != configured else " (the configured threshold)")
          + f"; a demo training run makes one pass over its pairs in at most {demo.max_training_steps} steps, "
             "to stay minutes on a laptop")
    report: dict = {}
    for cycle, batch in enumerate(batches, start=1):
        print(f"\n2/3 cycle {cycle}: ingesting {batch.path.name} ({batch.first_day} .. {batch.last_day}) ...")
        receipt = ingest_path(batch.path, LandingZone(settings.landing_dir)).receipt
        print(f"    {receipt.lines} lines landed ({receipt.duplicate_lines} were already there, "
              f"{sum(receipt.redactions.values())} secrets redacted before landing)")
        print(f"    cycle {cycle}: materializing the pipeline ...")
        if not run_pipeline(quiet=False):
            print("the pipeline failed; see the errors above", file=sys.stderr)
            return 1
        report = status_report(settings)
        print(f"    cycle {cycle}: preference pairs now {report['preference_pairs']}")
        print(f"3/3 cycle {cycle}: training the shadow models whose new pairs reached the threshold ...")
        if not train_models(quiet=False, run_config=run_config, threshold=demo.training_threshold):
            print("a training run failed; see the errors above", file=sys.stderr)
            return 1
        close_cycle()
    print("\nWhat the pipeline holds now:")
    for table, rows in sorted(report["tables"].items()):
        print(f"  {table:<28} {rows:>9,}")
    print(f"  quarantined lines: {report['quarantine']['count']} (bad lines planted: {summary.bad_lines})")
    print(f"  secrets redacted:  {report['redactions']['total']} {report['redactions']['by_kind']}")
    print(f"  judgments:         {report['judgments']['by_status']}, mean overall {report['judgments']['mean_overall_by_judge']}")
    print(f"  preference pairs:  {report['preference_pairs']}")
    print_meta_summary(settings)
    print_predictor_summary(settings)
    print(OPEN_IT)
    return 0


OPEN_IT = """
Open it all over the same data with:  make ui   (Ctrl-C stops both servers)
  Dagster UI      http://127.0.0.1:3000   asset graph, runs, automation; new landing files turn the cycle by themselves
  learning API    http://127.0.0.1:8000/docs   (routes under /api/learning; Authorization: Bearer $LEARNING_API_TOKEN when set)
  dashboard       http://127.0.0.1:8000/dashboard"""


def cmd_metrics(args) -> int:
    from learning_pipeline.metrics.report import improvement_report, metrics_report
    from learning_pipeline.metrics.text import improvement_text, metrics_text

    # the same service functions as GET /metrics and GET /metrics/improvement
    report = (improvement_report if args.improvement else metrics_report)(_settings())
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print((improvement_text if args.improvement else metrics_text)(report))
    return 0


def cmd_serve(args) -> int:
    from learning_pipeline.api.server import serve

    serve(args.host, args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    import os
    import warnings

    # Dagster flags beta/preview parameters (backfill policies) at import; users cannot act on it.
    warnings.filterwarnings("ignore", message=".*is currently in (beta|preview).*")
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft|trl)\b.*")
    # Nothing is downloaded, and the CLI shows its own progress, not each library's.
    for name, value in {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
                        "TRANSFORMERS_VERBOSITY": "error"}.items():
        os.environ.setdefault(name, value)
    parser = argparse.ArgumentParser(prog="learning-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="simulate, ingest and run the whole pipeline on the embedded default")
    p.add_argument("--builds", type=int, default=DemoConfig.builds)
    p.add_argument("--days", type=int, default=DemoConfig.days)
    p.add_argument("--seed", type=int, default=DemoConfig.seed)
    p.add_argument("--end-date", help="last simulated day (YYYY-MM-DD, default today)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("simulate", help="write realistic synthetic builder traces")
    p.add_argument("--builds", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--end-date", help="last simulated day (YYYY-MM-DD, default today)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("ingest", help="land .jsonl/.jsonl.gz trace files or a builder SQLite database")
    p.add_argument("paths", nargs="+")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("run", help="materialize the partitions with new or changed data, and what depends on them")
    p.add_argument("--select", help="comma-separated asset keys or selection strings")
    p.add_argument("--force", action="store_true", help="materialize every partition with data again, stale or not")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("export-pairs", help="export preference pairs for training (TRL) or with provenance (jsonl)")
    p.add_argument("--format", choices=["trl", "jsonl"], default="trl")
    p.add_argument("--out", required=True)
    p.add_argument("--split", choices=["train", "held_out", "all"], default="train",
                   help="which pairs: the training split (default), the held-out split (never for training), or all")
    p.add_argument("--include-held-out", action="store_true", help=argparse.SUPPRESS)  # the old spelling of --split all
    p.set_defaults(func=cmd_export_pairs)

    p = sub.add_parser("train", help="train, evaluate and promote every shadow model whose new pairs reached the threshold")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("models", help="list shadow models, show a model's history, or roll it back")
    p.add_argument("name", nargs="?")
    p.add_argument("--rollback", action="store_true", help="restore the previous champion of NAME")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("patterns", help="search or list the pattern library")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser("search", help="the patterns most relevant to QUERY (none when nothing is relevant enough)")
    q.add_argument("query")
    q.add_argument("--category", help="error_fix, code, design or architecture")
    q.add_argument("--k", type=int, default=None, help="how many patterns at most (default 3)")
    q.add_argument("--json", action="store_true")
    q = actions.add_parser("list", help="every pattern in the library")
    q.add_argument("--category")
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_patterns)

    p = sub.add_parser("strategies", help="strategy posteriors, or a recommendation for a domain")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser("list", help="every strategy's posterior and status")
    q.add_argument("--domain")
    q.add_argument("--json", action="store_true")
    q = actions.add_parser("recommend", help="Thompson-sample a strategy for DOMAIN in a context")
    q.add_argument("domain")
    q.add_argument("--context", help='JSON, e.g. {"appSoul": "developer_tools", "phase": "build", "tags": ["dashboard"]}')
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_strategies)

    p = sub.add_parser("predict", help="probability of first-attempt success from a build's traces so far")
    p.add_argument("--traces", required=True, help="the build's traces so far (JSONL, wire format)")
    p.add_argument("--build-id", default=None)
    p.add_argument("--json", action="store_true", help="print the /predict/success answer")
    p.set_defaults(func=cmd_predict)
    p = sub.add_parser("guide", help="what the builder should inject: strategies, patterns, success prediction")
    p.add_argument("--context", required=True, help="a JSON file shaped as the POST /guidance body")
    p.add_argument("--json", action="store_true", help="print the /guidance answer")
    p.set_defaults(func=cmd_guide)
    p = sub.add_parser("serve", help="the learning API (FastAPI) over LEARNING_HOME")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("metrics", help="the learning KPIs per week with intervals (GET /metrics), or baseline vs latest week")
    p.add_argument("--improvement", action="store_true", help="baseline week against latest week (GET /metrics/improvement)")
    p.add_argument("--json", action="store_true", help="the API's JSON answer instead of a table")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("status", help="counts per table, quarantine, redactions, the registry, promoted models, last runs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as err:
        # A setting or a name the user gave: one line that names it, no traceback.
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
