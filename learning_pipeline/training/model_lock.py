"""At most one training run per shadow model, whoever starts it: the daemon, the UI or the CLI.

The run queue's tag limit only sees runs the daemon launches; `learning-pipeline train` (and the
demo) run the training job in process and never pass through it. So a training run takes an
exclusive lock file per model under LEARNING_HOME and keeps it for the rest of the run: the
training job runs its steps in one process (the run worker, or the CLI), and the lock lives as
long as that process holds it. It is an flock, so a holder that dies (kill -9 included) releases
it with its process and never strands a model. The file names its holder, so whoever is turned
away can say which run is training.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import threading
from pathlib import Path
from typing import Callable, IO


class ModelBusy(RuntimeError):
    """Another run holds the model's training lock."""

    def __init__(self, model: str, holder: dict):
        self.model, self.holder = model, holder
        who = f"run {holder.get('run_id', '?')}" + (f" (pid {holder['pid']} on {holder.get('host', '?')}, since {holder.get('since', '?')})"
                                                    if holder.get("pid") else "")
        super().__init__(f"{model} is already training in {who}")


# Locks this process holds: lock file -> (run id, open file). Guarded for runs in threads.
_held: dict[str, tuple[str, IO]] = {}
_guard = threading.Lock()


def lock_path(home: Path, model: str) -> Path:
    return Path(home) / "locks" / f"training-{model}.lock"


def _holder(handle: IO) -> dict:
    handle.seek(0)
    try:
        return json.loads(handle.read() or "{}")
    except ValueError:  # the holder is between taking the lock and naming itself
        return {}


def acquire(home: Path, model: str, run_id: str, run_finished: Callable[[str], bool] = lambda run_id: False) -> None:
    """Take the model's lock for `run_id`, or raise ModelBusy. Taking it again for the same run is
    a no-op (every training step of a run asks). `run_finished` tells whether a run that took the
    lock in this process has ended without giving it back (a step crashed): its lock is reclaimed."""
    path = lock_path(home, model)
    key = str(path)
    with _guard:
        if key in _held:
            held_run, handle = _held[key]
            if held_run == run_id:
                return
            if not run_finished(held_run):
                raise ModelBusy(model, _holder(handle))
            _release(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            handle.close()
            raise ModelBusy(model, holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"run_id": run_id, "model": model, "pid": os.getpid(), "host": socket.gethostname(),
                                 "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}))
        handle.flush()
        _held[key] = (run_id, handle)


def _release(key: str) -> None:
    _, handle = _held.pop(key)
    handle.seek(0)
    handle.truncate()
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


def release(home: Path, model: str, run_id: str) -> None:
    """Give the lock back if `run_id` holds it in this process (else nothing)."""
    key = str(lock_path(home, model))
    with _guard:
        if key in _held and _held[key][0] == run_id:
            _release(key)


def release_run(run_id: str) -> None:
    """Give back every lock `run_id` holds in this process (an in-process run has ended)."""
    with _guard:
        for key in [k for k, (held_run, _) in _held.items() if held_run == run_id]:
            _release(key)
