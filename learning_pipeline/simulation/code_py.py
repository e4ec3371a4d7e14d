"""The .py file generator: a sync worker whose defects (see code_blocks) switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation import code_blocks as b
from learning_pipeline.simulation.code_text import fill_names


def code_py(d: list[bool], names: dict[str, str], salt: int) -> str:
    def s(block: str) -> int:
        return b.style_bit(salt, block)

    head = ["from __future__ import annotations", "", "import logging", "import sqlite3",
            "from dataclasses import dataclass", "", "import httpx", "",
            "log = logging.getLogger(__name__)", "MAX_PAGE_SIZE = $MAXPAGE", "MAX_ATTEMPTS = $RETRIES",
            "REQUEST_TIMEOUT_S = $TIMEOUT", "", "",
            "@dataclass(frozen=True)", "class $ERecord:", "    id: str", "    name: str", "    quantity: int",
            "    updated_at: str", "", "",
            "class $EError(RuntimeError):", '    """The $es API answered with an error status."""']
    chunks = [
        ["def fetch_$es(client: httpx.Client, *, limit: int) -> list[dict]:",
         f"    limit = {b.clamp(s('clamp'), d[0], 'limit', '1', 'MAX_PAGE_SIZE')}",
         "    attempt = 0",
         f"    while {b.bound_check(s('retry'), d[3], 'attempt', 'MAX_ATTEMPTS')}:",
         "        attempt += 1",
         "        try:",
         '            response = client.get("/$es", params={"limit": limit}, timeout=REQUEST_TIMEOUT_S)',
         "        except httpx.TransportError:",
         '            log.warning("attempt %d of %d failed", attempt, MAX_ATTEMPTS)',
         "            continue",
         *["    " + line for line in b.inverted(s("ok"), d[2], "py")],
         '    raise $EError("no attempt left")'],
        ["def is_last_page(page: list[dict], limit: int) -> bool:",
         f"    return {b.bound_check(s('last'), d[5], 'len(page)', 'limit')}"],
        b.comparator(s("sort"), d[8], "py"),
        b.guard(s("guard"), d[9], "py"),
        ["def store_$es(conn: sqlite3.Connection, records: list[$ERecord]) -> int:",
         "    cursor = conn.cursor()",
         "    for record in records:",
         *["    " + line for line in b.insert_params(s("insert"), d[6], "py")],
         "    conn.commit()",
         '    log.info("stored %d $es", len(records))',
         "    return len(records)"],
    ]
    return fill_names("\n".join(b.arrange(salt, head, chunks, gap=2)), names) + "\n"
