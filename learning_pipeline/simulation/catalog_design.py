"""What fits each app soul (fonts, palettes, motion, grid) and what AI slop looks like."""

from __future__ import annotations

from typing import Any


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
