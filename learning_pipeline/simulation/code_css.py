"""The .css file generator: a panel's styles whose defects (see code_blocks) switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation import code_blocks as b
from learning_pipeline.simulation.code_text import fill_names


def code_css(d: list[bool], names: dict[str, str], salt: int) -> str:
    def s(block: str) -> int:
        return b.style_bit(salt, block)

    head = [":root {", "  --space-2: 0.5rem;", "  --space-4: 1rem;", "  --radius-card: 0.75rem;",
            "  --color-surface: var(--palette-surface);", "  --accent: var(--palette-accent);",
            "  --on-accent: var(--palette-on-accent);", "  --ease-standard: cubic-bezier(0.2, 0, 0, 1);", "}"]
    chunks = [
        [".$e-panel {", "  padding: var(--space-4);", "  border-radius: var(--radius-card);",
         "  background: var(--color-surface);", "}"],
        b.contrast(s("contrast"), d[2], ".$e-panel .primary"),
        b.responsive(s("layout"), d[0]),
        b.reduced_motion(s("motion"), d[3]),
        b.contrast(s("badge"), d[8], ".$e-panel .badge"),
        b.responsive(s("grid"), d[9], ".$e-grid"),
        b.reduced_motion(s("card"), d[4], ".$e-card"),
        b.contrast(s("tag"), d[5], ".$e-panel .tag"),
    ]
    return fill_names("\n".join(b.arrange(salt, head, chunks)), names) + "\n"
