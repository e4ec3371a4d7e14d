"""Code text. An artifact keeps fixed latents; a defect shows in a version when its latent is
below the version's badness, so as quality rises defects disappear one by one (and come
back on a regression), like a real file being cleaned up. What a defect looks like is in
`code_blocks`: a wrong combination of parts that are each fine, so good and bad versions use
the same words and the same length; each version is a rewrite whose neutral choices (style,
helper order) are drawn anew."""

from __future__ import annotations




N_CODE_LATENTS = 14
# Per-file choices substituted into the templates (before the entity names).
CODE_TUNABLES: dict[str, tuple] = {
    "$PAGE": (10, 12, 20, 24, 25, 30, 50),
    "$DATE_PY": ("updated_at", "created_at", "due_at", "published_at"),
    "$DATE": ("updatedAt", "createdAt", "dueAt", "publishedAt"),
    "$BULK": (50, 100, 200, 500),
    "$RETRIES": (1, 2, 3),
    "$DELAY": (150, 200, 250, 300, 400, 500),
    "$MAXPAGE": (50, 100, 200),
    "$TIMEOUT": ("5.0", "10.0", "15.0", "30.0"),
    "$BREAK": (36, 40, 48, 56),
    "$MS": (120, 140, 160, 180, 200),
}


def defects(latents: list[float], quality: float) -> list[bool]:
    badness = (100.0 - quality) / 100.0
    return [u < badness for u in latents]


def fill_names(template: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        template = template.replace(key, value)
    return template
