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


class Warmer:
    """Reloads what changed in the background, every few seconds, so the first request after a
    materialization (a 100k-pattern index takes tens of seconds to build) rarely pays for it."""

    def __init__(self, settings: LearningSettings, learned: "LearnedState", every_s: float = 3.0):
        self.settings, self.learned, self.every_s = settings, learned, every_s
        self.error: str | None = None
        # Held while reloading: a request that needs the pattern index waits for a build in
        # progress instead of starting a second one beside it.
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-warmer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from learning_pipeline.meta.service import load_index

        while True:
            try:
                with self.lock:
                    load_index(Lake(self.settings.lake_dir), self.settings.meta)
                self.learned.strategies.get()
                self.learned.predictor.get()
                self.error = None
            except Exception as err:  # a half-written or foreign file: requests will say so; keep watching
                self.error = f"{type(err).__name__}: {err}"
            if self._stop.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stop.set()


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
