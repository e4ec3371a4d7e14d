"""The .tsx file generator: a list component whose defects (see code_blocks) switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation import code_blocks as b
from learning_pipeline.simulation.code_text import fill_names


def code_tsx(d: list[bool], names: dict[str, str], salt: int) -> str:
    def s(block: str) -> int:
        return b.style_bit(salt, block)

    sort = b.comparator(s("sort"), d[8], "tsx")
    busy = s("busy")
    start, end = b.busy_flag(busy, d[4])
    flag = ("const [loading, setLoading] = useState(true);", "const [ready, setReady] = useState(false);")[busy]
    order = sort[0].split("function ")[1].split("(")[0]
    head = ['import { useCallback, useEffect, useState } from "react";',
            'import type { $E } from "@/types/$e";',
            'import { $eClient, ApiError } from "@/lib/api/$e-client";',
            *(['import { socket } from "@/lib/realtime";'] if s("subscribe") == 0 else []),
            'import { ErrorState } from "@/components/ui/ErrorState";',
            'import { Skeleton } from "@/components/ui/Skeleton";', "",
            "interface $CProps {", "  title: string;", "  pageSize?: number;",
            "  onSelect?: (item: $E) => void;", "}", "",
            "const DEFAULT_PAGE_SIZE = $PAGE;", "const MAX_PAGE_SIZE = $MAXPAGE;"]
    hook = ["function use$Es(pageSize: number) {",
            "  const [items, setItems] = useState<$E[]>([]);",
            "  const [error, setError] = useState<ApiError | null>(null);",
            f"  {flag}", "",
            "  const reload = useCallback(async () => {",
            f"    {start}",
            "    try {",
            f"      const limit = {b.clamp(s('clamp'), d[0], 'pageSize', '1', 'MAX_PAGE_SIZE', 'Math.')};",
            "      const page = await $eClient.list({ limit });",
            f"      setItems([...page].sort({order}));",
            "      setError(null);",
            "    } catch (err) {",
            '      setError(err instanceof ApiError ? err : new ApiError("Could not load $es", undefined, { cause: err }));',
            "    } finally {",
            f"      {end}",
            "    }",
            "  }, [pageSize]);", "",
            "  useEffect(() => {", "    void reload();", "  }, [reload]);", "",
            *b.subscription(s("subscribe"), d[2], "reload"), "",
            *b.subscription(2, d[6], "reload"), "",
            ("  return { items, error, loading, reload };", "  return { items, error, loading: !ready, reload };")[busy],
            "}"]
    view = ["export function $C({ title, pageSize = DEFAULT_PAGE_SIZE, onSelect }: $CProps) {",
            "  const { items, error, loading, reload } = use$Es(pageSize);",
            f"  const lastPage = {b.bound_check(s('last'), d[3], 'items.length', 'pageSize')};", "",
            "  if (loading) return <Skeleton rows={3} />;",
            "  if (error) return <ErrorState message={error.message} onRetry={reload} />;",
            '  if (items.length === 0) return <p className="empty">No $es yet.</p>;', "",
            "  return (",
            '    <section aria-labelledby="$e-heading" className="panel">',
            '      <h2 id="$e-heading">{title}</h2>',
            '      <ul role="list">',
            "        {items.map((item) => (",
            "          <li key={item.id}>",
            '            <button type="button" onClick={() => onSelect?.(item)}>{item.name}</button>',
            "          </li>",
            "        ))}",
            "      </ul>",
            '      {lastPage ? null : <button type="button" onClick={reload}>Show more</button>}',
            "    </section>",
            "  );", "}"]
    chunks = [sort, hook, b.guard(s("guard"), d[9], "tsx"), view]
    return fill_names("\n".join(b.arrange(salt, head, chunks)), names) + "\n"
