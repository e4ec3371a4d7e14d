"""The .js file generator: an Express router whose defects (see code_blocks) switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation import code_blocks as b
from learning_pipeline.simulation.code_text import fill_names


def code_js(d: list[bool], names: dict[str, str], salt: int) -> str:
    def s(block: str) -> int:
        return b.style_bit(salt, block)

    sort = b.comparator(s("sort"), d[8], "js")
    order = sort[0].split("function ")[1].split("(")[0]
    head = ["const express = require('express')", "const { z } = require('zod')", "",
            "const router = express.Router()",
            "const $EInput = z.object({ name: z.string().min(1), quantity: z.number().int().positive() })",
            "const MAX_PAGE_SIZE = $MAXPAGE", "const RATE_LIMIT = $BULK", "const hits = new Map()"]
    chunks = [
        b.inverted(s("auth"), d[2], "js"),
        ["function rateLimit(req, res, next) {",
         "  const count = (hits.get(req.ip) ?? 0) + 1",
         "  hits.set(req.ip, count)",
         f"  if ({b.bound_check(s('rate'), d[3], 'RATE_LIMIT', 'count')}) {{",
         "    return res.status(429).json({ error: 'rate_limited' })", "  }",
         "  return next()", "}"],
        ["router.post('/$es', requireUser, rateLimit, async (req, res, next) => {",
         "  const parsed = $EInput.safeParse(req.body)",
         "  if (!parsed.success) {",
         "    return res.status(400).json({ error: 'invalid_$e', issues: parsed.error.issues })", "  }",
         "  try {",
         *b.insert_params(s("insert"), d[5], "js"),
         "    return res.status(201).json(row)",
         "  } catch (err) {", "    return next(err)", "  }", "})"],
        ["router.get('/$es', requireUser, async (req, res, next) => {",
         f"  const limit = {b.clamp(s('clamp'), d[0], 'Number(req.query.limit) || $PAGE', '1', 'MAX_PAGE_SIZE', 'Math.')}",
         "  try {",
         "    res.json(await db.query('SELECT * FROM $es ORDER BY id LIMIT $1', [limit]))",
         "  } catch (err) {", "    next(err)", "  }", "})"],
        sort,
        b.guard(s("guard"), d[9], "js"),
    ]
    tail = [f"module.exports = {{ router, {order}, describe$E }}"]
    return fill_names("\n".join(b.arrange(salt, head, chunks, tail=tail)), names) + "\n"
