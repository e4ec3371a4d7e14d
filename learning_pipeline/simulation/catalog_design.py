"""What fits each app soul, as a designer's profile (typefaces, canvas, hues, motion tempo and
character, layout), and what AI slop looks like. Designs are composed from these (see
`design_language`), so two builds rarely record the same design, yet whether a design fits
its soul stays legible from what it says (its fonts, its canvas, its motion, its grid)."""

from __future__ import annotations

from typing import Any

SOULS: dict[str, dict[str, Any]] = {
    "immersive_media": {
        "fonts": ["Clash Display", "Satoshi", "Space Grotesk", "Syne", "Cabinet Grotesk", "Editorial New", "Instrument Serif"],
        "dark": True, "hues": (15, 40, 160), "tempo_ms": (500, 1100), "playful": False,
        "motion": ("parallax-reveal", "scrub-timeline", "slow-zoom", "cinematic-fade", "media-drift"),
        "grid": (("full-bleed 12-column grid", "edge-to-edge canvas"),
                 ("overlapping media layers", "a layered hero video", "cinematic section breaks")),
    },
    "professional_trust": {
        "fonts": ["IBM Plex Sans", "Source Serif 4", "Libre Franklin", "Lora", "Merriweather", "Söhne", "Public Sans"],
        "dark": False, "hues": (210, 40, 195), "tempo_ms": (140, 280), "playful": False,
        "motion": ("subtle-fade", "panel-slide", "soft-expand", "quiet-reveal", "row-highlight"),
        "grid": (("8-column grid", "calm 12-column grid"),
                 ("a fixed reading measure", "generous margins and clear hierarchy", "aligned data tables")),
    },
    "developer_tools": {
        "fonts": ["JetBrains Mono", "Geist", "IBM Plex Mono", "Fira Code", "Geist Mono", "Berkeley Mono", "Inconsolata"],
        "dark": True, "hues": (130, 30, 190), "tempo_ms": (80, 180), "playful": False,
        "motion": ("command-palette-pop", "cursor-blink", "instant-swap", "split-resize", "log-stream"),
        "grid": (("dense 3-pane layout", "split-pane workspace"),
                 ("resizable splits", "a command bar and a status line", "keyboard-first panels")),
    },
    "creative_canvas": {
        "fonts": ["Fraunces", "Syne", "Instrument Serif", "DM Serif Display", "Cormorant", "Recoleta", "Bricolage Grotesque"],
        "dark": False, "hues": (10, 225, 330), "tempo_ms": (280, 750), "playful": True,
        "motion": ("brush-stroke-draw", "tilt-on-hover", "paper-flip", "ink-spread", "collage-shuffle"),
        "grid": (("broken asymmetric grid", "freeform canvas grid"),
                 ("overlapping cards", "rotated collage tiles", "off-grid captions")),
    },
    "social_connection": {
        "fonts": ["Nunito", "DM Sans", "Plus Jakarta Sans", "Quicksand", "Fredoka", "Varela Round", "Poppins"],
        "dark": False, "hues": (15, 175, 45), "tempo_ms": (160, 420), "playful": True,
        "motion": ("bubble-pop", "typing-dots", "heart-burst", "wobble-in", "reaction-float"),
        "grid": (("single feed column", "two-column feed"),
                 ("a sticky composer and side rail", "avatar-led cards", "threaded replies")),
    },
    "ecommerce_convert": {
        "fonts": ["Manrope", "Playfair Display", "Archivo", "Lato", "EB Garamond", "Karla", "Libre Baskerville"],
        "dark": False, "hues": (170, 35, 350), "tempo_ms": (160, 450), "playful": False,
        "motion": ("add-to-cart-fly", "price-tick", "gallery-swipe", "badge-pulse", "checkout-step"),
        "grid": (("product grid", "4-column catalog grid"),
                 ("a sticky buy box", "generous whitespace around product shots", "a persistent cart rail")),
    },
    "utility_clarity": {
        "fonts": ["Public Sans", "Atkinson Hyperlegible", "Work Sans", "Source Sans 3", "Karla", "Lato", "Inclusive Sans"],
        "dark": False, "hues": (150, 40, 215), "tempo_ms": (110, 230), "playful": False,
        "motion": ("check-complete", "list-reorder", "row-collapse", "progress-fill", "toast-in"),
        "grid": (("4-point spacing scale", "single-purpose list layout"),
                 ("one primary action per screen", "large tap targets", "a compact toolbar")),
    },
    "gaming_energy": {
        "fonts": ["Orbitron", "Rajdhani", "Chakra Petch", "Audiowide", "Exo 2", "Oxanium", "Russo One"],
        "dark": True, "hues": (170, 320, 20), "tempo_ms": (70, 220), "playful": True,
        "motion": ("score-burst", "screen-shake", "combo-flash", "glitch-in", "level-up-zoom"),
        "grid": (("diagonal HUD layout", "angled panel grid"),
                 ("a live scoreboard rail", "neon-edged panels", "a full-screen arena view")),
    },
}
# Motion targets and palette names: shared by every soul, so they say nothing about fit.
MOTION_TARGETS = ("", "cards", "hero", "list", "panel", "buttons", "modal", "toasts")
PALETTE_WORDS = (("quiet", "bold", "warm", "deep", "clear", "bright", "soft", "sharp", "late", "early"),
                 ("harbor", "ember", "ledger", "meadow", "signal", "atlas", "orbit", "canvas", "studio", "dune"))
SPACING = ("8pt spacing scale from tokens; density follows the soul", "4pt rhythm from spacing tokens",
           "spacing tokens scaled to the content density", "modular spacing scale tied to the type ramp")
SLOP_DESIGN = {
    "fonts": ["Inter", "system-ui", "Roboto", "Open Sans", "Helvetica Neue", "Arial"],
    "gradient_hexes": ["#6366F1", "#8B5CF6", "#3B82F6", "#A855F7", "#7C3AED", "#4F46E5"],
    "text": ["#111827", "#1F2937", "#0F172A"],
    "grid": ["everything centered in a single max-w-2xl column", "everything centered in a single max-w-3xl column",
             "centered hero and centered cards in one column"],
    "spacing": ["default Tailwind spacing, centered cards with rounded-2xl and shadow-lg",
                "template spacing with rounded-2xl cards and shadow-lg"],
}
