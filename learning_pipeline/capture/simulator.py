"""A deterministic build-trace simulator with a hidden ground truth.

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
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import heapq
import json
import math
import random
import re
import sqlite3
import struct
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

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
]

TRUTH_FORMAT = "learning_pipeline.simulator.truth/1"

KINDS = (
    "decision",
    "decision_outcome",
    "code_artifact",
    "design_choice",
    "error_recovery",
    "pattern_usage",
    "strategy_outcome",
    "build_summary",
)
PHASES = ("intent_lock", "initialization", "build", "integration", "verification", "demo")
DECISION_TYPES = (
    "architecture_choice",
    "component_structure",
    "api_design",
    "styling_approach",
    "error_recovery",
    "design_choice",
    "motion_implementation",
    "placeholder_resolution",
    "model_selection",
    "strategy_selection",
    "lattice_cell_build",
)
TRIGGERS = ("initial", "fix", "refactor", "verification_feedback")

# Shares of the outcome delivery modes of a decision (the team's contract with the validator).
OUTCOME_INLINE_SHARE = 0.40
OUTCOME_LATE_SHARE = 0.50  # the remaining 10% never get an outcome
OUTCOME_REPLACED_SHARE = 0.05  # of the late ones: a second, newer outcome replaces the first
LATE_OUTCOME_MAX_DAYS = 5
ALT_DATE_SHARE = 0.05  # records whose dates use the client's SQLite style `YYYY-MM-DD HH:MM:SS`
EXTRA_FIELD_SHARE = 0.03
OVERSIZE_CODE_CHARS = 2_200_000  # over the validator's 1M-char field limit and the 2 MB line budget
MAX_TEXT_CHARS = 1_000_000  # the validator's limit on one string field (config.CaptureLimits)
MAX_OVERSIZE_LINES = 1  # 2 MB each: one per file keeps files small

DAY_MS = 86_400_000
MINUTE_MS = 60_000

# --------------------------------------------------------------------------------------------
# The hidden world: catalogs. Probabilities here are the *base* values; `_World` jitters them
# per seed and the jittered values are what the truth file records and what outcomes are
# sampled from.
# --------------------------------------------------------------------------------------------

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

APP_KINDS = (
    # (name, primary context, souls, entity, audience, famous comparison)
    ("analytics dashboard", "dashboard", ("professional_trust", "utility_clarity", "developer_tools"), "Metric",
     "a growth team", "Mixpanel"),
    ("online store", "ecommerce", ("ecommerce_convert", "creative_canvas"), "Product", "an indie ceramics brand",
     "Shopify"),
    ("team chat", "realtime", ("social_connection", "utility_clarity"), "Message", "remote design teams", "Slack"),
    ("portfolio site", "landing_page", ("creative_canvas", "immersive_media"), "Project", "a motion designer",
     "Dribbble"),
    ("music streaming app", "react", ("immersive_media", "social_connection"), "Track", "bedroom producers",
     "Spotify"),
    ("game leaderboard", "realtime", ("gaming_energy",), "Player", "a speedrunning community", "Twitch"),
    ("API console", "dashboard", ("developer_tools",), "Endpoint", "backend developers", "Postman"),
    ("habit tracker", "react", ("utility_clarity", "social_connection"), "Habit", "students", "Streaks"),
    ("social feed", "react", ("social_connection", "immersive_media"), "Post", "local hiking clubs", "Instagram"),
    ("booking app", "ecommerce", ("professional_trust", "ecommerce_convert"), "Booking", "a physiotherapy clinic",
     "Calendly"),
    ("product launch page", "landing_page", ("immersive_media", "creative_canvas", "ecommerce_convert"), "Feature",
     "a hardware startup", "Linear"),
    ("live auction", "realtime", ("ecommerce_convert", "gaming_energy"), "Bid", "vintage car collectors", "eBay"),
)
# Features: (text, adds complexity?) — integrations are what make a build hard.
FEATURES = (
    ("role-based auth", True),
    ("Stripe checkout", True),
    ("realtime updates over websockets", True),
    ("image uploads", True),
    ("full-text search", True),
    ("offline support", True),
    ("i18n in three languages", True),
    ("CSV export", False),
    ("dark mode", False),
    ("charts with drill-down", False),
    ("email notifications", False),
    ("an onboarding tour", False),
    ("keyboard shortcuts", False),
    ("a settings page", False),
)
FLAVOR_TAGS = ("typescript", "tailwind", "vite", "nextjs", "supabase", "prisma", "mobile_first")
CONSTRAINTS = (
    "it must load in under two seconds on 4G",
    "keep it accessible (WCAG AA)",
    "no external UI kit",
    "it has to work on phones first",
    "deploy on Vercel",
)

SOULS: dict[str, dict[str, Any]] = {
    "immersive_media": {
        "fonts": ["Clash Display", "Satoshi", "Space Grotesk"],
        "palettes": {
            "midnight_cinema": {"primary": "#E4572E", "accent": "#F3A712", "background": "#0A0A0F",
                                "surface": "#16161F", "text": "#F5F3EE"},
            "deep_aurora": {"primary": "#7AE7C7", "accent": "#FF6F91", "background": "#07131C",
                            "surface": "#0F2230", "text": "#EAF6F6"},
        },
        "motion": [("parallax-reveal", "700ms", "cubic-bezier(0.16, 1, 0.3, 1)"),
                   ("scrub-timeline", "900ms", "cubic-bezier(0.65, 0, 0.35, 1)")],
        "grid": "full-bleed 12-column grid with overlapping media layers",
    },
    "professional_trust": {
        "fonts": ["IBM Plex Sans", "Source Serif 4", "Libre Franklin"],
        "palettes": {
            "navy_ledger": {"primary": "#1B3A5C", "accent": "#C8A24A", "background": "#F7F5F0",
                            "surface": "#FFFFFF", "text": "#14202E"},
            "slate_counsel": {"primary": "#2F4858", "accent": "#86BBD8", "background": "#F4F6F8",
                              "surface": "#FFFFFF", "text": "#1E2A33"},
        },
        "motion": [("subtle-fade", "180ms", "ease-out"), ("panel-slide", "240ms", "cubic-bezier(0.2, 0, 0, 1)")],
        "grid": "8-column grid with a fixed reading measure",
    },
    "developer_tools": {
        "fonts": ["JetBrains Mono", "Geist", "IBM Plex Mono"],
        "palettes": {
            "terminal_dusk": {"primary": "#7EE787", "accent": "#FFA657", "background": "#0D1117",
                              "surface": "#161B22", "text": "#E6EDF3"},
            "solar_console": {"primary": "#B58900", "accent": "#2AA198", "background": "#002B36",
                              "surface": "#073642", "text": "#EEE8D5"},
        },
        "motion": [("command-palette-pop", "120ms", "cubic-bezier(0.3, 0, 0, 1)"),
                   ("cursor-blink", "1000ms", "steps(1)")],
        "grid": "dense 3-pane layout with resizable splits",
    },
    "creative_canvas": {
        "fonts": ["Fraunces", "Syne", "Instrument Serif"],
        "palettes": {
            "paper_studio": {"primary": "#FF5A36", "accent": "#2E5BFF", "background": "#FFF8EE",
                             "surface": "#FFFFFF", "text": "#1C1A17"},
            "risograph": {"primary": "#FF48B0", "accent": "#00A95C", "background": "#FDF6E3",
                          "surface": "#FFFDF7", "text": "#221E1F"},
        },
        "motion": [("brush-stroke-draw", "600ms", "cubic-bezier(0.7, 0, 0.3, 1)"),
                   ("tilt-on-hover", "300ms", "cubic-bezier(0.34, 1.56, 0.64, 1)")],
        "grid": "broken asymmetric grid with overlapping cards",
    },
    "social_connection": {
        "fonts": ["Nunito", "DM Sans", "Plus Jakarta Sans"],
        "palettes": {
            "warm_circle": {"primary": "#FF7A59", "accent": "#00B8A9", "background": "#FFFBF7",
                            "surface": "#FFFFFF", "text": "#2B2B2B"},
            "picnic": {"primary": "#E76F51", "accent": "#2A9D8F", "background": "#FEFAE0",
                       "surface": "#FFFFFF", "text": "#264653"},
        },
        "motion": [("bubble-pop", "220ms", "cubic-bezier(0.34, 1.56, 0.64, 1)"),
                   ("typing-dots", "1200ms", "ease-in-out")],
        "grid": "single feed column with a sticky composer and side rail",
    },
    "ecommerce_convert": {
        "fonts": ["Manrope", "Playfair Display", "Archivo"],
        "palettes": {
            "checkout_confidence": {"primary": "#0F766E", "accent": "#F59E0B", "background": "#FAFAF9",
                                    "surface": "#FFFFFF", "text": "#1C1917"},
            "boutique_ink": {"primary": "#2B2D42", "accent": "#EF233C", "background": "#FBF7F4",
                             "surface": "#FFFFFF", "text": "#1D1E2C"},
        },
        "motion": [("add-to-cart-fly", "450ms", "cubic-bezier(0.22, 1, 0.36, 1)"),
                   ("price-tick", "200ms", "ease-out")],
        "grid": "product grid with a sticky buy box and generous whitespace",
    },
    "utility_clarity": {
        "fonts": ["Public Sans", "Atkinson Hyperlegible", "Work Sans"],
        "palettes": {
            "clear_day": {"primary": "#0B6E4F", "accent": "#F2C14E", "background": "#F8FAF9",
                          "surface": "#FFFFFF", "text": "#102A20"},
            "graphite": {"primary": "#3D5A80", "accent": "#EE6C4D", "background": "#F5F5F4",
                         "surface": "#FFFFFF", "text": "#202020"},
        },
        "motion": [("check-complete", "160ms", "ease-out"),
                   ("list-reorder", "200ms", "cubic-bezier(0.2, 0, 0, 1)")],
        "grid": "4-point spacing scale with a single-purpose list layout",
    },
    "gaming_energy": {
        "fonts": ["Orbitron", "Rajdhani", "Chakra Petch"],
        "palettes": {
            "neon_arena": {"primary": "#00F5D4", "accent": "#F15BB5", "background": "#0B0C10",
                           "surface": "#1F2833", "text": "#EDEDED"},
            "lava_hud": {"primary": "#FF4D00", "accent": "#FFE600", "background": "#120907",
                         "surface": "#24130F", "text": "#FFF4E6"},
        },
        "motion": [("score-burst", "140ms", "cubic-bezier(0.68, -0.6, 0.32, 1.6)"),
                   ("screen-shake", "90ms", "linear")],
        "grid": "diagonal HUD layout with angled panels",
    },
}
SLOP_DESIGN = {
    "fonts": ["Inter", "system-ui"],
    "palette": {"primary": "#6366F1", "accent": "#8B5CF6",
                "background": "linear-gradient(135deg, #6366F1 0%, #8B5CF6 100%)",
                "surface": "#FFFFFF", "text": "#111827"},
    "grid": "everything centered in a single max-w-2xl column",
    "spacing": "default Tailwind spacing, centered cards with rounded-2xl and shadow-lg",
}

# Pattern library: (patternId, name, category, base true first-attempt success rate).
PATTERNS = (
    ("pat_compound_components", "compound-components", "react", 0.82),
    ("pat_controlled_form_schema", "controlled-form-with-schema", "react", 0.78),
    ("pat_error_boundary_per_route", "error-boundary-per-route", "react", 0.85),
    ("pat_render_props_fetch", "render-props-data-fetch", "react", 0.55),
    ("pat_prop_drilling", "prop-drilling-deep-tree", "react", 0.38),
    ("pat_css_variable_tokens", "css-variable-design-tokens", "css", 0.86),
    ("pat_fluid_type_clamp", "fluid-type-clamp", "css", 0.80),
    ("pat_container_queries", "container-queries-cards", "css", 0.70),
    ("pat_important_overrides", "important-override-chain", "css", 0.30),
    ("pat_typed_fetch_client", "typed-fetch-client-with-retry", "api", 0.83),
    ("pat_schema_validated_route", "zod-validated-route", "api", 0.85),
    ("pat_optimistic_rollback", "optimistic-update-rollback", "api", 0.66),
    ("pat_inline_fetch_effect", "inline-fetch-in-effect", "api", 0.42),
    ("pat_typed_store_slices", "typed-store-slices", "state", 0.80),
    ("pat_server_state_cache", "server-state-query-cache", "state", 0.82),
    ("pat_context_for_everything", "context-for-everything", "state", 0.45),
    ("pat_global_mutable_singleton", "global-mutable-singleton", "state", 0.33),
    ("pat_transform_opacity_only", "transform-opacity-only", "animation", 0.84),
    ("pat_reduced_motion_guard", "reduced-motion-guard", "animation", 0.88),
    ("pat_shared_layout_animation", "layout-animation-shared-id", "animation", 0.62),
    ("pat_animate_height_js", "animate-height-auto-js", "animation", 0.40),
)
# Which pattern categories a file of a language can use.
LANGUAGE_PATTERN_CATEGORIES = {
    "tsx": ("react", "state", "animation"),
    "ts": ("api", "state"),
    "js": ("api",),
    "css": ("css", "animation"),
    "py": ("api",),
}

# Strategies: domain -> strategy -> base true success rate per context.
STRATEGIES: dict[str, dict[str, dict[str, float]]] = {
    "component_build": {
        "component_first": {"react": 0.72, "dashboard": 0.55, "ecommerce": 0.60, "realtime": 0.48,
                            "landing_page": 0.80},
        "skeleton_first": {"react": 0.64, "dashboard": 0.78, "ecommerce": 0.74, "realtime": 0.70,
                           "landing_page": 0.62},
    },
    "error_fix": {
        "isolate_and_fix": {"react": 0.80, "dashboard": 0.78, "ecommerce": 0.75, "realtime": 0.70,
                            "landing_page": 0.68},
        "rewrite_component": {"react": 0.50, "dashboard": 0.45, "ecommerce": 0.52, "realtime": 0.35,
                              "landing_page": 0.74},
    },
    "design": {
        "soul_first": {"react": 0.70, "dashboard": 0.62, "ecommerce": 0.74, "realtime": 0.66, "landing_page": 0.85},
        "layout_first": {"react": 0.66, "dashboard": 0.73, "ecommerce": 0.70, "realtime": 0.60,
                         "landing_page": 0.55},
    },
}

MODELS_BY_LEVEL = {
    1: "claude-haiku-4-5",
    2: "claude-sonnet-4-5",
    3: "claude-opus-4-5",
    4: "claude-opus-4-5+extended-thinking",
}

# Error catalog: type -> message, where it happens, the correct fix, the escalation level it
# needs, wrong fixes the builder tries, a diff of the correct fix and a generalizable pattern.
ERROR_TYPES: dict[str, dict[str, Any]] = {
    "TypeError": {
        "message": "TypeError: Cannot read properties of undefined (reading 'map')",
        "languages": ("tsx",),
        "level": 1,
        "fix": "guard the optional data with a loading state and default to an empty array before mapping",
        "wrong": ("add optional chaining everywhere and hide the list when it fails",
                  "wrap the render in try/catch and return null",
                  "add // @ts-ignore above the line"),
        "diff": ("-  return items.map((item) => <Row key={item.id} item={item} />);\n"
                 "+  if (loading) return <Skeleton />;\n"
                 "+  return (items ?? []).map((item) => <Row key={item.id} item={item} />);"),
        "pattern": "Guard async data with explicit loading/empty states before rendering collections.",
    },
    "ModuleNotFound": {
        "message": "Module not found: Error: Can't resolve '@/components/ui/card'",
        "languages": ("tsx", "ts"),
        "level": 1,
        "fix": "add the missing path alias to tsconfig paths and the bundler resolve.alias",
        "wrong": ("delete node_modules and reinstall", "rewrite the import as a long relative path in one file",
                  "install a package called card from npm"),
        "diff": ('+    "paths": { "@/*": ["./src/*"] },\n+  resolve: { alias: { "@": path.resolve(__dirname, "src") } },'),
        "pattern": "Keep path aliases declared once in tsconfig and mirrored in the bundler config.",
    },
    "HydrationMismatch": {
        "message": "Error: Hydration failed because the initial UI does not match what was rendered on the server.",
        "languages": ("tsx",),
        "level": 2,
        "fix": "move Date and Math.random rendering into an effect so server and client render the same markup",
        "wrong": ("add suppressHydrationWarning to the root element", "disable server rendering for the whole app",
                  "wrap the component in a setTimeout"),
        "diff": ("-  const now = new Date().toLocaleTimeString();\n"
                 "+  const [now, setNow] = useState<string | null>(null);\n"
                 "+  useEffect(() => setNow(new Date().toLocaleTimeString()), []);"),
        "pattern": "Render non-deterministic values only after mount.",
    },
    "CORSError": {
        "message": ("Access to fetch at 'https://api.internal.dev/v1/items' from origin 'http://localhost:5173' "
                    "has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present."),
        "languages": ("ts", "js", "py"),
        "level": 2,
        "fix": "configure the API's CORS middleware with the app origin and route browser calls through it",
        "wrong": ("set mode: 'no-cors' on the fetch call", "install a browser extension that disables CORS",
                  "set Access-Control-Allow-Origin: * together with credentials"),
        "diff": ('+app.use(cors({ origin: process.env.APP_ORIGIN, credentials: true }));'),
        "pattern": "Allow the exact app origin on the API instead of weakening the browser.",
    },
    "TS2322": {
        "message": "TS2322: Type 'string | undefined' is not assignable to type 'string'.",
        "languages": ("tsx", "ts"),
        "level": 1,
        "fix": "narrow the value with an explicit undefined check and make the prop optional in the interface",
        "wrong": ("cast the value with as any", "add // @ts-expect-error", "turn off strict mode in tsconfig"),
        "diff": ("-  title: string;\n+  title?: string;\n+  if (title === undefined) return null;"),
        "pattern": "Narrow optional values at the boundary instead of casting.",
    },
    "MaxUpdateDepth": {
        "message": ("Error: Maximum update depth exceeded. This can happen when a component calls setState "
                    "inside useEffect without a dependency array."),
        "languages": ("tsx",),
        "level": 2,
        "fix": "move the state update out of render into an effect with correct dependencies",
        "wrong": ("wrap setState in a setTimeout", "add a global flag to skip every second render",
                  "convert the component to a class component"),
        "diff": ("-  setFiltered(items.filter(match));\n+  const filtered = useMemo(() => items.filter(match), [items, match]);"),
        "pattern": "Derive state with useMemo instead of syncing it with setState.",
    },
    "EnvVarMissing": {
        "message": "Error: Missing required environment variable DATABASE_URL",
        "languages": ("ts", "js", "py"),
        "level": 3,
        "fix": "declare the variable in .env.example and load it through a validated config module at startup",
        "wrong": ("hard-code the connection string in the source", "default the variable to an empty string",
                  "catch the error and continue without a database"),
        "diff": ('+export const config = z.object({ DATABASE_URL: z.string().url() }).parse(process.env);'),
        "pattern": "Validate configuration once at startup and fail fast with a clear message.",
    },
    "AuthTokenExpired": {
        "message": "HTTPError: 401 Unauthorized: jwt expired",
        "languages": ("ts", "js", "py"),
        "level": 3,
        "fix": "refresh the session token in the fetch wrapper and retry the request once",
        "wrong": ("increase the token lifetime to one year", "remove the auth check from the route",
                  "log the user out on every 401"),
        "diff": ("+  if (res.status === 401 && !retried) {\n+    await session.refresh();\n"
                 "+    return request(path, init, true);\n+  }"),
        "pattern": "Centralise token refresh in the API client with a single retry.",
    },
    "MigrationDrift": {
        "message": "Error: P3006 Drift detected: Your database schema is not in sync with your migration history.",
        "languages": ("ts", "py"),
        "level": 3,
        "fix": "generate a new migration from the current schema instead of editing applied migrations",
        "wrong": ("edit the applied migration file in place", "reset the production database",
                  "delete the migrations folder"),
        "diff": ("+-- migration 20260114_add_status_column\n+ALTER TABLE items ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';"),
        "pattern": "Never edit applied migrations; add a forward migration.",
    },
    "SocketMemoryLeak": {
        "message": ("MaxListenersExceededWarning: Possible EventEmitter memory leak detected. "
                    "11 message listeners added to [Socket]."),
        "languages": ("tsx", "ts"),
        "level": 4,
        "fix": "unsubscribe the socket listener in the effect cleanup and share a single connection through context",
        "wrong": ("raise the max listeners limit to 100", "reconnect the socket on every render",
                  "reload the page every five minutes"),
        "diff": ("+  useEffect(() => {\n+    socket.on('message', onMessage);\n"
                 "+    return () => { socket.off('message', onMessage); };\n+  }, [socket, onMessage]);"),
        "pattern": "Every subscription made in an effect is released in its cleanup.",
    },
    "BuildOutOfMemory": {
        "message": "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        "languages": ("ts", "js"),
        "level": 4,
        "fix": "split the bundle with dynamic imports for the heavy chart and editor modules",
        "wrong": ("set NODE_OPTIONS=--max-old-space-size=16384", "disable source maps and minification",
                  "remove TypeScript from the build"),
        "diff": ("-import { Editor } from './Editor';\n+const Editor = lazy(() => import('./Editor'));"),
        "pattern": "Load heavy modules lazily at route boundaries.",
    },
    "PythonKeyError": {
        "message": "KeyError: 'items'",
        "languages": ("py",),
        "level": 1,
        "fix": "validate the upstream payload with a typed model and handle the empty response explicitly",
        "wrong": ("wrap the access in a bare except and return None", "retry the request in a loop",
                  "print the payload and move on"),
        "diff": ('-    rows = payload["items"]\n+    rows = Page.model_validate(payload).items'),
        "pattern": "Parse external payloads into typed models at the boundary.",
    },
}

SECRET_KINDS = (
    "openai_api_key",
    "anthropic_api_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "github_token",
    "stripe_secret_key",
    "google_api_key",
    "bearer_token",
    "jwt",
    "private_key",
    "postgres_url",
    "email",
)

BAD_LINE_TYPES = (
    "invalid_json",
    "missing_required_field",
    "wrong_type",
    "enum_out_of_range",
    "oversize_field",
    "unknown_kind",
)

EXTRA_FIELDS = (
    ("builderVersion", "4.2.1"),
    ("builderVersion", "4.3.0-beta.2"),
    ("agentId", "build-agent-3"),
    ("traceSchemaVersion", 2),
    ("_meta", {"host": "builder-7f9c", "region": "us-east-1"}),
)

_B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_B64URL = _B62 + "-_"
_UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_FIRST_NAMES = ("maria", "jon", "aiko", "femi", "lukas", "priya", "diego", "sara", "tomas", "lena")
_LAST_NAMES = ("gonzalez", "okafor", "tanaka", "schmidt", "patel", "rossi", "novak", "kim", "larsen", "silva")
_EMAIL_DOMAINS = ("northwind-studio.com", "acme-labs.io", "brightpath.co", "gmail.com", "fastmail.com")


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def _rand_str(rng: random.Random, n: int, alphabet: str = _B62) -> str:
    return "".join(alphabet[int(rng.random() * len(alphabet))] for _ in range(n))


def _hex_id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}_{rng.getrandbits(64):016x}"


def _iso(ms: int, alt: bool = False) -> str:
    """ISO-8601 with milliseconds and Z; or the client's SQLite style for `alt` records."""
    sec, milli = divmod(ms, 1000)
    t = time.gmtime(sec)
    if alt:
        return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
            f".{milli:03d}Z")


