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

# Options are composed, not picked from a list: an option is two or three clauses, each one
# affirming or ruling out a *concept* of the decision's family (a typed store, an empty catch
# block, ...). A clause is sound when it affirms a helpful concept or rules out a harmful one;
# a good option is made of sound clauses only, a bad one of unsound clauses only. Every
# concept, verb and connector appears as often in good options as in bad ones, so neither
# length nor any single token tells them apart: only what the clauses *mean* does (which
# concept is affirmed or ruled out). Identifiers from the build ({e}: the entity, {f}: a
# feature) make nearly every text new, so held-out texts are unseen but still learnable.
#
# concept: (name, helpful?, phrasings, effect on P(success) per context when affirmed)
Concept = tuple[str, bool, tuple[str, ...], dict[str, float]]
CONCEPTS: dict[str, tuple[Concept, ...]] = {
    "structure": (
        ("typed_store", True, ("a typed {e} store", "a typed store for the {e} state"), {}),
        ("error_boundaries", True, ("an error boundary around each feature", "error boundaries around the {f} flow"),
         {"landing_page": -0.06}),
        ("feature_modules", True, ("small feature modules with typed interfaces",
                                   "a small {e} module behind a typed interface"), {"realtime": -0.05}),
        ("memoised_selectors", True, ("memoised selectors for derived {e} data", "memoised selectors over the store"),
         {"dashboard": 0.05}),
        ("colocated_tests", True, ("colocated tests for each component", "a colocated test beside the {e} view"), {}),
        ("global_mutable_state", False, ("one global mutable object for all state",
                                         "a single global {e} object mutated everywhere"), {"realtime": -0.10}),
        ("god_component", False, ("one large component that fetches and renders inline",
                                  "a giant {e} component doing everything inline"), {"landing_page": 0.15}),
        ("copy_paste_variants", False, ("copy-pasted variants of each component", "a copy-pasted {e} view per variant"),
         {}),
        ("cross_imports", False, ("direct imports between sibling features", "features importing the {e} internals"),
         {"realtime": -0.05}),
        ("untyped_props", False, ("any-typed props on shared components", "untyped props on the {e} view"), {}),
    ),
    "process": (
        ("minimal_repro", True, ("a minimal reproduction before each fix", "a minimal repro of the {f} failure"), {}),
        ("small_steps", True, ("small verifiable steps with a check after each",
                               "small steps with a check after each {e} change"), {"landing_page": -0.05}),
        ("strong_model_for_hard_tasks", True, ("the strongest model for hard reasoning",
                                               "a stronger model when the {f} task is hard"), {}),
        ("root_cause_reading", True, ("a root-cause read of the full stack trace",
                                      "a careful read of the {e} stack trace"), {"realtime": -0.04}),
        ("typed_skeleton_first", True, ("a typed skeleton before filling in features", "a typed {e} skeleton first"),
         {"dashboard": 0.05}),
        ("one_pass_generation", False, ("a single pass that generates the whole app", "generating all of {f} in one pass"),
         {"landing_page": 0.15}),
        ("swallowed_errors", False, ("try/catch blocks that swallow errors", "an empty catch around the {e} call"), {}),
        ("cheapest_model_retries", False, ("the cheapest model retried until it works",
                                           "retrying the cheapest model on {f}"), {}),
        ("rewrite_on_failure", False, ("a rewrite from scratch on every failure", "rewriting the {e} view on each error"),
         {"landing_page": 0.12, "realtime": -0.08}),
        ("polish_before_data", False, ("visual polish before the data layer", "polishing the {e} screen before wiring data"),
         {"dashboard": -0.08}),
    ),
    "data": (
        ("boundary_validation", True, ("schema validation at the API boundary", "a typed schema for the {e} request body"),
         {"ecommerce": 0.05}),
        ("explicit_error_codes", True, ("explicit error codes for each failure", "explicit error codes from the {e} endpoint"),
         {}),
        ("typed_client_retries", True, ("a typed client with retries", "a typed {e} client with retry and backoff"),
         {"realtime": -0.06}),
        ("seed_data_repository", True, ("realistic seed data behind a repository", "seed {e} data behind a typed repository"),
         {"ecommerce": -0.05}),
        ("explicit_empty_states", True, ("explicit empty and loading states", "explicit empty states for the {e} list"), {}),
        ("inline_fetch", False, ("inline fetch calls that ignore non-200 responses", "fetching {e} rows inline and ignoring errors"),
         {"realtime": -0.10}),
        ("untyped_json", False, ("untyped JSON blobs shaped on the fly", "untyped {e} JSON reshaped in each caller"),
         {"ecommerce": -0.08}),
        ("placeholder_text", False, ("lorem ipsum placeholders left in place", "TODO placeholders in the {e} views"), {}),
        ("hard_coded_samples", False, ("sample data hard-coded in components", "hard-coded {e} rows inside the view"),
         {"ecommerce": -0.10}),
        ("string_built_sql", False, ("string-built SQL queries", "SQL for {e} rows built by concatenation"), {}),
    ),
    "visual": (
        ("css_variable_tokens", True, ("design tokens as CSS variables", "CSS variable tokens for {e} spacing and color"),
         {}),
        ("soul_motion_presets", True, ("motion presets matched to the app soul", "soul-matched motion presets for the {e} cards"),
         {}),
        ("compositor_only_motion", True, ("transform and opacity only animations", "animating only transform and opacity on {f}"),
         {}),
        ("distinctive_type", True, ("a distinctive type pairing", "a distinctive type pairing for the {e} pages"),
         {"landing_page": 0.05}),
        ("reduced_motion", True, ("reduced-motion support", "a reduced-motion fallback for {f}"), {}),
        ("hard_coded_pixels", False, ("hard-coded pixel values everywhere", "hard-coded pixel sizes on the {e} panel"),
         {"landing_page": 0.10}),
        ("important_overrides", False, ("!important overrides to patch conflicts", "!important overrides on the {e} styles"),
         {}),
        ("bounce_everything", False, ("bounce animations on every element", "bounce effects on every {e} card"),
         {"dashboard": -0.10}),
        ("purple_gradient", False, ("Inter with a purple-blue gradient", "the default purple gradient on the {e} hero"), {}),
        ("generic_template", False, ("a generic SaaS template", "a stock SaaS template for {f}"), {"dashboard": 0.08}),
    ),
}
# Which concept family a decision type draws from.
DECISION_FAMILY = {
    "architecture_choice": "structure", "component_structure": "structure", "lattice_cell_build": "structure",
    "strategy_selection": "process", "error_recovery": "process", "model_selection": "process",
    "api_design": "data", "placeholder_resolution": "data",
    "styling_approach": "visual", "design_choice": "visual", "motion_implementation": "visual",
}
# Clause verbs: affirming and ruling out, used equally often in good and bad options.
AFFIRM = ("use {c}", "build on {c}", "go with {c}", "rely on {c}", "start from {c}")
RULE_OUT = ("avoid {c}", "drop {c}", "skip {c}", "rule out {c}", "stay off {c}")
CONNECT_2 = ("{0} and {1}", "{0}, then {1}", "{0}; {1}", "{0}, plus {1}")
CONNECT_3 = ("{0}, {1} and {2}", "{0}; {1}; {2}", "{0}, {1}, then {2}")
LEADS = ("", "", "for the {e} work, ", "in this step, ", "for {f}, ")
# Base P(immediateResult == success) of a good and of a bad option (jittered per seed and type).
OPTION_BASE_SUCCESS = {"good": 0.88, "bad": 0.22}
OPTIONS_PER_DECISION = {"good": 1, "bad": 2}

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
