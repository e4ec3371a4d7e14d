"""The .tsx file generator: one template whose defects switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation.code_text import fill_names


def code_tsx(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("// TODO: split this file up, it does too much")
    if d[1]:
        out += ['import React, { useState, useEffect } from "react"', 'import axios from "axios"', ""]
    else:
        out += ['import { useCallback, useEffect, useState } from "react";',
                'import type { $E } from "@/types/$e";',
                'import { $eClient, ApiError } from "@/lib/api/$e-client";',
                'import { ErrorState } from "@/components/ui/ErrorState";',
                'import { Skeleton } from "@/components/ui/Skeleton";', ""]
    if not d[0]:
        out += ["interface $CProps {", "  title: string;", "  pageSize?: number;",
                "  onSelect?: (item: $E) => void;", "}", ""]
    if not d[10]:
        out += ["const DEFAULT_PAGE_SIZE = $PAGE;", ""]
    if d[9]:
        # one very long function: field-by-field copying with magic numbers
        out += ["function processData(d: any) {", "  let result: any = {}"]
        for i, fld in enumerate(("id", "name", "status", "price", "owner", "createdAt", "updatedAt", "tags",
                                 "score", "rank", "region", "notes")):
            out.append(f"  result.{fld} = d.{fld} ? d.{fld} : d['{fld}_{i}']")
            out.append(f"  if (result.{fld} == null) result.{fld} = {(salt * (i + 3)) % 97}")
        out += ["  if (result.price > 99.99) result.badge = 'premium'",
                "  if (Date.now() - result.updatedAt > 86400000) result.stale = true",
                "  return result", "}", ""]
    else:
        out += ["function byRecent(a: $E, b: $E): number {",
                "  return b.$SORT.localeCompare(a.$SORT);", "}", ""]
    if not d[1]:
        out += ["function use$Es(pageSize: number) {",
                "  const [items, setItems] = useState<$E[]>([]);",
                "  const [error, setError] = useState<ApiError | null>(null);",
                "  const [loading, setLoading] = useState(true);", "",
                "  const load = useCallback(async () => {",
                "    setLoading(true);",
                "    try {",
                "      const page = await $eClient.list({ limit: pageSize });",
                "      setItems([...page].sort(byRecent));",
                "      setError(null);",
                "    } catch (err) {",
                '      setError(err instanceof ApiError ? err : new ApiError("Could not load $es", { cause: err }));',
                "    } finally {",
                "      setLoading(false);",
                "    }",
                "  }, [pageSize]);", "",
                "  useEffect(() => {", "    void load();", "  }, [load]);", "",
                "  return { items, error, loading, reload: load };", "}", ""]
    if d[0]:
        out.append("export default function $C(props: any) {")
    else:
        out.append("export function $C({ title, pageSize = DEFAULT_PAGE_SIZE, onSelect }: $CProps) {")
    if d[1]:
        state_type = "any" if d[11] else "$E[]"
        out += [f"  const [data, setData] = useState<{state_type}>([])",
                "  const [loading, setLoading] = useState(true)"]
        if d[3]:
            out.append("  console.log('render $C', props)")
        out += ["  useEffect(() => {"]
        if d[2]:
            out += ["    try {",
                    "      axios.get('http://localhost:3001/api/$es?limit=$BULK').then((res) => {",
                    "        setData(res.data)" + ("" if not d[4] else "; console.log('got', res.data.length)"),
                    "        setLoading(false)",
                    "      })",
                    "    } catch {}"]
        else:
            out += ["    fetch('/api/$es?limit=$BULK')",
                    "      .then((res) => res.json())",
                    "      .then((json) => { setData(json); setLoading(false) })"]
            if d[7]:
                out.append("    // TODO: handle errors")
        out += ["  }, [])", ""]
        if d[5]:
            out.append("  console.log('data', data)")
        if d[8]:
            out += ["  return (",
                    "    <div style={{ padding: 24, marginTop: 13 }}>",
                    "      {data && data.length > 0 ? data.map((item: any, i: number) => {",
                    "        if (item) {",
                    "          if (item.status) {",
                    "            if (item.status === 'active') {",
                    "              if (item.price > 99.99) {",
                    "                return <div key={i} style={{ color: '#ff0000', fontSize: 17 }}>{item.name}!!</div>",
                    "              } else {",
                    "                return <div key={i}>{item.name}</div>",
                    "              }",
                    "            }",
                    "          }",
                    "        }",
                    "        return null",
                    "      }) : <div>Loading...</div>}",
                    "    </div>",
                    "  )", "}"]
        else:
            out += ["  if (loading) return <div>Loading...</div>",
                    "  return (",
                    "    <ul>",
                    "      {data.map((item: $E) => <li key={item.id}>{item.name}</li>)}",
                    "    </ul>",
                    "  )", "}"]
    else:
        out += ["  const { items, error, loading, reload } = use$Es(pageSize);", ""]
        if d[3]:
            out.append("  console.log('items', items.length);")
        out += ["  if (loading) return <Skeleton rows={3} />;",
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
                "    </section>",
                "  );", "}"]
    if d[12]:
        out += ["", "// TODO: remove before launch", "export const DEBUG = true"]
    return fill_names("\n".join(out), names) + "\n"