def _day_of(ms: int) -> str:
    t = time.gmtime(ms // 1000)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _set_optional(record: dict, key: str, value: Any, rng: random.Random, missing: float = 0.1,
                  null: float = 0.05) -> None:
    """Optional wire fields are sometimes left out and sometimes sent as null."""
    u = rng.random()
    if u < missing:
        return
    record[key] = None if u < missing + null else value


def _maybe_extra_field(record: dict, rng: random.Random) -> None:
    """Now and then the builder adds a field the wire format does not know; it must be tolerated."""
    if rng.random() < EXTRA_FIELD_SHARE:
        key, value = EXTRA_FIELDS[int(rng.random() * len(EXTRA_FIELDS))]
        record[key] = value


# --------------------------------------------------------------------------------------------
# Tiny real PNG screenshots for the vision judge
# --------------------------------------------------------------------------------------------
def _hex_rgb(color: str) -> tuple[int, int, int]:
    match = re.search(r"#([0-9A-Fa-f]{6})", color)
    value = int(match.group(1), 16) if match else 0x808080
    return (value >> 16) & 255, (value >> 8) & 255, value & 255


def _png_bytes(width: int, height: int, pixel) -> bytes:
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b""))


_SCREENSHOT_CACHE: dict[tuple, str] = {}


