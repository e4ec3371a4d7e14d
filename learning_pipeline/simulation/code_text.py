"""Code text. An artifact keeps fixed latents; a defect shows in a version when its latent is
below the version's badness, so as quality rises defects disappear one by one (and come
back on a regression), like a real file being cleaned up."""

from __future__ import annotations




N_CODE_LATENTS = 14


def defects(latents: list[float], quality: float) -> list[bool]:
    badness = (100.0 - quality) / 100.0
    return [u < badness for u in latents]


def fill_names(template: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        template = template.replace(key, value)
    return template
