"""Reusable patterns, build strategies and the model used at each escalation level."""

from __future__ import annotations




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