def _screenshot_data_uri(palette: dict[str, str], centered: bool, variant: int) -> str:
    """A 40x26 mock of the app screen (header bar, cards, accent button) as a data URI."""
    key = (tuple(sorted(palette.items())), centered, variant)
    if key in _SCREENSHOT_CACHE:
        return _SCREENSHOT_CACHE[key]
    bg, surface, primary, accent, text = (_hex_rgb(palette.get(k, "#808080"))
                                          for k in ("background", "surface", "primary", "accent", "text"))
    width, height = 40, 26

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        if y < 3:
            return primary
        if centered:
            if 12 <= x < 28 and 7 <= y < 20:
                if y in (9, 11) and 14 <= x < 26:
                    return text
                return accent if (y >= 16 and 16 <= x < 24) else surface
        else:
            card = (x // (13 + variant % 3)) % 2 == 0 and 5 <= y < 22 and x % 13 not in (0, 1)
            if card:
                if y in (7, 9) and x % 13 < 9:
                    return text
                return accent if y > 18 else surface
        # a faint diagonal texture so the image is not a flat fill
        shade = ((x + y + variant) % 7) - 3
        return tuple(_clip(c + shade, 0, 255) for c in bg)

    uri = "data:image/png;base64," + base64.b64encode(_png_bytes(width, height, pixel)).decode("ascii")
    _SCREENSHOT_CACHE[key] = uri
    return uri


# --------------------------------------------------------------------------------------------
# Code text. An artifact keeps fixed latents; a defect shows in a version when its latent is
# below the version's badness, so as quality rises defects disappear one by one (and come
# back on a regression), like a real file being cleaned up.
# --------------------------------------------------------------------------------------------
N_CODE_LATENTS = 14


def _defects(latents: list[float], quality: float) -> list[bool]:
    badness = (100.0 - quality) / 100.0
    return [u < badness for u in latents]


def _sub(template: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        template = template.replace(key, value)
    return template


def _code_tsx(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("// TODO: split this file up, it does too much")
    if d[1]:
        out += ['import React, { useState, useEffect } from "react"', 'import axios from "axios"', ""]
    else:
        out += ['import { useCallback, useEffect, useState } from "react";',
                'import type { $E } from "@/types/$e";',
                'import { $eClient, ApiError } from "@/lib/api/$e-client";',
                'import { ErrorState } from "@/components/ui/ErrorState";',
                'import { Skeleton } from "@/components/ui/Skeleton";', ""]
    if not d[0]:
        out += ["interface $CProps {", "  title: string;", "  pageSize?: number;",
                "  onSelect?: (item: $E) => void;", "}", ""]
    if not d[10]:
        out += ["const DEFAULT_PAGE_SIZE = 20;", ""]
    if d[9]:
        # one very long function: field-by-field copying with magic numbers
        out += ["function processData(d: any) {", "  let result: any = {}"]
        for i, fld in enumerate(("id", "name", "status", "price", "owner", "createdAt", "updatedAt", "tags",
                                 "score", "rank", "region", "notes")):
            out.append(f"  result.{fld} = d.{fld} ? d.{fld} : d['{fld}_{i}']")
            out.append(f"  if (result.{fld} == null) result.{fld} = {(salt * (i + 3)) % 97}")
        out += ["  if (result.price > 99.99) result.badge = 'premium'",
                "  if (Date.now() - result.updatedAt > 86400000) result.stale = true",
                "  return result", "}", ""]
    else:
        out += ["function byRecent(a: $E, b: $E): number {",
                "  return b.updatedAt.localeCompare(a.updatedAt);", "}", ""]
    if not d[1]:
        out += ["function use$Es(pageSize: number) {",
                "  const [items, setItems] = useState<$E[]>([]);",
                "  const [error, setError] = useState<ApiError | null>(null);",
                "  const [loading, setLoading] = useState(true);", "",
                "  const load = useCallback(async () => {",
                "    setLoading(true);",
                "    try {",
                "      const page = await $eClient.list({ limit: pageSize });",
                "      setItems([...page].sort(byRecent));",
                "      setError(null);",
                "    } catch (err) {",
                '      setError(err instanceof ApiError ? err : new ApiError("Could not load $es", { cause: err }));',
                "    } finally {",
                "      setLoading(false);",
                "    }",
                "  }, [pageSize]);", "",
                "  useEffect(() => {", "    void load();", "  }, [load]);", "",
                "  return { items, error, loading, reload: load };", "}", ""]
    if d[0]:
        out.append("export default function $C(props: any) {")
    else:
        out.append("export function $C({ title, pageSize = DEFAULT_PAGE_SIZE, onSelect }: $CProps) {")
    if d[1]:
        state_type = "any" if d[11] else "$E[]"
        out += [f"  const [data, setData] = useState<{state_type}>([])",
                "  const [loading, setLoading] = useState(true)"]
        if d[3]:
            out.append("  console.log('render $C', props)")
        out += ["  useEffect(() => {"]
        if d[2]:
            out += ["    try {",
                    "      axios.get('http://localhost:3001/api/$es?limit=50').then((res) => {",
                    "        setData(res.data)" + ("" if not d[4] else "; console.log('got', res.data.length)"),
                    "        setLoading(false)",
                    "      })",
                    "    } catch {}"]
        else:
            out += ["    fetch('/api/$es?limit=50')",
                    "      .then((res) => res.json())",
                    "      .then((json) => { setData(json); setLoading(false) })"]
            if d[7]:
                out.append("    // TODO: handle errors")
        out += ["  }, [])", ""]
        if d[5]:
            out.append("  console.log('data', data)")
        if d[8]:
            out += ["  return (",
                    "    <div style={{ padding: 24, marginTop: 13 }}>",
                    "      {data && data.length > 0 ? data.map((item: any, i: number) => {",
                    "        if (item) {",
                    "          if (item.status) {",
                    "            if (item.status === 'active') {",
                    "              if (item.price > 99.99) {",
                    "                return <div key={i} style={{ color: '#ff0000', fontSize: 17 }}>{item.name}!!</div>",
                    "              } else {",
                    "                return <div key={i}>{item.name}</div>",
                    "              }",
                    "            }",
                    "          }",
                    "        }",
                    "        return null",
                    "      }) : <div>Loading...</div>}",
                    "    </div>",
                    "  )", "}"]
        else:
            out += ["  if (loading) return <div>Loading...</div>",
                    "  return (",
                    "    <ul>",
                    "      {data.map((item: $E) => <li key={item.id}>{item.name}</li>)}",
                    "    </ul>",
                    "  )", "}"]
    else:
        out += ["  const { items, error, loading, reload } = use$Es(pageSize);", ""]
        if d[3]:
            out.append("  console.log('items', items.length);")
        out += ["  if (loading) return <Skeleton rows={3} />;",
                "  if (error) return <ErrorState message={error.message} onRetry={reload} />;",
                '  if (items.length === 0) return <p className="empty">No $es yet.</p>;', "",
                "  return (",
                '    <section aria-labelledby="$e-heading" className="panel">',
                '      <h2 id="$e-heading">{title}</h2>',
                '      <ul role="list">',
                "        {items.map((item) => (",
                "          <li key={item.id}>",
                '            <button type="button" onClick={() => onSelect?.(item)}>{item.name}</button>',
                "          </li>",
                "        ))}",
                "      </ul>",
                "    </section>",
                "  );", "}"]
    if d[12]:
        out += ["", "// TODO: remove before launch", "export const DEBUG = true"]
    return _sub("\n".join(out), names) + "\n"


def _code_ts(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("// TODO: add retries and auth")
    if d[0]:
        out += ["export async function get$Es(params: any): Promise<any> {"]
        if d[3]:
            out.append("  console.log('get$Es', params)")
        if d[2]:
            out += ["  try {",
                    "    const res = await fetch('https://api.internal.dev/v1/$es?limit=' + (params.limit || 100))",
                    "    return await res.json()",
                    "  } catch {}",
                    "  return []", "}"]
        else:
            out += ["  const res = await fetch('https://api.internal.dev/v1/$es?limit=' + (params.limit || 100))",
                    "  return res.json()", "}"]
    else:
        out += ['import type { $E, Page } from "@/types/$e";', "",
                "export class ApiError extends Error {",
                "  constructor(message: string, readonly status?: number, options?: ErrorOptions) {",
                "    super(message, options);", "  }", "}", "",
                "const MAX_RETRIES = 2;",
                "const RETRY_DELAY_MS = 250;", "",
                "async function request<T>(path: string, init: RequestInit = {}, attempt = 0): Promise<T> {",
                "  const res = await fetch(`${import.meta.env.VITE_API_URL}${path}`, init);",
                "  if (res.status >= 500 && attempt < MAX_RETRIES) {",
                "    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * (attempt + 1)));",
                "    return request<T>(path, init, attempt + 1);", "  }",
                "  if (!res.ok) {", "    throw new ApiError(`${init.method ?? \"GET\"} ${path} failed`, res.status);",
                "  }", "  return (await res.json()) as T;", "}", "",
                "export const $eClient = {",
                "  list: (query: { limit: number }): Promise<$E[]> =>",
                "    request<Page<$E>>(`/$es?limit=${query.limit}`).then((page) => page.items),",
                "  get: (id: string): Promise<$E> => request<$E>(`/$es/${encodeURIComponent(id)}`),",
                "};"]
    if d[9]:
        out += ["", "export function normalize(raw: any) {", "  const out: any = {}"]
        for i, fld in enumerate(("id", "name", "status", "total", "currency", "owner", "createdAt", "items",
                                 "discount", "tax")):
            out.append(f"  out.{fld} = raw.{fld} !== undefined ? raw.{fld} : raw['{fld}'] || {(salt + i * 7) % 50}")
        out += ["  out.total = out.total * 1.0825", "  return out", "}"]
    if d[8]:
        out += ["", "export function statusLabel(x: any) {",
                "  if (x) {", "    if (x.status) {", "      if (x.status === 'open') {",
                "        if (x.total > 500) {", "          return 'big-open'", "        }",
                "        return 'open'", "      }", "    }", "  }", "  return 'unknown'", "}"]
    elif not d[0]:
        out += ["", "export function statusLabel(item: $E): string {",
                "  return item.status === \"open\" ? \"Open\" : \"Closed\";", "}"]
    if d[4]:
        out.append("console.log('$e client loaded')")
    if d[7]:
        out.append("// TODO: types for pagination")
    return _sub("\n".join(out), names) + "\n"


def _code_js(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("// TODO: validation")
    out += ["const express = require('express')", "const router = express.Router()"]
    if not d[0]:
        out += ["const { z } = require('zod')", "",
                "const $EInput = z.object({ name: z.string().min(1), quantity: z.number().int().positive() })",
                "const MAX_PAGE_SIZE = 100"]
    out.append("")
    if d[0]:
        out += ["router.post('/$es', async (req, res) => {"]
        if d[3]:
            out.append("  console.log('body', req.body)")
        if d[2]:
            out += ["  try {",
                    "    const row = await db.query(\"INSERT INTO $es (name) VALUES ('\" + req.body.name + \"')\")",
                    "    res.json(row)",
                    "  } catch (e) {}", "})"]
        else:
            out += ["  const row = await db.query(\"INSERT INTO $es (name) VALUES ('\" + req.body.name + \"')\")",
                    "  res.json(row)", "})"]
    else:
        out += ["router.post('/$es', async (req, res, next) => {",
                "  const parsed = $EInput.safeParse(req.body)",
                "  if (!parsed.success) {",
                "    return res.status(400).json({ error: 'invalid_$e', issues: parsed.error.issues })",
                "  }",
                "  try {",
                "    const row = await db.query('INSERT INTO $es (name, quantity) VALUES ($1, $2) RETURNING *',",
                "      [parsed.data.name, parsed.data.quantity])",
                "    return res.status(201).json(row)",
                "  } catch (err) {",
                "    return next(err)",
                "  }",
                "})"]
    out.append("")
    if d[9]:
        out += ["router.get('/$es', async (req, res) => {", "  let rows = await db.query('SELECT * FROM $es')"]
        for i in range(9):
            out.append(f"  rows = rows.map((r) => {{ r.f{i} = r.f{i} || {(salt * (i + 5)) % 89}; return r }})")
        out += ["  res.json(rows.slice(0, 37))", "})"]
    else:
        out += ["router.get('/$es', async (req, res, next) => {",
                "  const limit = Math.min(Number(req.query.limit) || 20, MAX_PAGE_SIZE)",
                "  try {",
                "    res.json(await db.query('SELECT * FROM $es ORDER BY id LIMIT $1', [limit]))",
                "  } catch (err) {",
                "    next(err)",
                "  }",
                "})"] if not d[0] else ["router.get('/$es', async (req, res) => {",
                                        "  res.json(await db.query('SELECT * FROM $es'))", "})"]
    if d[8]:
        out += ["", "function check(u) {", "  if (u) {", "    if (u.role) {", "      if (u.role !== 'guest') {",
                "        if (u.active) {", "          return true", "        }", "      }", "    }", "  }",
                "  return false", "}"]
    if d[4]:
        out.append("console.log('routes ready')")
    if d[7]:
        out.append("// TODO: auth middleware")
    out += ["", "module.exports = router"]
    return _sub("\n".join(out), names) + "\n"


def _code_css(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("/* TODO: clean up overrides */")
    if not d[0]:
        out += [":root {", "  --space-1: 0.25rem;", "  --space-2: 0.5rem;", "  --space-4: 1rem;",
                "  --radius-card: 0.75rem;", "  --color-surface: var(--palette-surface);",
                "  --ease-standard: cubic-bezier(0.2, 0, 0, 1);", "}", ""]
    if d[10]:
        out += [".$e-panel {", f"  padding: {13 + salt % 7}px {17 + salt % 5}px;", "  margin-top: 37px;",
                "  width: 1184px;", "  z-index: 9999;", "}"]
    else:
        out += [".$e-panel {", "  padding: var(--space-4);", "  border-radius: var(--radius-card);",
                "  background: var(--color-surface);", "  container-type: inline-size;", "}"]
    if d[1]:
        out += [".$e-panel .title {", "  color: #333 !important;", "  font-size: 19px !important;", "}"]
    if d[2]:
        out += [".$e-panel button {", "  background: #6366f1 !important;", "}"]
    if d[9]:
        for i in range(8):
            out += [f".$e-item-{i} {{ margin-left: {i * 3 + salt % 4}px; top: {i * 7}px; }}"]
    if d[8]:
        out += [".app .main .content .panel .list .item .title span { font-weight: 700; }"]
    if not d[1]:
        out += ["", "@container (min-width: 40rem) {", "  .$e-panel { display: grid; grid-template-columns: 2fr 1fr; }",
                "}"]
    if d[3]:
        out += [".$e-panel * { transition: all 0.5s; }"]
    else:
        out += ["", ".$e-panel button {", "  transition: transform 160ms var(--ease-standard);", "}",
                "", "@media (prefers-reduced-motion: reduce) {", "  .$e-panel button { transition: none; }", "}"]
    if d[7]:
        out.append("/* TODO: dark mode */")
    return _sub("\n".join(out), names) + "\n"


def _code_py(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("# TODO: pagination")
    if d[0]:
        out += ["import requests", "", "",
                "def get_data(x):"]
        if d[3]:
            out.append('    print("getting data", x)')
        if d[2]:
            out += ["    try:",
                    '        r = requests.get("http://localhost:8000/$es?limit=500")',
                    "        data = r.json()",
                    "    except:",
                    "        pass",
                    '    return data["items"]']
        else:
            out += ['    r = requests.get("http://localhost:8000/$es?limit=500")', '    return r.json()["items"]']
    else:
        out += ["from __future__ import annotations", "", "import logging",
                "from dataclasses import dataclass", "", "import httpx", "",
                "log = logging.getLogger(__name__)", "PAGE_SIZE = 100", "REQUEST_TIMEOUT_S = 10.0", "", "",
                "@dataclass(frozen=True)", "class $ERecord:", "    id: str", "    name: str", "    updated_at: str",
                "", "",
                "def fetch_$es(client: httpx.Client, *, limit: int = PAGE_SIZE) -> list[$ERecord]:",
                '    response = client.get("/$es", params={"limit": limit}, timeout=REQUEST_TIMEOUT_S)',
                "    response.raise_for_status()",
                '    return [$ERecord(**row) for row in response.json()["items"]]']
    if d[9]:
        out += ["", "", "def transform(rows):", "    out = []", "    for r in rows:"]
        for i, fld in enumerate(("id", "name", "status", "price", "owner", "created", "tags", "score", "region")):
            out.append(f"        r['{fld}'] = r.get('{fld}') or {(salt * (i + 2)) % 83}")
        out += ["        out.append(r)", "    return out"]
    if d[8]:
        out += ["", "", "def flag(r):", "    if r:", "        if r.get('status'):",
                "            if r['status'] == 'active':", "                if r.get('price', 0) > 99.99:",
                "                    return True", "    return False"]
    if d[11]:
        out += ["", "", "from typing import Any", "", "", "def merge(a: Any, b: Any) -> Any:",
                "    return {**a, **b}"]
    elif not d[0]:
        out += ["", "", "def sync_$es(client: httpx.Client) -> int:",
                "    records = fetch_$es(client)",
                '    log.info("synced %d $es", len(records))',
                "    return len(records)"]
    if d[4]:
        out.append('print("done")')
    if d[7]:
        out.append("# TODO: retry on 5xx")
    return _sub("\n".join(out), names) + "\n"


CODE_GENERATORS = {"tsx": _code_tsx, "ts": _code_ts, "js": _code_js, "css": _code_css, "py": _code_py}
LANGUAGE_WEIGHTS = (("tsx", 0.40), ("ts", 0.25), ("css", 0.15), ("js", 0.10), ("py", 0.10))
PATH_TEMPLATES = {
    "tsx": ("src/components/$C.tsx", "src/pages/$EsPage.tsx", "app/$es/page.tsx", "src/features/$e/$CList.tsx"),
    "ts": ("src/lib/api/$e-client.ts", "src/hooks/use$Es.ts", "src/store/$eStore.ts", "src/lib/format-$e.ts"),
    "js": ("server/routes/$es.js", "server/middleware/$e-auth.js", "api/$es/index.js"),
    "css": ("src/styles/$e-panel.css", "src/styles/tokens.css", "src/components/$C.module.css"),
    "py": ("services/worker/$e_sync.py", "api/routes/$es.py", "scripts/import_$es.py"),
}
COMPONENT_SUFFIXES = ("Card", "List", "Panel", "Table", "Feed", "Grid", "Detail", "Editor")


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------
def _make_secret(rng: random.Random, kind: str) -> str:
    if kind == "openai_api_key":
        return "sk-proj-" + _rand_str(rng, 24) + "T3BlbkFJ" + _rand_str(rng, 24)
    if kind == "anthropic_api_key":
        return "sk-ant-api03-" + _rand_str(rng, 93, _B64URL) + "AA"
    if kind == "aws_access_key_id":
        return "AKIA" + _rand_str(rng, 16, _UPPER_DIGITS)
    if kind == "aws_secret_access_key":
        return _rand_str(rng, 40, _B62 + "/+")
    if kind == "github_token":
        return "ghp_" + _rand_str(rng, 36)
    if kind == "stripe_secret_key":
        return ("sk_live_" if rng.random() < 0.8 else "rk_live_") + _rand_str(rng, 48)
    if kind == "google_api_key":
        return "AIza" + _rand_str(rng, 35, _B64URL)
    if kind == "bearer_token":
        return _rand_str(rng, 44, _B64URL)
    if kind == "jwt":
        header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
        claims = _dumps({"sub": f"usr_{rng.getrandbits(32):08x}", "role": "admin", "iat": 1767225600 + rng.randrange(10**6)})
        payload = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=").decode()
        return f"{header}.{payload}.{_rand_str(rng, 43, _B64URL)}"
    if kind == "private_key":
        label = ("RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY")[int(rng.random() * 3)]
        body = "\n".join(_rand_str(rng, 64, _B62 + "+/") for _ in range(5))
        return f"-----BEGIN {label}-----\nMIIE{body}\n-----END {label}-----"
    if kind == "postgres_url":
        user = ("app", "admin", "postgres", "builder")[int(rng.random() * 4)]
        return (f"postgres://{user}:{_rand_str(rng, 18)}@db-{rng.getrandbits(16):04x}.internal.example.net:5432/"
                f"{('app', 'prod', 'main')[int(rng.random() * 3)]}")
    if kind == "email":
        return (f"{_FIRST_NAMES[int(rng.random() * 10)]}.{_LAST_NAMES[int(rng.random() * 10)]}"
                f"{rng.randrange(100)}@{_EMAIL_DOMAINS[int(rng.random() * 5)]}")
    raise ValueError(kind)


# How a secret of each kind shows up in free text (thinking traces, messages, fixes).
SECRET_TEXT = {
    "openai_api_key": "OPENAI_API_KEY={s}",
    "anthropic_api_key": "ANTHROPIC_API_KEY={s}",
    "aws_access_key_id": "AWS_ACCESS_KEY_ID={s}",
    "aws_secret_access_key": "aws_secret_access_key = {s}",
    "github_token": "GITHUB_TOKEN={s}",
    "stripe_secret_key": "STRIPE_SECRET_KEY={s}",
    "google_api_key": "GOOGLE_MAPS_API_KEY={s}",
    "bearer_token": "Authorization: Bearer {s}",
    "jwt": "session token {s}",
    "private_key": "the deploy key\n{s}\n",
    "postgres_url": "DATABASE_URL={s}",
    "email": "contact {s}",
}
# And how it shows up in code, per language family.
SECRET_CODE = {
    "ts": {"private_key": "const DEPLOY_KEY = `{s}`;", "bearer_token": 'const headers = {{ Authorization: "Bearer {s}" }};',
           "email": 'const SUPPORT_EMAIL = "{s}";', "postgres_url": 'const DATABASE_URL = "{s}";',
           "aws_secret_access_key": 'const AWS_SECRET_ACCESS_KEY = "{s}";', "jwt": 'const DEMO_TOKEN = "{s}";',
           "_": 'const API_KEY = "{s}";'},
    "py": {"private_key": 'DEPLOY_KEY = """{s}"""', "bearer_token": 'HEADERS = {{"Authorization": "Bearer {s}"}}',
           "email": 'SUPPORT_EMAIL = "{s}"', "postgres_url": 'DATABASE_URL = "{s}"',
           "aws_secret_access_key": 'AWS_SECRET_ACCESS_KEY = "{s}"', "jwt": 'DEMO_TOKEN = "{s}"',
           "_": 'API_KEY = "{s}"'},
    "css": {"_": "/* asset CDN key: {s} */"},
}
SECRET_SENTENCES = (
    "The user pasted {t} in the prompt; using it for the smoke test.",
    "Copied {t} from the staging .env to reproduce the failure.",
    "Replayed the request with {t} and it returned 200.",
    "Config dump shows {t}, so the env is loaded.",
)


# --------------------------------------------------------------------------------------------
# The world: per-seed jittered truth
# --------------------------------------------------------------------------------------------
class _World:
    def __init__(self, seed: int):
        rng = random.Random(f"learning-sim/{seed}/world")

        def jitter(p: float, spread: float = 0.04) -> float:
            return round(_clip(p + rng.uniform(-spread, spread), 0.03, 0.97), 3)

        self.options: dict[str, list[dict[str, Any]]] = {}
        for dtype in DECISION_TYPES:
            entries = []
            for text, quality, base, deltas in OPTIONS[dtype]:
                p = jitter(base)
                by_context = {ctx: round(_clip(p + delta, 0.03, 0.97), 3) for ctx, delta in deltas.items()}
                entries.append({"option": text, "quality": quality, "p": p, "by_context": by_context})
            self.options[dtype] = entries
        self.patterns = [
            {"patternId": pid, "name": name, "category": cat, "p": jitter(p)} for pid, name, cat, p in PATTERNS
        ]
        self.patterns_by_category: dict[str, list[dict[str, Any]]] = {}
        for pattern in self.patterns:
            self.patterns_by_category.setdefault(pattern["category"], []).append(pattern)
        self.strategies = {
            domain: {name: {ctx: jitter(p, 0.03) for ctx, p in by_ctx.items()} for name, by_ctx in strategies.items()}
            for domain, strategies in STRATEGIES.items()
        }

    def option_p(self, dtype: str, index: int, context: str) -> float:
        entry = self.options[dtype][index]
        return entry["by_context"].get(context, entry["p"])

    def truth(self) -> dict[str, Any]:
        return {
            "decision_options": self.options,
            "patterns": {
                p["patternId"]: {"name": p["name"], "category": p["category"], "first_attempt_success_rate": p["p"]}
                for p in self.patterns
            },
            "strategies": {
                domain: {
                    name: {"strategyId": _strategy_id(domain, name), "success_rate_by_context": by_ctx}
                    for name, by_ctx in strategies.items()
                }
                for domain, strategies in self.strategies.items()
            },
            "souls": {
                soul: {
                    "fitting_fonts": spec["fonts"],
                    "fitting_palettes": spec["palettes"],
                    "fitting_motion": [{"name": n, "timing": t, "easing": e} for n, t, e in spec["motion"]],
                    "grid": spec["grid"],
                }
                for soul, spec in SOULS.items()
            },
            "slop_design": SLOP_DESIGN,
            "error_types": {
                etype: {
                    "message": spec["message"],
                    "correct_fix": spec["fix"],
                    "level_required": spec["level"],
                    "wrong_fixes": list(spec["wrong"]),
                    "generalizable_pattern": spec["pattern"],
                }
                for etype, spec in ERROR_TYPES.items()
            },
            "models_by_level": {str(k): v for k, v in MODELS_BY_LEVEL.items()},
        }


def _strategy_id(domain: str, strategy: str) -> str:
    return f"strat_{domain}_{strategy}"


# The success model: the true first-attempt success probability of a build, from signals
# visible early in the build (intent text, the early decisions' options and outcomes) plus the
# builder's skill at the time (visible as the date). Calibrated so the first days run near 45%
# and the last days near 78% (PLAN.md "Expected Outcomes").
SUCCESS_MODEL = {
    "intercept": -0.57,
    "intentClarity": 1.3,
    "complexity": -1.5,
    "planQuality": 1.1,
    "earlyErrors": -0.35,
    "skill": 2.1,
}


# --------------------------------------------------------------------------------------------
# Simulating one build
# --------------------------------------------------------------------------------------------
@dataclass
class _Project:
    project_id: str
    user_id: str
    kind: tuple
    soul: str
    context: str
    tags: list[str]
    features: list[tuple[str, bool]]
    complexity: float


@dataclass
class _User:
    user_id: str
    clarity: float  # how clearly this user tends to write intents
    projects: list[_Project] = field(default_factory=list)


@dataclass
class _Event:
    ts: int
    kind: str
    data: dict
    secrets: list[dict] | None = None


class _Truth:
    """What really happened, accumulated as builds are simulated."""

    def __init__(self) -> None:
        self.builds: list[dict] = []
        self.code_versions: list[dict] = []
        self.design_choices: list[dict] = []
        self.error_recoveries: list[dict] = []
        self.outcomes = {"inline": 0, "late": 0, "never": 0, "replaced": []}
        self.decisions = 0
        self.retries = 0


class _BuildSim:
    """Simulates one build into a list of timestamped events (and appends its truth)."""

    def __init__(self, world: _World, truth: _Truth, seed: int, index: int, start_ms: int, progress: float,
                 project: _Project, user: _User, secret_rate: float, window_end: int):
        self.world = world
        self.truth = truth
        self.rng = random.Random(f"learning-sim/{seed}/build/{index}")
        # Secrets draw from their own stream so the secret rate does not reshuffle the builds.
        self.secret_rng = random.Random(f"learning-sim/{seed}/secrets/{index}")
        self.secret_rate = secret_rate
        self.start = start_ms
        self.progress = progress
        self.project = project
        self.user = user
        self.window_end = window_end  # late outcomes are not dated after the window
        self.events: list[_Event] = []
        self.error_times: list[int] = []
        rng = self.rng
        self.build_id = _hex_id(rng, "bld")
        # The builder's competence at this point of the window (it learns from earlier builds).
        self.skill = _clip(0.22 + 0.62 * progress + rng.gauss(0, 0.07), 0.02, 0.98)
        self.clarity = _clip(user.clarity + rng.gauss(0, 0.15), 0.0, 1.0)
        self.complexity = project.complexity
        self.entity = project.kind[3]
        # Planned duration: minutes to hours, longer when complex, shorter as the builder learns.
        median_min = 11.0 * (1.0 - 0.4 * progress) * (1.0 + 1.4 * self.complexity)
        self.duration = int(_clip(math.exp(math.log(median_min) + rng.gauss(0, 0.55)), 3.0, 230.0) * MINUTE_MS)
        self.intent = self._intent()

    # -- helpers --------------------------------------------------------------------------------
    def _at(self, phase: str) -> int:
        lo, hi = PHASE_WINDOWS[phase]
        return self.start + int(self.duration * self.rng.uniform(lo, hi))

    def _base(self, id_key: str, prefix: str) -> dict:
        record = {id_key: _hex_id(self.rng, prefix), "buildId": self.build_id}
        u = self.rng.random()
        if u < 0.94:
            record["projectId"] = self.project.project_id
        elif u < 0.97:
            record["projectId"] = None
        record["userId"] = self.user.user_id
        return record

    def _emit(self, ts: int, kind: str, data: dict, secrets: list[dict] | None = None) -> None:
        self.events.append(_Event(ts, kind, data, secrets))

    def _intent(self) -> str:
        rng, kind = self.rng, self.project.kind
        name, _, _, entity, audience, famous = kind
        article = "an" if name[0] in "aeiouAEIOU" else "a"
        if self.clarity < 0.33:
            return (f"make me {article} {name} like {famous} but better",
                    f"i need an app for {audience}, should look cool",
                    f"something like {famous} for {audience}?? with {self.project.features[0][0]} maybe")[
                int(rng.random() * 3)]
        count = 1 + round(self.clarity * 3)
        feats = [f for f, _ in self.project.features[:count]]
        listed = ", ".join(feats[:-1]) + (" and " if len(feats) > 1 else "") + feats[-1]
        text = f"Build {article} {name} for {audience} with {listed}."
        if self.clarity > 0.6:
            text += f" Use {', '.join(self.project.tags[1:3]) or 'react'}; {CONSTRAINTS[int(rng.random() * 5)]}."
        if self.clarity > 0.85:
            text += f" Done means: a {entity.lower()} can be created, edited and shared end to end."
        return text

    def _plant(self, record: dict, places: list[tuple[str, str]]) -> list[dict] | None:
        """Maybe hide a secret in one of `places` ((field path, style)); returns what was planted."""
        srng = self.secret_rng
        if srng.random() >= self.secret_rate or not places:
            return None
        kind = SECRET_KINDS[int(srng.random() * len(SECRET_KINDS))]
        secret = _make_secret(srng, kind)
        path, style = places[int(srng.random() * len(places))]
        if style.startswith("code:"):
            family = style[5:]
            templates = SECRET_CODE.get(family, SECRET_CODE["ts"])
            snippet = templates.get(kind, templates["_"]).format(s=secret)
        else:
            snippet = SECRET_SENTENCES[int(srng.random() * len(SECRET_SENTENCES))].format(
                t=SECRET_TEXT[kind].format(s=secret))
        # Walk the path ("a.b", "versions[1].code") and append the snippet to that string.
        parent, key = _resolve(record, path)
        current = parent.get(key) if isinstance(parent, dict) else parent[key]
        if style.startswith("code:"):
            lines = (current or "").split("\n")
            cut = min(len(lines), 3 + int(srng.random() * 4))
            new_value = "\n".join(lines[:cut] + [snippet] + lines[cut:])
        else:
            new_value = f"{current} {snippet}" if current else snippet
        parent[key] = new_value
        return [{"value": secret, "kind": kind, "field": path}]

    # -- the build ------------------------------------------------------------------------------
    def run(self) -> list[_Event]:
        rng = self.rng
        self.paths = self._plan_artifacts()
        early_good, early_total, early_errors = self._decisions()
        plan_quality = early_good / early_total if early_total else 0.5
        m = SUCCESS_MODEL
        logit = (m["intercept"] + m["intentClarity"] * self.clarity + m["complexity"] * self.complexity
                 + m["planQuality"] * plan_quality + m["earlyErrors"] * early_errors + m["skill"] * self.skill)
        p_success = _sigmoid(logit)
        first_attempt_success = rng.random() < p_success

        errors_attempts, unresolved = self._errors(first_attempt_success)
        self._code_artifacts(first_attempt_success)
        design = self._design()
        self._patterns_feedback()
        self._strategies(bool(errors_attempts), design is not None)

        # The build ends after its last own event (late outcomes arrive days later and do not count).
        end = max([self.start + self.duration] + [e.ts for e in self.events if e.kind != "decision_outcome"])
        end += int(rng.uniform(5, 90) * 1000)
        if design is not None:
            anti_slop = design["anti_slop"]
        else:
            anti_slop = _clip(rng.gauss(66 + 25 * self.skill, 7), 0, 100)
        attempts = sum(errors_attempts)
        satisfaction = (7.0 + 1.0 * first_attempt_success + 0.04 * (anti_slop - 70) + 1.2 * self.skill
                        - 0.12 * min(attempts, 8) - 0.6 * unresolved + rng.gauss(0, 0.7))
        satisfaction = int(round(_clip(satisfaction, 1, 10)))
        summary = {
            "buildId": self.build_id,
            "firstAttemptSuccess": first_attempt_success,
            "errorFixAttempts": attempts,
            "buildTimeMs": end - self.start,
            "userSatisfaction": satisfaction,
            "antiSlopScore": round(anti_slop, 1),
            "createdAt": _iso(end, rng.random() < ALT_DATE_SHARE),
        }
        _maybe_extra_field(summary, rng)
        self._emit(end, "build_summary", summary)
        self.truth.builds.append({
            "buildId": self.build_id,
            "projectId": self.project.project_id,
            "userId": self.user.user_id,
            "day": _day_of(self.start),
            "started_at": _iso(self.start),
            "progress": round(self.progress, 4),
            "skill": round(self.skill, 4),
            "primary_context": self.project.context,
            "app_soul": self.project.soul,
            "signals": {
                "intentClarity": round(self.clarity, 4),
                "complexity": round(self.complexity, 4),
                "planQuality": round(plan_quality, 4),
                "earlyErrors": early_errors,
                "skill": round(self.skill, 4),
            },
            "success_probability": round(p_success, 4),
            "first_attempt_success": first_attempt_success,
            "error_fix_attempts": attempts,
            "unresolved_errors": unresolved,
            "anti_slop_score": round(anti_slop, 1),
            "user_satisfaction": satisfaction,
            "build_time_ms": end - self.start,
        })
        return self.events

    def _plan_artifacts(self) -> list[tuple[str, str]]:
        rng = self.rng
        count = min(6, 2 + _poisson(rng, 0.6 + 1.6 * self.complexity))
        entity = self.entity
        paths: list[tuple[str, str]] = []
        seen: list[str] = []
        for _ in range(count * 3):
            if len(paths) == count:
                break
            u, acc, lang = rng.random(), 0.0, "tsx"
            for lang_name, weight in LANGUAGE_WEIGHTS:
                acc += weight
                if u < acc:
                    lang = lang_name
                    break
            comp = entity + COMPONENT_SUFFIXES[int(rng.random() * len(COMPONENT_SUFFIXES))]
            template = PATH_TEMPLATES[lang][int(rng.random() * len(PATH_TEMPLATES[lang]))]
            path = _sub(template, {"$C": comp, "$E": entity, "$e": entity.lower()})
            if path not in seen:
                seen.append(path)
                paths.append((path, lang))
        return paths

    # -- decisions ------------------------------------------------------------------------------
    def _decisions(self) -> tuple[int, int, int]:
        rng = self.rng
        early_good = early_total = early_errors = 0
        phases = list(PHASES) if rng.random() < 0.88 else list(PHASES[:-1])  # not every build reaches a demo
        for phase in phases:
            types, lo, hi = PHASE_DECISIONS[phase]
            count = lo + int(rng.random() * (hi - lo + 1))
            times = sorted(self._at(phase) for _ in range(count))
            for t in times:
                dtype = types[int(rng.random() * len(types))]
                good, result = self._decision(phase, dtype, t)
                if phase in EARLY_PHASES:
                    early_total += 1
                    early_good += good
                    early_errors += result != "success"
        return early_good, early_total, early_errors

    def _choose(self, dtype: str, avoid: int | None) -> int:
        rng, options = self.rng, self.world.options[dtype]
        goods = [i for i, o in enumerate(options) if o["quality"] == "good" and i != avoid]
        bads = [i for i, o in enumerate(options) if o["quality"] != "good" and i != avoid]
        if avoid is None:
            p_good = _clip(0.18 + 0.75 * self.skill, 0.05, 0.95)
        else:
            # After a failure the builder switches option and usually reaches for a good one.
            p_good = _clip(0.55 + 0.4 * self.skill, 0.05, 0.97)
        pool = goods if (rng.random() < p_good and goods) or not bads else bads
        if pool is goods and len(pool) > 1 and rng.random() < 0.6:
            # the better of the good options is the favourite
            return max(pool, key=lambda i: options[i]["p"])
        return pool[int(rng.random() * len(pool))]

    def _decision(self, phase: str, dtype: str, t: int, attempt: int = 0, avoid: int | None = None,
                  error_text: str | None = None) -> tuple[bool, str]:
        rng, world = self.rng, self.world
        options = world.options[dtype]
        index = self._choose(dtype, avoid)
        chosen = options[index]
        good = chosen["quality"] == "good"
        p = world.option_p(dtype, index, self.project.context)
        u = rng.random()
        if u < p:
            result = "success"
        else:
            result = "partial" if rng.random() < 0.35 else "failure"
        alt = rng.random() < ALT_DATE_SHARE

        others = [o["option"] for i, o in enumerate(options) if i != index]
        rng.shuffle(others)
        k = rng.random()
        rejected = others if k < 0.6 else others[: 1 + int(rng.random() * 2)] if k < 0.92 else []
        feature = self.project.features[int(rng.random() * len(self.project.features))][0]
        specific = rng.random() < (0.7 if good else 0.3)
        pool = REASONING_SPECIFIC if specific else REASONING_VAGUE
        reasoning = pool[int(rng.random() * len(pool))].format(feature=feature)
        confidence = _clip(rng.gauss(0.76 if good else 0.64, 0.11) + (0.04 if result == "success" else -0.02), 0.05, 0.99)

        record = self._base("traceId", "dec")
        record["phase"] = phase
        record["decisionType"] = dtype
        context: dict[str, Any] = {"previousAttempts": attempt}
        _set_optional(context, "intentSnippet", self.intent[:160], rng, 0.15, 0.03)
        _set_optional(context, "currentCodeState", self._code_state(phase), rng, 0.3, 0.1)
        if error_text is not None:
            context["errorIfAny"] = error_text
        else:
            _set_optional(context, "errorIfAny", None, rng, 0.5, 0.5)
        thinking = (f"Options for {dtype.replace('_', ' ')}: '{chosen['option']}'"
                    + (f" vs '{rejected[0]}'" if rejected else "")
                    + f". {'Previous attempt failed, switching approach. ' if attempt else ''}"
                    + f"Going with the first because {reasoning[0].lower()}{reasoning[1:]}")
        _set_optional(context, "thinkingTrace", thinking, rng, 0.2, 0.05)
        related = [p for p, _ in self.paths[: 1 + int(rng.random() * len(self.paths))]]
        _set_optional(context, "relatedFiles", related, rng, 0.2, 0.05)
        _set_optional(context, "buildPhase", phase, rng, 0.3, 0.0)
        record["context"] = context
        record["decision"] = {
            "chosenOption": chosen["option"],
            "rejectedOptions": rejected,
            "reasoning": reasoning,
            "confidence": round(confidence, 2),
        }
        outcome = self._outcome(result)
        delivery = rng.random()
        record["createdAt"] = _iso(t, alt)
        if delivery < OUTCOME_INLINE_SHARE:
            recorded = t + int(rng.uniform(0.5, 20) * MINUTE_MS)
            record["outcome"] = outcome
            record["outcomeRecordedAt"] = _iso(recorded, alt)
            self.truth.outcomes["inline"] += 1
        else:
            if rng.random() < 0.6:
                record["outcome"] = None
        _maybe_extra_field(record, rng)
        secrets = self._plant(record, [("context.thinkingTrace", "text"), ("decision.reasoning", "text"),
                                       ("context.errorIfAny", "text"), ("context.currentCodeState", "text")])
        self._emit(t, "decision", record, secrets)
        self.truth.decisions += 1

        if OUTCOME_INLINE_SHARE <= delivery < OUTCOME_INLINE_SHARE + OUTCOME_LATE_SHARE:
            self._late_outcome(record["traceId"], t, outcome)
        elif delivery >= OUTCOME_INLINE_SHARE + OUTCOME_LATE_SHARE:
            self.truth.outcomes["never"] += 1

        # A failed decision is often retried later in the build with a different option.
        if result == "failure" and attempt < 3 and rng.random() < 0.65:
            lo, hi = PHASE_WINDOWS[phase]
            t_retry = t + int(rng.uniform(1, 10) * MINUTE_MS + self.duration * (hi - lo) * 0.2)
            self.truth.retries += 1
            self._decision(phase, dtype, t_retry, attempt + 1, index, self._failure_text(dtype))
        return good, result

    def _outcome(self, result: str) -> dict:
        rng = self.rng
        if result == "success":
            fixes = 0 if rng.random() < 0.85 else 1
            in_production = rng.random() < 0.95
            base = 84
        elif result == "partial":
            fixes = 1 + int(rng.random() * 2)
            in_production = rng.random() < 0.6
            base = 64
        else:
            fixes = 1 + int(rng.random() * 4)
            in_production = rng.random() < 0.15
            base = 41
        outcome: dict[str, Any] = {"immediateResult": result, "requiredFixes": fixes,
                                   "finalInProduction": in_production}
        if rng.random() < 0.7:
            outcome["verificationScores"] = {
                name: round(_clip(rng.gauss(base, 9), 0, 100), 1)
                for name in ("functional", "codeQuality", "visual", "accessibility")[: 2 + int(rng.random() * 3)]
            }
        u = rng.random()
        if u < 0.45:
            sat = {"success": 4.3, "partial": 3.2, "failure": 2.0}[result] + rng.gauss(0, 0.7)
            outcome["userSatisfaction"] = int(round(_clip(sat, 1, 5)))
        elif u < 0.75:
            outcome["userSatisfaction"] = None
        return outcome

    def _late_outcome(self, trace_id: str, t: int, outcome: dict) -> None:
        rng = self.rng
        window_end = self.window_end
        # Outcomes arrive 0-5 days after the decision, never after the end of the window.
        room = max(2 * MINUTE_MS, min(LATE_OUTCOME_MAX_DAYS * DAY_MS, window_end - t))
        self.truth.outcomes["late"] += 1
        if rng.random() < OUTCOME_REPLACED_SHARE:
            # A provisional outcome that a newer one replaces (the final one is the true sample);
            # both stay inside the 0-5 day window.
            recorded = t + MINUTE_MS + int(rng.random() * 0.6 * room)
            final_at = recorded + MINUTE_MS + int(rng.random() * (t + room - recorded - MINUTE_MS))
            provisional = dict(outcome)
            provisional["immediateResult"] = {"success": "partial", "partial": "failure", "failure": "partial"}[
                outcome["immediateResult"]]
            provisional.pop("verificationScores", None)
            self._emit_outcome(trace_id, recorded, provisional)
            self._emit_outcome(trace_id, final_at, outcome)
            self.truth.outcomes["replaced"].append(trace_id)
        else:
            self._emit_outcome(trace_id, t + MINUTE_MS + int(rng.random() * (room - MINUTE_MS)), outcome)

    def _emit_outcome(self, trace_id: str, ts: int, outcome: dict) -> None:
        data = {"traceId": trace_id, "outcome": outcome,
                "outcomeRecordedAt": _iso(ts, self.rng.random() < ALT_DATE_SHARE)}
        _maybe_extra_field(data, self.rng)
        self._emit(ts, "decision_outcome", data)

    def _code_state(self, phase: str) -> str:
        rng = self.rng
        files = len(self.paths) + int(rng.random() * 12)
        if phase in ("intent_lock", "initialization"):
            return f"scaffold: {files} files, no components yet"
        failing = _poisson(rng, 1.5 * (1 - self.skill))
        return f"{files} files, type check {'passing' if not failing else f'failing ({failing} errors)'}"

    def _failure_text(self, dtype: str) -> str:
        etype = list(ERROR_TYPES)[int(self.rng.random() * len(ERROR_TYPES))]
        return f"previous {dtype.replace('_', ' ')} failed verification: {ERROR_TYPES[etype]['message'][:120]}"

    # -- errors ---------------------------------------------------------------------------------
    def _errors(self, first_attempt_success: bool) -> tuple[list[int], int]:
        rng = self.rng
        lam = 0.1 + 0.8 * self.complexity * (1 - self.skill) + (0 if first_attempt_success else 0.35)
        count = (0 if first_attempt_success else 1) + _poisson(rng, lam * (0.3 if first_attempt_success else 1.0))
        attempts: list[int] = []
        unresolved = 0
        lang_paths = self.paths or [("src/App.tsx", "tsx")]
        for _ in range(count):
            path, lang = lang_paths[int(rng.random() * len(lang_paths))]
            candidates = [e for e, spec in ERROR_TYPES.items() if lang in spec["languages"]] or list(ERROR_TYPES)
            etype = candidates[int(rng.random() * len(candidates))]
            n, fixed = self._error(etype, path)
            attempts.append(n)
            unresolved += not fixed
        return attempts, unresolved

    def _error(self, etype: str, path: str) -> tuple[int, bool]:
        rng, spec = self.rng, ERROR_TYPES[etype]
        t0 = self._at(("build", "integration", "verification")[int(rng.random() * 3)])
        alt = rng.random() < ALT_DATE_SHARE
        line, col = 1 + int(rng.random() * 180), 1 + int(rng.random() * 40)
        stack = _stack_trace(rng, spec["message"], path, line, col) if rng.random() < 0.8 else ""
        error = {"type": etype, "message": spec["message"], "stackTrace": stack,
                 "fileLocation": f"{path}:{line}:{col}"}
        _set_optional(error, "firstOccurrence", _iso(t0, alt), rng, 0.2, 0.05)

        journey: list[dict] = []
        level = 1
        # A more skilled builder escalates straight to the level the error needs more often.
        if rng.random() < 0.5 * self.skill:
            level = spec["level"]
        t = t0
        fixed_at: int | None = None
        wrongs = spec["wrong"]
        for attempt in range(1, 6):
            p_correct = _clip(0.25 + 0.5 * self.skill + 0.08 * (level - 1), 0.05, 0.95)
            correct = rng.random() < p_correct
            taken = int(rng.uniform(4, 30 + 60 * level) * 1000)
            t += taken
            if correct and level >= spec["level"]:
                result = "fixed"
            elif correct:
                result = "partial"  # the right idea at too low a level: incomplete
            else:
                result = "failed" if rng.random() < 0.7 else "new_error"
            step = {"attempt": attempt, "level": level, "modelUsed": MODELS_BY_LEVEL[level]}
            if rng.random() < 0.6:
                step["thinkingTrace"] = (f"{etype} in {path}. "
                                         + ("Root cause looks like " + spec["fix"].split(" and ")[0] + "."
                                            if correct else "Trying the quick workaround first."))
            step["fixApplied"] = spec["fix"] if correct else wrongs[int(rng.random() * len(wrongs))]
            step["result"] = result
            step["timeTakenMs"] = taken
            journey.append(step)
            if result == "fixed":
                fixed_at = t
                break
            if rng.random() < 0.75:
                level = min(4, level + 1)

        record = self._base("errorId", "err")
        record["error"] = error
        record["recoveryJourney"] = journey
        if fixed_at is not None:
            record["successfulFix"] = {
                "levelRequired": journey[-1]["level"],
                "fixDescription": spec["fix"],
                "codeDiff": f"--- a/{path}\n+++ b/{path}\n@@ -{line},6 +{line},8 @@\n{spec['diff']}",
                "generalizablePattern": spec["pattern"] if rng.random() < 0.5 else None,
            }
        elif rng.random() < 0.7:
            record["successfulFix"] = None  # unresolved: sometimes null, sometimes left out
        record["createdAt"] = _iso(t0, alt)
        if fixed_at is not None:
            record["resolvedAt"] = _iso(fixed_at, alt)
        elif rng.random() < 0.5:
            record["resolvedAt"] = None
        _maybe_extra_field(record, rng)
        places = [("error.message", "text"), ("recoveryJourney[0].fixApplied", "text")]
        if stack:
            places.append(("error.stackTrace", "text"))
        secrets = self._plant(record, places)
        self._emit(t, "error_recovery", record, secrets)
        self.error_times.append(t0)
        self.truth.error_recoveries.append({
            "errorId": record["errorId"], "buildId": self.build_id, "type": etype,
            "level_required": spec["level"], "attempts": len(journey), "resolved": fixed_at is not None,
        })
        return len(journey), fixed_at is not None

    # -- code artifacts -------------------------------------------------------------------------
    def _code_artifacts(self, first_attempt_success: bool) -> None:
        rng = self.rng
        self.used_patterns: list[tuple[dict, bool]] = []
        for path, lang in self.paths:
            latents = [rng.random() for _ in range(N_CODE_LATENTS)]
            salt = int(rng.random() * 1000)
            comp = Path(path).stem.split(".")[0]
            if not comp[:1].isupper():
                comp = self.entity + "Panel"
            names = {"$C": comp, "$Es": self.entity + "s", "$E": self.entity, "$es": self.entity.lower() + "s",
                     "$e": self.entity.lower()}
            quality = _clip(rng.gauss(22 + 52 * self.skill - 12 * self.complexity, 12), 2, 98)
            n_versions = 1 + min(4, _poisson(rng, 0.4 + 2.2 * (100 - quality) / 100))
            t = self._at("build")
            triggers = ["initial"]
            qualities = [quality]
            times = [t]
            for v in range(2, n_versions + 1):
                u = rng.random()
                if self.error_times and u < 0.4:
                    trigger = "fix"
                elif u < 0.65:
                    trigger = "refactor"
                else:
                    trigger = "verification_feedback"
                if rng.random() < (0.22 if trigger == "refactor" else 0.12):
                    quality = _clip(quality - rng.uniform(4, 16), 2, 98)  # a regression
                else:
                    quality = _clip(quality + rng.uniform(4, 22), 2, 98)
                window = "verification" if trigger == "verification_feedback" else ("integration" if trigger == "fix" else "build")
                t = max(t + int(rng.uniform(0.5, 8) * MINUTE_MS), self._at(window))
                triggers.append(trigger)
                qualities.append(quality)
                times.append(t)
            alt = rng.random() < ALT_DATE_SHARE
            generator = CODE_GENERATORS[lang]
            versions, trajectory = [], []
            for v, (q, trig, ts) in enumerate(zip(qualities, triggers, times), start=1):
                version = {"version": v, "code": generator(_defects(latents, q), names, salt), "timestamp": _iso(ts, alt),
                           "trigger": trig}
                agent = ("build-agent-1", "build-agent-2", "build-agent-3", "verification-swarm",
                         "error-escalation")[int(rng.random() * 5)]
                _set_optional(version, "changedByAgent", agent, rng, 0.2, 0.05)
                versions.append(version)
                point: dict[str, Any] = {"timestamp": _iso(ts, alt),
                                         "errorCount": _poisson(rng, (100 - q) / 22),
                                         "codeQualityScore": round(_clip(q + rng.gauss(0, 8), 0, 100), 1)}
                if lang in ("tsx", "css"):
                    _set_optional(point, "visualQualityScore",
                                  round(_clip(0.6 * q + 30 * self.skill + rng.gauss(10, 8), 0, 100), 1), rng, 0.2, 0.1)
                    _set_optional(point, "antiSlopScore",
                                  round(_clip(0.5 * q + 35 * self.skill + rng.gauss(15, 9), 0, 100), 1), rng, 0.2, 0.1)
                trajectory.append(point)
                self.truth.code_versions.append({"artifactId": None, "version": v, "quality": round(q, 2),
                                                 "trigger": trig, "language": lang})
            patterns = self._pick_patterns(lang)
            record = self._base("artifactId", "art")
            for entry in self.truth.code_versions[-len(versions):]:
                entry["artifactId"] = record["artifactId"]
            record["filePath"] = path
            record["versions"] = versions
            record["qualityTrajectory"] = trajectory
            record["patternsUsed"] = patterns
            record["createdAt"] = _iso(times[0], alt)
            record["updatedAt"] = _iso(times[-1], alt)
            _maybe_extra_field(record, rng)
            # Hard-coded credentials belong to sloppy code: plant in the worst version most often.
            family = "py" if lang == "py" else "css" if lang == "css" else "ts"
            worst = min(range(len(versions)), key=lambda i: qualities[i])
            places = [(f"versions[{worst}].code", f"code:{family}")] * 3 + [
                (f"versions[{i}].code", f"code:{family}") for i in range(len(versions))]
            badness = (100 - min(qualities)) / 100
            secrets = self._plant(record, places) if self.secret_rng.random() < 2.0 * badness else None
            self._emit(times[-1], "code_artifact", record, secrets)

    def _pick_patterns(self, lang: str) -> list[dict]:
        rng = self.rng
        out = []
        categories = LANGUAGE_PATTERN_CATEGORIES[lang]
        for _ in range(int(rng.random() * 3.2)):
            category = categories[int(rng.random() * len(categories))]
            candidates = self.world.patterns_by_category[category]
            # A skilled builder reaches for the patterns that work; weights sharpen with skill.
            weights = [p["p"] ** (1 + 6 * self.skill) for p in candidates]
            pattern = rng.choices(candidates, weights)[0]
            if any(entry["patternName"] == pattern["name"] for entry in out):
                continue
            success = rng.random() < pattern["p"]
            iterations = 1 if success else 2 + _poisson(rng, 0.8)
            out.append({"patternName": pattern["name"], "patternCategory": pattern["category"],
                        "firstAttemptSuccess": success, "iterationsToSuccess": iterations})
            self.used_patterns.append((pattern, success))
        return out

    def _patterns_feedback(self) -> None:
        rng = self.rng
        for pattern, success in self.used_patterns:
            ts = self._at(("build", "integration", "verification")[int(rng.random() * 3)])
            data = {"patternId": pattern["patternId"], "buildId": self.build_id, "success": success,
                    "createdAt": _iso(ts, rng.random() < ALT_DATE_SHARE)}
            _maybe_extra_field(data, rng)
            self._emit(ts, "pattern_usage", data)

    # -- design ---------------------------------------------------------------------------------
    def _design(self) -> dict | None:
        rng = self.rng
        if rng.random() < 0.08:
            return None  # backend-only iterations carry no design choice
        soul = self.project.soul
        spec = SOULS[soul]
        others = [s for s in SOULS if s != soul]
        slop = rng.random() < max(0.04, 0.44 - 0.45 * self.skill)
        p_fit = _clip(0.3 + 0.6 * self.skill, 0.05, 0.95)
        font_fit = not slop and rng.random() < p_fit
        palette_fit = not slop and rng.random() < p_fit
        motion_fit = not slop and rng.random() < p_fit
        if slop:
            fonts = list(SLOP_DESIGN["fonts"])
            palette = dict(SLOP_DESIGN["palette"])
            palette_name = "ai_gradient"
            animations: list[dict] = []
        else:
            font_source = spec if font_fit else SOULS[others[int(rng.random() * len(others))]]
            fonts = font_source["fonts"][:2] if rng.random() < 0.6 else [font_source["fonts"][0],
                                                                        font_source["fonts"][2]]
            palette_soul = spec if palette_fit else SOULS[others[int(rng.random() * len(others))]]
            palette_name = list(palette_soul["palettes"])[int(rng.random() * 2)]
            palette = dict(palette_soul["palettes"][palette_name])
            motion_soul = spec if motion_fit else SOULS[others[int(rng.random() * len(others))]]
            animations = [{"name": n, "timing": tm, "easing": e}
                          for n, tm, e in motion_soul["motion"][: 1 + int(rng.random() * 2)]]
        # True quality (noise-free); observed scores add judge noise around it.
        if slop:
            true = {"typographyScore": 28.0, "depthScore": 30.0, "motionScore": 12.0, "soulMatchScore": 20.0}
        else:
            true = {
                "typographyScore": 50.0 + 38.0 * font_fit,
                "depthScore": 52.0 + 30.0 * palette_fit,
                "motionScore": 40.0 + 45.0 * motion_fit,
                "soulMatchScore": 25.0 + 22.0 * (font_fit + palette_fit + motion_fit),
            }
        true_overall = (0.25 * true["typographyScore"] + 0.2 * true["depthScore"] + 0.2 * true["motionScore"]
                        + 0.35 * true["soulMatchScore"])
        scores = {k: round(_clip(v + rng.gauss(0, 6), 0, 100), 1) for k, v in true.items()}
        scores["overall"] = round(_clip(true_overall + rng.gauss(0, 4), 0, 100), 1)
        anti_slop = _clip(rng.gauss(48, 7) if slop else 43 + 0.65 * true_overall + rng.gauss(0, 5), 0, 100)

        t = self._at("demo" if rng.random() < 0.5 else "verification")
        alt = rng.random() < ALT_DATE_SHARE
        record = self._base("choiceId", "dsn")
        if rng.random() < 0.93:
            record["appSoul"] = soul
        elif rng.random() < 0.5:
            record["appSoul"] = None
        rejected = (["Inter", "Roboto"] if not slop else [spec["fonts"][0]])[: int(rng.random() * 3)]
        typography = {
            "fontsChosen": fonts,
            "fontsRejected": rejected,
            "reasoning": ("Inter is safe and readable everywhere." if slop else
                          f"{fonts[0]} gives the {soul.replace('_', ' ')} voice; {fonts[1]} keeps body text calm."),
            "antiSlopCompliant": not slop,
        }
        alternatives = [dict(list(SOULS[o]["palettes"].values())[0]) for o in others[: int(rng.random() * 3)]]
        color_system = {
            "paletteChosen": {"name": palette_name, **palette},
            "alternativesConsidered": alternatives,
            "soulAppropriatenessScore": round(_clip((20 if slop else 45 + 40 * palette_fit) + rng.gauss(0, 7), 0, 100), 1),
        }
        motion = {
            "animationsUsed": animations,
            "timingFunctions": sorted({a["easing"] for a in animations}),
            "matchesSoul": motion_fit,
        }
        layout = {
            "gridSystem": SLOP_DESIGN["grid"] if slop else spec["grid"] if rng.random() < 0.7 else "12-column grid",
            "spacingRationale": SLOP_DESIGN["spacing"] if slop else "8pt spacing scale from tokens; density follows the soul",
            "asymmetryUsed": (not slop) and rng.random() < 0.35 + 0.4 * palette_fit,
        }
        # Optional blocks are sometimes missing or null.
        for key, value in (("typography", typography), ("colorSystem", color_system),
                           ("motionLanguage", motion), ("layoutDecisions", layout), ("visualScores", scores)):
            _set_optional(record, key, value, rng, 0.04, 0.02)
        if rng.random() < 0.10:
            record["screenshots"] = [_screenshot_data_uri(palette, slop, int(rng.random() * 4))]
        record["createdAt"] = _iso(t, alt)
        _maybe_extra_field(record, rng)
        places = [("typography.reasoning", "text")] if isinstance(record.get("typography"), dict) else []
        secrets = self._plant(record, places)
        self._emit(t, "design_choice", record, secrets)
        self.truth.design_choices.append({
            "choiceId": record["choiceId"], "buildId": self.build_id, "app_soul": soul, "slop": slop,
            "font_fit": font_fit, "palette_fit": palette_fit, "motion_fit": motion_fit,
            "true_scores": {**true, "overall": round(true_overall, 2)},
            "anti_slop_score": round(anti_slop, 1),
        })
        return {"anti_slop": anti_slop}

    # -- strategies -----------------------------------------------------------------------------
    def _strategies(self, had_errors: bool, had_design: bool) -> None:
        rng = self.rng
        domains = ["component_build"] + (["error_fix"] if had_errors else []) + (["design"] if had_design else [])
        ctx = self.project.context
        for domain in domains:
            options = self.world.strategies[domain]
            best = max(options, key=lambda name: options[name][ctx])
            # The builder learns which strategy fits which context.
            if rng.random() < _clip(0.35 + 0.6 * self.skill, 0.05, 0.95):
                strategy = best
            else:
                strategy = [name for name in options if name != best][0]
            success = rng.random() < options[strategy][ctx]
            ts = self.start + self.duration + int(rng.uniform(1, 30) * 1000)
            context = [ctx] + [t for t in self.project.tags[1:] if rng.random() < 0.6]
            data = {"strategyId": _strategy_id(domain, strategy), "domain": domain, "strategy": strategy,
                    "context": context, "success": success, "buildId": self.build_id,
                    "createdAt": _iso(ts, rng.random() < ALT_DATE_SHARE)}
            _maybe_extra_field(data, rng)
            self._emit(ts, "strategy_outcome", data)


def _stack_trace(rng: random.Random, message: str, path: str, line: int, col: int) -> str:
    """A stack trace in the style of the runtime the file runs in."""
    if path.endswith(".py"):
        fn = ("sync", "fetch_page", "handle", "main")[int(rng.random() * 4)]
        return (f'Traceback (most recent call last):\n  File "{path}", line {line}, in {fn}\n'
                f'    rows = payload["items"]\n  File "/usr/lib/python3.12/site-packages/httpx/_models.py", '
                f"line 761, in raise_for_status\n    raise HTTPStatusError(message, request=request, response=self)\n"
                f"{message}")
    if path.endswith(".tsx"):
        fn = ("render", "useEffect", "handleSubmit", "List")[int(rng.random() * 4)]
        return (f"{message}\n    at {fn} ({path}:{line}:{col})\n"
                f"    at commitHookEffectListMount (node_modules/react-dom/cjs/react-dom.development.js:23150:26)\n"
                f"    at invokePassiveEffectMountInDEV (node_modules/react-dom/cjs/react-dom.development.js:25154:13)")
    fn = ("fetchJson", "loader", "handler", "main")[int(rng.random() * 4)]
    return (f"{message}\n    at {fn} ({path}:{line}:{col})\n"
            f"    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n"
            f"    at async Promise.all (index 0)")


def _resolve(record: dict, path: str) -> tuple[Any, Any]:
    """The container and key a dotted path with [i] indexes points at (creating dicts on the way)."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    node: Any = record
    for part in parts[:-1]:
        if part.startswith("["):
            node = node[int(part[1:-1])]
        else:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
    last = parts[-1]
    return (node, int(last[1:-1])) if last.startswith("[") else (node, last)


# --------------------------------------------------------------------------------------------
# The whole simulation: plan builds, run them in start order, emit events in time order
# --------------------------------------------------------------------------------------------
def _window(days: int, end_date: dt.date | None) -> tuple[int, int, dt.date]:
    end_date = end_date or dt.datetime.now(dt.timezone.utc).date()
    end = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    start = end - dt.timedelta(days=days)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000), end_date


def _plan(builds: int, seed: int, days: int, start_ms: int) -> tuple[list[tuple[int, _Project, _User]], list[_User]]:
    rng = random.Random(f"learning-sim/{seed}/plan")
    n_users = max(3, builds // 8)
    users: list[_User] = []
    for _ in range(n_users):
        user = _User(_hex_id(rng, "usr"), _clip(rng.betavariate(2.2, 1.8), 0, 1))
        for _ in range(1 + int(rng.random() * 3)):
            kind = APP_KINDS[int(rng.random() * len(APP_KINDS))]
            features = list(FEATURES)
            rng.shuffle(features)
            features = features[: 3 + int(rng.random() * 3)]
            hard = sum(1 for _, is_hard in features if is_hard)
            complexity = _clip(hard / 4 + rng.gauss(0, 0.08), 0, 1)
            tags = [kind[1]] + [t for t in FLAVOR_TAGS if rng.random() < 0.3]
            user.projects.append(_Project(_hex_id(rng, "prj"), user.user_id, kind,
                                          kind[2][int(rng.random() * len(kind[2]))], kind[1], tags, features,
                                          complexity))
        users.append(user)
    # A few heavy users make most builds (Zipf-like weights).
    user_weights = [1.0 / (i + 1) ** 0.8 for i in range(n_users)]
    # Usage grows a little over the window; within a day builds cluster in working hours.
    day_weights = [1.0 + 0.5 * d / max(1, days - 1) for d in range(days)]
    hour_weights = [0.2] * 6 + [0.5, 1.0, 2.0, 3.0, 3.2, 3.0, 2.2, 2.8, 3.2, 3.0, 2.6, 1.8, 1.2, 0.8]  # 00..19h
    plan = []
    days_drawn = rng.choices(range(days), day_weights, k=builds)
    users_drawn = rng.choices(users, user_weights, k=builds)
    for day, user in zip(days_drawn, users_drawn):
        hour = rng.choices(range(20), hour_weights)[0]
        ts = start_ms + day * DAY_MS + hour * 3_600_000 + int(rng.random() * 3_600_000)
        project = user.projects[int(rng.random() * len(user.projects))]
        plan.append((ts, project, user))
    plan.sort(key=lambda item: item[0])
    return plan, users


def _generate(builds: int, seed: int, days: int, end_date: dt.date | None, secret_rate: float,
              truth: _Truth | None = None) -> Iterator[_Event]:
    """Every good event of the simulation, in time order."""
    if builds < 0 or days < 1:
        raise ValueError("builds must be >= 0 and days >= 1")
    truth = truth if truth is not None else _Truth()
    world = _World(seed)
    start_ms, end_ms, _ = _window(days, end_date)
    plan, _ = _plan(builds, seed, days, start_ms)
    heap: list[tuple[int, int, _Event]] = []
    seq = 0
    span = end_ms - start_ms
    for index, (build_start, project, user) in enumerate(plan):
        # Everything that happened before this build started is final: emit it.
        while heap and heap[0][0] < build_start:
            yield heapq.heappop(heap)[2]
        sim = _BuildSim(world, truth, seed, index, build_start, (build_start - start_ms) / span, project, user,
                        secret_rate, end_ms - 1000)
        for event in sim.run():
            heapq.heappush(heap, (event.ts, seq, event))
            seq += 1
    while heap:
        yield heapq.heappop(heap)[2]


# --------------------------------------------------------------------------------------------
# Deliberately bad lines
# --------------------------------------------------------------------------------------------
class _BadLines:
    """Inserts corrupt lines between good ones; each is built from a recent good record of the
    right kind, given a fresh id so that nothing in the good stream or the truth refers to it."""

    def __init__(self, seed: int, rate: float):
        self.rng = random.Random(f"learning-sim/{seed}/bad-lines")
        self.insert_p = rate / (1.0 - rate) if 0 < rate < 1 else (1.0 if rate >= 1 else 0.0)
        order = list(BAD_LINE_TYPES)
        self.rng.shuffle(order)
        # Round-robin over a shuffled order so every type shows up even in small files; the
        # oversize one is kept away from the first slot so a tiny file stays tiny.
        if order[0] == "oversize_field":
            order[0], order[2] = order[2], order[0]
        self.order = order
        self.count = 0
        self.oversize = 0
        self.latest: dict[str, dict] = {}

    def remember(self, kind: str, data: dict, has_secret: bool) -> None:
        if not has_secret:
            self.latest[kind] = data

    def maybe(self) -> tuple[str, dict] | None:
        if self.insert_p <= 0 or self.rng.random() >= self.insert_p or "decision" not in self.latest:
            return None
        for _ in range(len(self.order)):
            bad_type = self.order[self.count % len(self.order)]
            self.count += 1
            if bad_type == "oversize_field" and (self.oversize >= MAX_OVERSIZE_LINES or "code_artifact" not in self.latest):
                continue
            return self._make(bad_type)
        return None

    def _fresh(self, kind: str) -> dict:
        data = json.loads(_dumps(self.latest[kind]))
        for key, prefix in (("traceId", "dec"), ("artifactId", "art"), ("choiceId", "dsn"), ("errorId", "err")):
            if key in data:
                data[key] = _hex_id(self.rng, prefix)
        return data

    def _make(self, bad_type: str) -> tuple[str, dict]:
        rng = self.rng
        if bad_type == "invalid_json":
            kind = ("decision", "design_choice", "error_recovery")[int(rng.random() * 3)]
            kind = kind if kind in self.latest else "decision"
            data = self._fresh(kind)
            text = _dumps({"kind": kind, "data": data})
            cut = int(len(text) * rng.uniform(0.3, 0.8))
            return text[:cut], {"type": bad_type, "kind": kind, "field": None,
                                "detail": f"truncated at byte {cut} of {len(text)}"}
        if bad_type == "missing_required_field":
            options = [("decision", "userId"), ("decision", "traceId"), ("code_artifact", "artifactId"),
                       ("error_recovery", "errorId"), ("design_choice", "choiceId"), ("code_artifact", "userId")]
            options = [o for o in options if o[0] in self.latest]
            kind, missing = options[int(rng.random() * len(options))]
            data = self._fresh(kind)
            data.pop(missing, None)
            return _dumps({"kind": kind, "data": data}), {"type": bad_type, "kind": kind, "field": missing,
                                                          "detail": f"no {missing}"}
        if bad_type == "wrong_type":
            data = self._fresh("decision")
            choice = int(rng.random() * 3)
            if choice == 0:
                data["context"]["previousAttempts"] = "two"
                where, detail = "context.previousAttempts", 'previousAttempts is the string "two"'
            elif choice == 1:
                data["decision"]["confidence"] = "high"
                where, detail = "decision.confidence", 'confidence is the string "high"'
            else:
                data["decision"]["rejectedOptions"] = "none"
                where, detail = "decision.rejectedOptions", 'rejectedOptions is the string "none"'
            return _dumps({"kind": "decision", "data": data}), {"type": bad_type, "kind": "decision",
                                                                "field": where, "detail": detail}
        if bad_type == "enum_out_of_range":
            data = self._fresh("decision")
            if rng.random() < 0.6:
                data["phase"] = "deploy"
                where, detail = "phase", 'phase "deploy"'
            else:
                data["decisionType"] = "database_choice"
                where, detail = "decisionType", 'decisionType "database_choice"'
            return _dumps({"kind": "decision", "data": data}), {"type": bad_type, "kind": "decision",
                                                                "field": where, "detail": detail}
        if bad_type == "oversize_field":
            self.oversize += 1
            data = self._fresh("code_artifact")
            chunk = "export const chunk_%d = [" + ",".join(str(i) for i in range(40)) + "];\n"
            blob = "".join(chunk % i for i in range(OVERSIZE_CODE_CHARS // len(chunk) + 1))[:OVERSIZE_CODE_CHARS]
            data["versions"][0]["code"] = blob
            return _dumps({"kind": "code_artifact", "data": data}), {
                "type": bad_type, "kind": "code_artifact", "field": "versions[0].code",
                "detail": f"code of {len(blob)} characters"}
        # unknown kind
        kind = ("deployment_event", "decisoin", "telemetry")[int(rng.random() * 3)]
        data = self._fresh("decision") if kind == "decisoin" else {
            "deploymentId": _hex_id(rng, "dep"), "status": "ok", "createdAt": self.latest["decision"]["createdAt"]}
        return _dumps({"kind": kind, "data": data}), {"type": "unknown_kind", "kind": kind, "field": "kind",
                                                      "detail": f"kind {kind!r}"}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
@dataclass
class SimulationSummary:
    builds: int
    lines: int
    lines_by_kind: dict[str, int]
    bad_lines: int
    planted_secrets: int
    out: Path
    truth_path: Path


def truth_path_for(out: Path | str) -> Path:
    """``traces.jsonl`` / ``traces.jsonl.gz`` -> ``traces.truth.json`` beside it."""
    out = Path(out)
    name = out.name
    for suffix in (".jsonl.gz", ".json.gz", ".gz", ".jsonl", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return out.with_name(f"{name}.truth.json")


def iter_events(builds: int, seed: int = 0, days: int = 30, end_date: dt.date | None = None,
                secret_rate: float = 0.02, bad_line_rate: float = 0.0) -> Iterator[dict]:
    """The good ``{"kind", "data"}`` envelopes, in the order `simulate` writes them with the same
    arguments. Bad lines are extra lines inserted between these, so `bad_line_rate` (accepted to
    mirror `simulate`) never changes this stream."""
    del bad_line_rate
    for event in _generate(builds, seed, days, end_date, secret_rate):
        yield {"kind": event.kind, "data": event.data}


def simulate(builds: int, seed: int = 0, days: int = 30, out: Path | str = Path("traces.jsonl"),
             end_date: dt.date | None = None, bad_line_rate: float = 0.01,
             secret_rate: float = 0.02) -> SimulationSummary:
    """Write `builds` simulated builds to `out` (.jsonl or .jsonl.gz) and the truth beside it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    truth = _Truth()
    bad = _BadLines(seed, bad_line_rate)
    start_ms, end_ms, end_day = _window(days, end_date)
    lines_by_kind = {kind: 0 for kind in KINDS}
    bad_lines: list[dict] = []
    secrets: list[dict] = []
    line_no = 0
    raw = open(out, "wb")
    try:
        sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if out.name.endswith(".gz") else raw
        buffer: list[str] = []
        buffered = 0

        def write(text: str) -> None:
            nonlocal buffered
            buffer.append(text)
            buffered += len(text)
            if buffered > 1 << 20:
                sink.write("".join(buffer).encode("utf-8"))
                buffer.clear()
                buffered = 0

        for event in _generate(builds, seed, days, end_date, secret_rate, truth):
            line_no += 1
            write(_dumps({"kind": event.kind, "data": event.data}) + "\n")
            lines_by_kind[event.kind] += 1
            for planted in event.secrets or ():
                secrets.append({**planted, "line": line_no, "record_kind": event.kind,
                                "id": _record_id(event.data)})
            bad.remember(event.kind, event.data, bool(event.secrets))
            corrupt = bad.maybe()
            if corrupt is not None:
                text, info = corrupt
                line_no += 1
                write(text + "\n")
                bad_lines.append({"line": line_no, **info})
        sink.write("".join(buffer).encode("utf-8"))
        if sink is not raw:
            sink.close()
    finally:
        raw.close()

    truth_doc = _truth_document(truth, builds, seed, days, end_day, start_ms, end_ms, bad_line_rate, secret_rate,
                                lines_by_kind, bad_lines, secrets, line_no)
    truth_path = truth_path_for(out)
    truth_path.write_text(json.dumps(truth_doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return SimulationSummary(builds=builds, lines=line_no, lines_by_kind=lines_by_kind, bad_lines=len(bad_lines),
                             planted_secrets=len(secrets), out=out, truth_path=truth_path)


def _record_id(data: dict) -> str | None:
    for key in ("traceId", "artifactId", "choiceId", "errorId"):
        if key in data:
            return data[key]
    return None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _rates(builds: list[dict]) -> dict[str, Any]:
    return {
        "builds": len(builds),
        "expected_first_attempt_success": _mean([b["success_probability"] for b in builds]),
        "first_attempt_success_rate": _mean([float(b["first_attempt_success"]) for b in builds]),
        "mean_error_fix_attempts": _mean([b["error_fix_attempts"] for b in builds]),
        "mean_anti_slop_score": _mean([b["anti_slop_score"] for b in builds]),
        "mean_user_satisfaction": _mean([b["user_satisfaction"] for b in builds]),
        "mean_build_time_ms": _mean([b["build_time_ms"] for b in builds]),
        "mean_skill": _mean([b["skill"] for b in builds]),
    }


def _truth_document(truth: _Truth, builds: int, seed: int, days: int, end_day: dt.date, start_ms: int, end_ms: int,
                    bad_line_rate: float, secret_rate: float, lines_by_kind: dict[str, int], bad_lines: list[dict],
                    secrets: list[dict], lines: int) -> dict[str, Any]:
    by_day: dict[str, list[dict]] = {}
    for b in truth.builds:
        by_day.setdefault(b["day"], []).append(b)
    daily = [{"date": day, **_rates(by_day[day])} for day in sorted(by_day)]
    third = max(1, len(truth.builds) // 3)
    doc: dict[str, Any] = {
        "format": TRUTH_FORMAT,
        "params": {"builds": builds, "seed": seed, "days": days, "end_date": end_day.isoformat(),
                   "bad_line_rate": bad_line_rate, "secret_rate": secret_rate},
        "window": {"start": _iso(start_ms), "end": _iso(end_ms)},
        "rules": {
            "decision_outcome": ("immediateResult is 'success' with probability decision_options[type][i].by_context"
                                 "[primary_context] (else .p); otherwise 'partial' 35% / 'failure' 65%. A replaced "
                                 "outcome's final (newest) event is the true sample."),
            "strategy_outcome": "success with probability strategies[domain][strategy].success_rate_by_context[context[0]]",
            "pattern_usage": "success with probability patterns[patternId].first_attempt_success_rate",
            "success_model": ("P(firstAttemptSuccess) = sigmoid(intercept + sum(coef * signal)); planQuality is the "
                              "share of first-attempt intent_lock/initialization decisions that chose a good option, "
                              "earlyErrors how many of those did not succeed (reported or not), complexity the "
                              "project's share of hard integrations, skill the builder's competence at that date"),
            "error_recovery": ("an attempt fixes the error iff it applies the correct fix at level >= level_required; "
                               "the correct fix at a lower level gives 'partial', wrong fixes 'failed' or 'new_error'"),
            "code_quality": ("each version has a hidden quality 0..100; defects (any, console.log/print, TODO, empty "
                             "catch/except, deep nesting, long functions, magic numbers, !important, missing error "
                             "handling) appear as quality falls"),
        },
        "success_model": SUCCESS_MODEL,
        **_World(seed).truth(),
        "counts": {"lines": lines, "lines_by_kind": lines_by_kind, "bad_lines": len(bad_lines),
                   "planted_secrets": len(secrets), "decisions": truth.decisions, "decision_retries": truth.retries},
        "outcomes": {"inline": truth.outcomes["inline"], "late": truth.outcomes["late"],
                     "never": truth.outcomes["never"], "replaced_trace_ids": truth.outcomes["replaced"]},
        "trend": {"early": _rates(truth.builds[:third]), "late": _rates(truth.builds[-third:]),
                  "all": _rates(truth.builds)},
        "daily": daily,
        "builds": truth.builds,
        "code_versions": truth.code_versions,
        "design_choices": truth.design_choices,
        "error_recoveries": truth.error_recoveries,
        "bad_lines": bad_lines,
        "secrets": secrets,
    }
    return doc


# --------------------------------------------------------------------------------------------
# The builder's own SQLite form
# --------------------------------------------------------------------------------------------
BUILDER_SCHEMA = {
    "learning_decision_traces": ("trace_id", [
        "id", "trace_id", "build_id", "project_id", "user_id", "phase", "decision_type", "context", "decision",
        "outcome", "created_at", "outcome_recorded_at"]),
    "learning_code_artifacts": ("artifact_id", [
        "id", "artifact_id", "build_id", "project_id", "user_id", "file_path", "versions", "quality_trajectory",
        "patterns_used", "created_at", "updated_at"]),
    "learning_design_choices": ("choice_id", [
        "id", "choice_id", "build_id", "project_id", "user_id", "app_soul", "typography", "color_system",
        "motion_language", "layout_decisions", "visual_scores", "screenshots", "created_at"]),
    "learning_error_recoveries": ("error_id", [
        "id", "error_id", "build_id", "project_id", "user_id", "error", "recovery_journey", "successful_fix",
        "created_at", "resolved_at"]),
}
_KIND_TABLES = {
    "decision": "learning_decision_traces",
    "code_artifact": "learning_code_artifacts",
    "design_choice": "learning_design_choices",
    "error_recovery": "learning_error_recoveries",
}
_DATE_COLUMNS = ("created_at", "updated_at", "outcome_recorded_at", "resolved_at")
_JSON_COLUMNS = ("context", "decision", "outcome", "versions", "quality_trajectory", "patterns_used", "typography",
                 "color_system", "motion_language", "layout_decisions", "visual_scores", "screenshots", "error",
                 "recovery_journey", "successful_fix")
_SQLITE_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})")


def _sqlite_date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    match = _SQLITE_DATE.match(value)
    return f"{match.group(1)} {match.group(2)}" if match else None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _row_ok(kind: str, data: Any) -> bool:
    """Just enough checking to keep obviously bad records out of the client's tables."""
    if not isinstance(data, dict) or not isinstance(data.get("userId"), str):
        return False
    id_key = BUILDER_SCHEMA[_KIND_TABLES[kind]][0]
    if not isinstance(data.get(_camel(id_key)), str) or not isinstance(data.get("createdAt"), str):
        return False
    if kind == "decision":
        context, decision = data.get("context"), data.get("decision")
        return (data.get("phase") in PHASES and data.get("decisionType") in DECISION_TYPES
                and isinstance(context, dict) and type(context.get("previousAttempts")) is int
                and isinstance(decision, dict) and isinstance(decision.get("rejectedOptions"), list)
                and type(decision.get("confidence")) in (int, float))
    if kind == "code_artifact":
        versions = data.get("versions")
        return isinstance(versions, list) and all(
            isinstance(v, dict) and isinstance(v.get("code"), str) and len(v["code"]) <= MAX_TEXT_CHARS
            for v in versions)
    return True


def write_builder_sqlite(envelopes: Iterable[dict], path: Path | str) -> int:
    """Store the four trace kinds the way the builder keeps them (tables ``learning_*``,
    snake_case columns, JSON text with camelCase keys, dates as ``YYYY-MM-DD HH:MM:SS``);
    ``decision_outcome`` events are merged into their decision's ``outcome``. Returns the
    number of rows written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    rows = 0
    try:
        for table, (key, columns) in BUILDER_SCHEMA.items():
            cols = ", ".join(
                "id TEXT PRIMARY KEY" if c == "id" else f"{c} TEXT NOT NULL UNIQUE" if c == key else f"{c} TEXT"
                for c in columns)
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
        pending_outcomes: dict[str, tuple[Any, Any]] = {}
        for envelope in envelopes:
            if not isinstance(envelope, dict):
                continue
            kind, data = envelope.get("kind"), envelope.get("data")
            if kind == "decision_outcome":
                if isinstance(data, dict) and isinstance(data.get("traceId"), str) and isinstance(data.get("outcome"), dict):
                    outcome = _dumps(data["outcome"])
                    recorded = _sqlite_date(data.get("outcomeRecordedAt"))
                    updated = con.execute(
                        "UPDATE learning_decision_traces SET outcome = ?, outcome_recorded_at = ? WHERE trace_id = ?",
                        (outcome, recorded, data["traceId"])).rowcount
                    if not updated:
                        pending_outcomes[data["traceId"]] = (outcome, recorded)
                continue
            if kind not in _KIND_TABLES or not _row_ok(kind, data):
                continue
            table = _KIND_TABLES[kind]
            key, columns = BUILDER_SCHEMA[table]
            values = []
            for column in columns:
                if column == "id":
                    values.append(str(uuid.uuid5(uuid.NAMESPACE_URL, f"{table}/{data[_camel(key)]}")))
                    continue
                value = data.get(_camel(column))
                if column in _DATE_COLUMNS:
                    value = _sqlite_date(value)
                elif column in _JSON_COLUMNS:
                    value = None if value is None else _dumps(value)
                values.append(value)
            if kind == "decision" and data["traceId"] in pending_outcomes:
                outcome, recorded = pending_outcomes.pop(data["traceId"])
                values[columns.index("outcome")] = outcome
                values[columns.index("outcome_recorded_at")] = recorded
            placeholders = ", ".join("?" for _ in columns)
            con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", values)
            rows += 1
        con.commit()
    finally:
        con.close()
    return rows
