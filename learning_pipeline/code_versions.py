"""`code_version`s derived from the logic that shapes an asset's output.

An asset's version is a digest of the source of the (Dagster-free) modules its output depends
on: edit the redaction rules or the pair rules and the UI marks exactly the assets built with the
old code stale, and `learning-pipeline run` rebuilds them. Judges carry their own version (prompt,
rubric weights, model, rule version) instead. Modules are read, not imported, so that naming the
training code does not load torch when the definitions load.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path


def code_version_of(*modules: str) -> str:
    digest = hashlib.sha256()
    for name in sorted(modules):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"code_version_of: no module {name!r}")
        digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes())
    return digest.hexdigest()[:16]
