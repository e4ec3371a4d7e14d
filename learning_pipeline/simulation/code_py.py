"""The .py file generator: one template whose defects switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation.code_text import fill_names


def code_py(d: list[bool], names: dict[str, str], salt: int) -> str:
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
                    '        r = requests.get("http://localhost:8000/$es?limit=$BULK")',
                    "        data = r.json()",
                    "    except:",
                    "        pass",
                    '    return data["items"]']
        else:
            out += ['    r = requests.get("http://localhost:8000/$es?limit=$BULK")', '    return r.json()["items"]']
    else:
        out += ["from __future__ import annotations", "", "import logging",
                "from dataclasses import dataclass", "", "import httpx", "",
                "log = logging.getLogger(__name__)", "PAGE_SIZE = $MAXPAGE", "REQUEST_TIMEOUT_S = $TIMEOUT", "", "",
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
    return fill_names("\n".join(out), names) + "\n"
