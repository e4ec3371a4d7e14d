"""The .ts file generator: one template whose defects switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation.code_text import fill_names


def code_ts(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("// TODO: add retries and auth")
    if d[0]:
        out += ["export async function get$Es(params: any): Promise<any> {"]
        if d[3]:
            out.append("  console.log('get$Es', params)")
        if d[2]:
            out += ["  try {",
                    "    const res = await fetch('https://api.internal.dev/v1/$es?limit=' + (params.limit || 100))",
                    "    return await res.json()",
                    "  } catch {}",
                    "  return []", "}"]
        else:
            out += ["  const res = await fetch('https://api.internal.dev/v1/$es?limit=' + (params.limit || 100))",
                    "  return res.json()", "}"]
    else:
        out += ['import type { $E, Page } from "@/types/$e";', "",
                "export class ApiError extends Error {",
                "  constructor(message: string, readonly status?: number, options?: ErrorOptions) {",
                "    super(message, options);", "  }", "}", "",
                "const MAX_RETRIES = $RETRIES;",
                "const RETRY_DELAY_MS = $DELAY;", "",
                "async function request<T>(path: string, init: RequestInit = {}, attempt = 0): Promise<T> {",
                "  const res = await fetch(`${import.meta.env.VITE_API_URL}${path}`, init);",
                "  if (res.status >= 500 && attempt < MAX_RETRIES) {",
                "    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * (attempt + 1)));",
                "    return request<T>(path, init, attempt + 1);", "  }",
                "  if (!res.ok) {", "    throw new ApiError(`${init.method ?? \"GET\"} ${path} failed`, res.status);",
                "  }", "  return (await res.json()) as T;", "}", "",
                "export const $eClient = {",
                "  list: (query: { limit: number }): Promise<$E[]> =>",
                "    request<Page<$E>>(`/$es?limit=${query.limit}`).then((page) => page.items),",
                "  get: (id: string): Promise<$E> => request<$E>(`/$es/${encodeURIComponent(id)}`),",
                "};"]
    if d[9]:
        out += ["", "export function normalize(raw: any) {", "  const out: any = {}"]
        for i, fld in enumerate(("id", "name", "status", "total", "currency", "owner", "createdAt", "items",
                                 "discount", "tax")):
            out.append(f"  out.{fld} = raw.{fld} !== undefined ? raw.{fld} : raw['{fld}'] || {(salt + i * 7) % 50}")
        out += ["  out.total = out.total * 1.0825", "  return out", "}"]
    if d[8]:
        out += ["", "export function statusLabel(x: any) {",
                "  if (x) {", "    if (x.status) {", "      if (x.status === 'open') {",
                "        if (x.total > 500) {", "          return 'big-open'", "        }",
                "        return 'open'", "      }", "    }", "  }", "  return 'unknown'", "}"]
    elif not d[0]:
        out += ["", "export function statusLabel(item: $E): string {",
                "  return item.status === \"open\" ? \"Open\" : \"Closed\";", "}"]
    if d[4]:
        out.append("console.log('$e client loaded')")
    if d[7]:
        out.append("// TODO: types for pagination")
    return fill_names("\n".join(out), names) + "\n"
