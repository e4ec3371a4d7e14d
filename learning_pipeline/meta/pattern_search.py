"""Search the pattern library: similarity and outcome, conditions, and a minimum relevance.

The index is built in memory from the library table itself (the vectors are a column of it),
so it can never disagree with the patterns. Small libraries are searched exactly (one matrix
product); from `exact_search_below` patterns on, an inverted-file index (faiss IVF, inner
product on unit vectors) narrows the scan to the few cells nearest the query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from learning_pipeline.config import MetaConfig
from learning_pipeline.meta.embeddings import unit_rows

WIRE_FIELDS = ("patternId", "category", "name", "problem", "solutionTemplate", "codeTemplate", "similarity",
               "successRate", "usageCount", "score")


@dataclass(frozen=True)
class Hit:
    row: int
    similarity: float
    score: float


def context_terms(context: dict | None) -> dict[str, str]:
    """The builder's context as condition terms: {"appSoul": ..., "errorType": ...} -> key=value."""
    return {k: str(v) for k, v in (context or {}).items() if v is not None and not isinstance(v, (list, dict))}


def allowed(conditions: list[str], anti_conditions: list[str], terms: dict[str, str]) -> bool:
    """A condition restricts only keys the context states: where the context names a value for
    a key the pattern is conditioned on, it must be one of the pattern's values; an anti-condition
    the context matches always excludes."""
    if any(f"{k}={v}" in anti_conditions for k, v in terms.items()):
        return False
    by_key: dict[str, set[str]] = {}
    for condition in conditions:
        key, _, value = condition.partition("=")
        by_key.setdefault(key, set()).add(value)
    return all(terms[key] in values for key, values in by_key.items() if key in terms)


def _matrix(column: pl.Series) -> np.ndarray:
    """The embedding column (fixed-size array, or a list column as JSON-born frames have) as unit rows."""
    if not isinstance(column.dtype, pl.Array):
        column = column.cast(pl.Array(pl.Float32, len(column[0])))
    return unit_rows(column.to_numpy())


class PatternIndex:
    def __init__(self, library: pl.DataFrame, config: MetaConfig = MetaConfig(), nprobe: int | None = None):
        self.library = library
        self.config = config
        self.embedder = library.get_column("embedder").first() if library.height else None
        self.vectors = _matrix(library.get_column("embedding")) if library.height else np.zeros((0, 1), np.float32)
        self.categories = np.array(library.get_column("category").to_list()) if library.height else np.array([])
        self.success = library.get_column("success_rate").to_numpy() if library.height else np.array([])
        self.conditions = library.get_column("conditions").to_list() if library.height else []
        self.anti = library.get_column("anti_conditions").to_list() if library.height else []
        self.ivf = self._build_ivf(nprobe or config.ivf_nprobe) if library.height >= config.exact_search_below else None

    def _build_ivf(self, nprobe: int):
        import faiss

        n, dim = self.vectors.shape
        cells = max(1, int(4 * math.sqrt(n)))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, cells, faiss.METRIC_INNER_PRODUCT)
        # k-means on a sample with few iterations: cell quality barely matters once nprobe cells are scanned.
        index.cp.niter = 10
        index.cp.max_points_per_centroid = 64
        index.train(self.vectors)
        index.add(self.vectors)
        index.nprobe = nprobe
        return index

    def __len__(self) -> int:
        return self.library.height

    def nearest(self, query: np.ndarray, k: int, category: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, similarities) of the k most similar patterns, best first."""
        if self.ivf is not None and category is None:
            sims, rows = self.ivf.search(query.reshape(1, -1).astype(np.float32), k)
            keep = rows[0] >= 0
            return rows[0][keep], sims[0][keep]
        sims = self.vectors @ query
        if category is not None:
            sims = np.where(self.categories == category, sims, -np.inf)
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k] if k else np.array([], dtype=int)
        top = top[np.argsort(-sims[top])]
        top = top[np.isfinite(sims[top])]
        return top, sims[top]

    def search(self, query: np.ndarray, category: str | None = None, k: int | None = None,
               context: dict | None = None, min_relevance: float | None = None) -> list[Hit]:
        """The k best patterns by score among those similar enough and allowed in the context;
        none when nothing reaches the minimum relevance."""
        k = self.config.default_k if k is None else k
        floor = self.config.min_relevance if min_relevance is None else min_relevance
        if not len(self) or k <= 0:
            return []
        # Over-fetch by similarity, then gate, filter by conditions and rerank with the outcome.
        rows, sims = self.nearest(unit_rows(query.reshape(1, -1))[0], max(50, 10 * k), category)
        terms = context_terms(context)
        w = self.config.outcome_weight
        hits = [
            Hit(int(r), float(s), (1 - w) * float(s) + w * float(self.success[r]))
            for r, s in zip(rows, sims)
            if s >= floor and (category is None or self.categories[r] == category)
            and allowed(self.conditions[r], self.anti[r], terms)
        ]
        return sorted(hits, key=lambda h: -h.score)[:k]

    def wire(self, hit: Hit) -> dict:
        row = self.library.row(hit.row, named=True)
        return {
            "patternId": row["pattern_id"], "category": row["category"], "name": row["name"],
            "problem": row["problem"], "solutionTemplate": row["solution_template"],
            "codeTemplate": row["code_template"], "similarity": round(hit.similarity, 4),
            "successRate": round(row["success_rate"], 4), "usageCount": row["usage_count"],
            "score": round(hit.score, 4), "conditions": row["conditions"], "antiConditions": row["anti_conditions"],
        }


def calibrate_min_relevance(relevant: list[float], irrelevant: list[float]) -> float:
    """The similarity floor that best separates queries the library can answer (their right
    pattern's similarity) from queries it cannot (their best similarity): the midpoint of the
    gap where the two sets separate, else the cut with the highest balanced accuracy."""
    relevant, irrelevant = np.sort(np.asarray(relevant)), np.sort(np.asarray(irrelevant))
    cuts = np.unique(np.concatenate([relevant, irrelevant]))
    best_cut, best = float(cuts[0]), -1.0
    for cut in cuts:
        accuracy = (np.mean(relevant >= cut) + np.mean(irrelevant < cut)) / 2
        if accuracy > best + 1e-12:
            best_cut, best = float(cut), accuracy
    # Centre the floor between the last irrelevant score below it and the cut itself.
    below = irrelevant[irrelevant < best_cut]
    return float((best_cut + below.max()) / 2) if below.size else best_cut
