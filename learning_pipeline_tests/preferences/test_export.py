"""Exports: TRL conversational records loadable with `datasets`; secrets refuse the export."""

import json

import dagster as dg
import datasets
import polars as pl
import pytest

from learning_pipeline.preferences.assets import preference_pair_export, preference_pairs
from learning_pipeline.preferences.export import SecretInExportError, export_lines, write_export
from learning_pipeline_tests.preferences.test_sensors import _pairs


def _with_texts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.format("Write the file src/{}.tsx", pl.col("pair_id")).alias("prompt"),
        pl.lit("interface Props { id: string }").alias("chosen"),
        pl.lit("function App(props: any) {}").alias("rejected"),
    )


def test_trl_export_loads_with_datasets_as_conversations(tmp_path):
    out = tmp_path / "pairs.jsonl"
    assert write_export(_with_texts(_pairs(12)), "trl", out) == 12
    dataset = datasets.load_dataset("json", data_files=str(out), split="train")
    assert dataset.num_rows == 12 and set(dataset.column_names) == {"prompt", "chosen", "rejected"}
    row = dataset[0]
    assert row["prompt"] == [{"role": "user", "content": "Write the file src/pcode0.tsx"}]
    assert row["chosen"][0]["role"] == "assistant" and row["rejected"][0]["content"].startswith("function App")


def test_jsonl_export_keeps_provenance(tmp_path):
    (line,) = export_lines(_with_texts(_pairs(1)), "jsonl")
    record = json.loads(line)
    assert record["pair_id"] == "pcode0" and record["judge_version"] == "jv" and record["split"] == "train"
    assert record["source_ids"] == [] and record["created_at"].startswith("2026-03-09")


def test_an_export_with_a_secret_is_refused_and_nothing_is_written(tmp_path):
    leaky = _with_texts(_pairs(3)).with_columns(
        pl.when(pl.col("pair_id") == "pcode1").then(pl.lit("const key = 'AKIAIOSFODNN7EXAMPLQ'")).otherwise(pl.col("chosen")).alias("chosen")
    )
    with pytest.raises(SecretInExportError, match="line 2: .*aws_access_key"):
        write_export(leaky, "trl", tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


def test_the_blocking_export_check_fails_on_a_secret_that_reached_the_pairs(learning_home):
    lake = learning_home.lake()
    leaky = _with_texts(_pairs(3)).with_columns(pl.lit("token ghp_0123456789abcdefghijABCDEFGHIJklmnopqr").alias("rejected"))
    lake.write("preference_pairs", leaky)
    result = dg.materialize(
        [preference_pairs, preference_pair_export], selection=["preference_pair_export"],
        resources={"learning_home": learning_home}, raise_on_error=False,
    )
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "export_free_of_secrets" and not check.passed
    assert check.metadata["lines_with_secrets"].value == 3


def _export(tmp_path, capsys, *args):
    from learning_pipeline.cli import main

    out = tmp_path / f"export-{len(list(tmp_path.glob('export-*')))}.jsonl"
    assert main(["export-pairs", "--out", str(out), *args]) == 0
    return [json.loads(line) for line in out.read_text().splitlines()], capsys.readouterr().out


def test_export_pairs_selects_a_split_and_says_which_on_every_pair(learning_home, tmp_path, capsys):
    flagged = _with_texts(_pairs(1, split="flagged", start=300)).with_columns(
        pl.lit("prompt_injection:role_tag").alias("flag"))
    learning_home.lake().write("preference_pairs", pl.concat(
        [_with_texts(_pairs(4)).with_columns(pl.lit(None, pl.String).alias("flag")),
         _with_texts(_pairs(2, split="held_out", start=100)).with_columns(pl.lit(None, pl.String).alias("flag")), flagged]))

    train, printed = _export(tmp_path, capsys, "--format", "jsonl")  # the default: the training split
    assert [r["split"] for r in train] == ["train"] * 4
    assert "split train" in printed and "1 pairs flagged for review (prompt injection) left out" in printed
    held, _ = _export(tmp_path, capsys, "--format", "jsonl", "--split", "held_out")
    assert [r["split"] for r in held] == ["held_out"] * 2
    every, _ = _export(tmp_path, capsys, "--format", "jsonl", "--split", "all")
    assert sorted(r["split"] for r in every) == ["flagged"] + ["held_out"] * 2 + ["train"] * 4
    assert next(r for r in every if r["split"] == "flagged")["flag"] == "prompt_injection:role_tag"
    trl, _ = _export(tmp_path, capsys, "--format", "trl", "--split", "all")  # a training format: never the flagged
    assert len(trl) == 6
    alias, _ = _export(tmp_path, capsys, "--format", "jsonl", "--include-held-out")  # the old spelling
    assert len(alias) == 7


@pytest.mark.heavy
def test_the_pipeline_export_trains_a_few_dpo_steps(tmp_path):
    """The export, as written by `export-pairs --format trl`, loads with datasets and trains with TRL."""
    from learning_pipeline.training.dpo import DPOTrainingConfig, train_dpo_lora
    from learning_pipeline.training.tiny_model import build_tiny_llama

    pairs = _with_texts(_pairs(16))
    out = tmp_path / "pairs.trl.jsonl"
    write_export(pairs, "trl", out)
    corpus = pairs["prompt"].to_list() + pairs["chosen"].to_list() + pairs["rejected"].to_list()
    base = build_tiny_llama(corpus * 4, tmp_path / "tiny", vocab_size=400)
    metrics = train_dpo_lora(base, out, tmp_path / "adapter", DPOTrainingConfig(max_steps=3, batch_size=8, max_length=64))
    assert metrics["steps"] == 3 and (tmp_path / "adapter" / "adapter_config.json").exists()
