"""The build-trace simulator: a tool of its own (not part of capture), a deterministic simulator with a hidden ground truth.

The builder is simulated as an agent whose competence (`skill`) grows over the simulated
window: later builds pick better options, write cleaner code, design less "AI slop", find
the right fix sooner and pick the strategy that fits the context more often. Everything it
does is sampled from a hidden *world* (true success probability per decision option and
context, per pattern, per strategy and context, the correct fix and escalation level per
error type, what fits each app soul) that is written beside the trace file as
``traces.truth.json``, so the later layers (judges, strategy evolution, pattern library,
success predictor, metrics, redaction, quarantine) can be tested against what is really
true rather than against what they themselves computed.

Output: one ``{"kind": K, "data": {...}}`` line per event, camelCase per
``shared/WIRE_FORMAT.md``, in time order (events of overlapping builds interleave and a
decision's late outcome lands after the decision, days later). A share of deliberately bad
lines is *inserted* between the good ones (the good stream is the same whatever the bad-line
rate), and a share of traces carry planted secrets; both are listed in the truth with their
1-based line numbers.

Determinism: every build draws from its own RNG seeded by ``(seed, build index)``, secrets
from a second per-build RNG and bad lines from a writer RNG, so the same arguments give
byte-identical trace and truth files (gzip is written with ``mtime=0`` and no file name).

Truth file conventions: top-level keys and truth-only attributes are snake_case; ids keep
their wire names (``buildId``, ``traceId``, ``artifactId``, ...) so they join with the lake.

Nothing in the pipeline imports this package except the CLI's ``simulate`` and ``demo``; the
pipeline never reads the truth file. One module per concern: catalogues (``catalog_*``), the
hidden world (``world``), one build's steps (``build*``), code text (``code_*``), screenshots,
planted secrets, bad lines, the truth document (``truth``), the writer and the SQLite export.
"""

from learning_pipeline.simulation.sqlite_export import write_builder_sqlite
from learning_pipeline.simulation.truth import TRUTH_FORMAT
from learning_pipeline.simulation.vocabulary import DECISION_TYPES, KINDS, PHASES, TRIGGERS
from learning_pipeline.simulation.writer import SimulationSummary, iter_events, simulate, truth_path_for

__all__ = [
    "SimulationSummary",
    "simulate",
    "truth_path_for",
    "iter_events",
    "write_builder_sqlite",
    "KINDS",
    "PHASES",
    "DECISION_TYPES",
    "TRIGGERS",
    "TRUTH_FORMAT",
]
