"""Which generator writes which language, how often, and under which file paths."""

from __future__ import annotations

from learning_pipeline.simulation.code_css import code_css
from learning_pipeline.simulation.code_js import code_js
from learning_pipeline.simulation.code_py import code_py
from learning_pipeline.simulation.code_ts import code_ts
from learning_pipeline.simulation.code_tsx import code_tsx


CODE_GENERATORS = {"tsx": code_tsx, "ts": code_ts, "js": code_js, "css": code_css, "py": code_py}
LANGUAGE_WEIGHTS = (("tsx", 0.40), ("ts", 0.25), ("css", 0.15), ("js", 0.10), ("py", 0.10))
PATH_TEMPLATES = {
    "tsx": ("src/components/$C.tsx", "src/pages/$EsPage.tsx", "app/$es/page.tsx", "src/features/$e/$CList.tsx"),
    "ts": ("src/lib/api/$e-client.ts", "src/hooks/use$Es.ts", "src/store/$eStore.ts", "src/lib/format-$e.ts"),
    "js": ("server/routes/$es.js", "server/middleware/$e-auth.js", "api/$es/index.js"),
    "css": ("src/styles/$e-panel.css", "src/styles/tokens.css", "src/components/$C.module.css"),
    "py": ("services/worker/$e_sync.py", "api/routes/$es.py", "scripts/import_$es.py"),
}
COMPONENT_SUFFIXES = ("Card", "List", "Panel", "Table", "Feed", "Grid", "Detail", "Editor")
