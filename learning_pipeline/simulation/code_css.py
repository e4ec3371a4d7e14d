"""The .css file generator: one template whose defects switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation.code_text import fill_names


def code_css(d: list[bool], names: dict[str, str], salt: int) -> str:
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
        out += ["", "@container (min-width: $BREAKrem) {", "  .$e-panel { display: grid; grid-template-columns: 2fr 1fr; }",
                "}"]
    if d[3]:
        out += [".$e-panel * { transition: all 0.5s; }"]
    else:
        out += ["", ".$e-panel button {", "  transition: transform $MSms var(--ease-standard);", "}",
                "", "@media (prefers-reduced-motion: reduce) {", "  .$e-panel button { transition: none; }", "}"]
    if d[7]:
        out.append("/* TODO: dark mode */")
    return fill_names("\n".join(out), names) + "\n"
