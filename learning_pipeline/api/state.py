"""What the API answers from memory, reloaded when the asset behind it is re-materialized.

Each answer is keyed on the (path, mtime, size) of the files its asset writes: a request stats
those few files (cheap) and reloads only when one changed, so a new materialization is served
without a restart and a run in progress is never waited on (lake files are replaced atomically).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Generic, TypeVar

from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import DATA_FILE, Lake
from learning_pipeline.meta.guidance import load_predictor, predictor_dir
from learning_pipeline.meta.service import OBSERVATIONS_TABLE, POSTERIORS_TABLE, strategy_model

T = TypeVar("T")


def _stamp(paths: list[Path]) -> tuple:
    out = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def table_files(lake: Lake, table: str) -> list[Path]:
    folder = lake.table_dir(table)
    return sorted(folder.rglob(DATA_FILE)) if folder.exists() else []


class Reloading(Generic[T]):
    def __init__(self, files: Callable[[], list[Path]], load: Callable[[], T]):
        self._files, self._load = files, load
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._value: T | None = None

    def get(self) -> T:
        stamp = _stamp(self._files())
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._value = self._load()
                    self._stamp = stamp
        return self._value  # type: ignore[return-value]


class LearnedState:
    """The strategy model and the success predictor, as of their last materialization. (The
    pattern index is cached the same way by `meta.service.load_index`.)"""

    def __init__(self, settings: LearningSettings):
        lake = Lake(settings.lake_dir)
        self.strategies = Reloading(
            lambda: table_files(lake, OBSERVATIONS_TABLE) + table_files(lake, POSTERIORS_TABLE),
            lambda: strategy_model(settings),
        )
        folder = predictor_dir(settings)
        self.predictor = Reloading(
            lambda: sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else [],
            lambda: load_predictor(settings),
        )
