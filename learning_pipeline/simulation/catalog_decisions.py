"""Decision catalogues: which decisions come up in which phase, their options and reasonings."""

from __future__ import annotations

# Probabilities here are the *base* values; `World` jitters them
# per seed and the jittered values are what the truth file records and what outcomes are
# sampled from.

# Which decision types come up in which phase (and how many decisions a phase usually takes).
PHASE_DECISIONS: dict[str, tuple[tuple[str, ...], int, int]] = {
    "intent_lock": (("architecture_choice", "strategy_selection", "model_selection"), 1, 2),
    "initialization": (
        ("component_structure", "api_design", "styling_approach", "model_selection", "architecture_choice"),
        1,
        3,
    ),
    "build": (
        (
            "component_structure",
            "lattice_cell_build",
            "api_design",
            "styling_approach",
            "placeholder_resolution",
            "motion_implementation",
        ),
        2,
        4,
    ),
    "integration": (("api_design", "error_recovery", "placeholder_resolution", "lattice_cell_build"), 1, 2),
    "verification": (("error_recovery", "design_choice", "strategy_selection", "placeholder_resolution"), 1, 2),
    "demo": (("design_choice", "motion_implementation", "placeholder_resolution"), 0, 2),
}
# Fractions of a build's duration each phase occupies (start, end).
PHASE_WINDOWS = {
    "intent_lock": (0.0, 0.05),
    "initialization": (0.05, 0.15),
    "build": (0.15, 0.60),
    "integration": (0.60, 0.75),
    "verification": (0.75, 0.92),
    "demo": (0.92, 1.0),
}
EARLY_PHASES = ("intent_lock", "initialization")

