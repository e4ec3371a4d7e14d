"""The .ts file generator: an API client whose defects (see code_blocks) switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation import code_blocks as b
from learning_pipeline.simulation.code_text import fill_names


def code_ts(d: list[bool], names: dict[str, str], salt: int) -> str:
    def s(block: str) -> int:
        return b.style_bit(salt, block)

    head = ['import type { $E, Page } from "@/types/$e";', "",
            "const MAX_RETRIES = $RETRIES;", "const RETRY_DELAY_MS = $DELAY;", "const MAX_PAGE_SIZE = $MAXPAGE;",
            "const listeners = new Set<() => void>();"]
    chunks = [
        ["export class ApiError extends Error {",
         "  constructor(message: string, readonly status?: number, options?: ErrorOptions) {",
         "    super(message, options);", "  }", "}"],
        ["async function request<T>(path: string, init: RequestInit = {}, attempt = 0): Promise<T> {",
         "  const res = await fetch(`${import.meta.env.VITE_API_URL}${path}`, init);",
         f"  if (res.status >= 500 && {b.bound_check(s('retry'), d[3], 'attempt', 'MAX_RETRIES')}) {{",
         "    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * (attempt + 1)));",
         "    return request<T>(path, init, attempt + 1);", "  }",
         *b.inverted(s("ok"), d[2], "ts"), "}"],
        ["export const $eClient = {",
         "  list: (query: { limit: number }): Promise<$E[]> => {",
         f"    const limit = {b.clamp(s('clamp'), d[0], 'query.limit', '1', 'MAX_PAGE_SIZE', 'Math.')};",
         "    return request<Page<$E>>(`/$es?limit=${limit}`).then((page) => page.items);", "  },",
         "  get: (id: string): Promise<$E> => request<$E>(`/$es/${encodeURIComponent(id)}`),",
         "};"],
        ["export const isLastPage = (page: Page<$E>, limit: number): boolean =>",
         f"  {b.bound_check(s('last'), d[5], 'page.items.length', 'limit')};"],
        b.listeners(s("listeners"), d[6]),
        b.comparator(s("sort"), d[8], "ts"),
        b.guard(s("guard"), d[9], "ts"),
    ]
    return fill_names("\n".join(b.arrange(salt, head, chunks)), names) + "\n"