# Option sets. Good options share a vocabulary (typed, explicit, isolate, small, validate,
# tokens, incremental) and bad ones another (one global, inline, hard-code, skip, patch
# later, copy-paste) so that a tiny language model can learn the difference from text.
# (text, quality class, base P(immediateResult == success), per-context deltas)
OPTIONS: dict[str, list[tuple[str, str, float, dict[str, float]]]] = {
    "architecture_choice": [
        ("isolate state in a typed store with explicit error boundaries around each feature", "good", 0.86,
         {"landing_page": -0.10}),
        ("split the app into small feature modules with typed interfaces and a thin data layer", "good", 0.78,
         {"landing_page": 0.04, "realtime": -0.06}),
        ("put everything in one global component and patch later", "bad", 0.32,
         {"landing_page": 0.25, "realtime": -0.12}),
        ("keep all state in a single untyped global object and wire features ad hoc", "bad", 0.24,
         {"realtime": -0.10, "dashboard": -0.05}),
    ],
    "component_structure": [
        ("compose small typed components with explicit props and colocated tests", "good", 0.84, {}),
        ("extract a typed container hook and keep presentational components pure", "good", 0.79,
         {"dashboard": 0.06}),
        ("write one large component that handles fetching, state and rendering inline", "bad", 0.34,
         {"landing_page": 0.12}),
        ("copy-paste the component for each variant and patch differences later", "bad", 0.27, {}),
    ],
    "api_design": [
        ("validate request bodies at the boundary with a typed schema and return explicit error codes", "good",
         0.85, {"ecommerce": 0.05}),
        ("expose a typed client wrapper with retries and explicit error handling", "good", 0.80,
         {"realtime": -0.08}),
        ("call fetch inline in components and ignore non-200 responses", "bad", 0.31, {"realtime": -0.10}),
        ("return untyped JSON blobs and patch the shape later", "bad", 0.26, {"ecommerce": -0.08}),
    ],
    "styling_approach": [
        ("define design tokens as CSS variables and compose small utility classes", "good", 0.83, {}),
        ("use CSS modules scoped per component with shared typed tokens", "good", 0.78, {"dashboard": 0.05}),
        ("inline style objects with hard-coded pixel values everywhere", "bad", 0.35, {"landing_page": 0.10}),
        ("one global stylesheet with !important overrides to patch conflicts later", "bad", 0.28, {}),
    ],
    "error_recovery": [
        ("isolate the failing module, reproduce with a minimal typed test, then apply a targeted fix", "good",
         0.84, {}),
        ("read the full stack trace, fix the root cause and add an explicit guard", "good", 0.80,
         {"realtime": -0.05}),
        ("wrap the call in try/catch and swallow the error to unblock the build", "bad", 0.30, {}),
        ("rewrite the whole component from scratch and hope the error disappears", "bad", 0.36,
         {"landing_page": 0.15, "realtime": -0.10}),
    ],
    "design_choice": [
        ("derive typography, palette and motion from the app soul before laying out screens", "good", 0.85,
         {"landing_page": 0.05}),
        ("pick a distinctive type pairing and a restrained palette with explicit depth tokens", "good", 0.79, {}),
        ("use Inter with a purple-blue gradient and center everything", "bad", 0.29, {}),
        ("copy a generic SaaS template and patch the colors later", "bad", 0.33, {"dashboard": 0.08}),
    ],
    "motion_implementation": [
        ("use a small set of typed motion presets with easing matched to the soul and reduced-motion support",
         "good", 0.83, {}),
        ("animate only transform and opacity with explicit durations from tokens", "good", 0.81, {}),
        ("add bounce animations to every element with hard-coded timings", "bad", 0.30, {"dashboard": -0.10}),
        ("skip motion entirely and patch it in later if users complain", "bad", 0.38,
         {"dashboard": 0.20, "landing_page": -0.15}),
    ],
    "placeholder_resolution": [
        ("replace every placeholder with real typed data from the API and explicit empty states", "good", 0.86,
         {}),
        ("generate realistic seed data behind a typed repository interface", "good", 0.78, {"ecommerce": -0.05}),
        ("leave lorem ipsum and TODO placeholders to patch later", "bad", 0.22, {}),
        ("hard-code sample data inline in the components", "bad", 0.33, {"ecommerce": -0.12}),
    ],
    "model_selection": [
        ("route complex reasoning to the strongest model and small edits to a fast model with explicit fallbacks",
         "good", 0.84, {}),
        ("use the code-specialised model with typed tool calls for file edits", "good", 0.79, {}),
        ("use the cheapest model for everything and retry until it works", "bad", 0.33, {}),
        ("always use one model and ignore the task complexity", "bad", 0.37, {"landing_page": 0.10}),
    ],
    "strategy_selection": [
        ("build a typed skeleton first, then fill components incrementally with checks after each step", "good",
         0.84, {"landing_page": -0.06}),
        ("lock the intent, plan small verifiable steps and isolate risky integrations", "good", 0.81,
         {"realtime": 0.04}),
        ("generate the whole app in one pass and patch errors later", "bad", 0.30, {"landing_page": 0.15}),
        ("start with visual polish and wire the data layer at the end", "bad", 0.34, {"dashboard": -0.08}),
    ],
    "lattice_cell_build": [
        ("build each lattice cell in isolation against its typed interface contract, then integrate", "good",
         0.85, {}),
        ("build cells in dependency order with explicit contracts and a smoke test per cell", "good", 0.80, {}),
        ("build all cells at once in a shared file and reconcile conflicts later", "bad", 0.28,
         {"realtime": -0.10}),
        ("skip the interface contracts and let cells import each other directly", "bad", 0.31, {}),
    ],
}

# Reasoning leans toward the quality of the option it defends, but only mildly: 70% of the
# time a good choice gets a specific, trade-off-aware reasoning and a bad one a hand-wavy one.
REASONING_SPECIFIC = (
    "The intent needs {feature}; this keeps failures contained to one module and makes each step verifiable.",
    "Given {feature}, explicit contracts make regressions visible in the type checker instead of at runtime.",
    "{feature} will change often, so small typed units keep the blast radius of each edit small.",
    "Verification flagged this area before; an explicit boundary lets the swarm test it in isolation.",
    "Trade-off: a little more setup now, but {feature} gets a clear owner and an error path.",
)
REASONING_VAGUE = (
    "Fastest path to something on screen; we can clean it up later.",
    "This is what most apps do, should be fine.",
    "Keeps the file count low, simpler for now.",
    "The user wants to see progress quickly, so ship it and patch later.",
    "Good enough for the demo.",
)
