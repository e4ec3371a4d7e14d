"""The .js file generator: one template whose defects switch on as quality falls."""

from __future__ import annotations

from learning_pipeline.simulation.code_text import fill_names


def code_js(d: list[bool], names: dict[str, str], salt: int) -> str:
    out: list[str] = []
    if d[6]:
        out.append("// TODO: validation")
    out += ["const express = require('express')", "const router = express.Router()"]
    if not d[0]:
        out += ["const { z } = require('zod')", "",
                "const $EInput = z.object({ name: z.string().min(1), quantity: z.number().int().positive() })",
                "const MAX_PAGE_SIZE = $MAXPAGE"]
    out.append("")
    if d[0]:
        out += ["router.post('/$es', async (req, res) => {"]
        if d[3]:
            out.append("  console.log('body', req.body)")
        if d[2]:
            out += ["  try {",
                    "    const row = await db.query(\"INSERT INTO $es (name) VALUES ('\" + req.body.name + \"')\")",
                    "    res.json(row)",
                    "  } catch (e) {}", "})"]
        else:
            out += ["  const row = await db.query(\"INSERT INTO $es (name) VALUES ('\" + req.body.name + \"')\")",
                    "  res.json(row)", "})"]
    else:
        out += ["router.post('/$es', async (req, res, next) => {",
                "  const parsed = $EInput.safeParse(req.body)",
                "  if (!parsed.success) {",
                "    return res.status(400).json({ error: 'invalid_$e', issues: parsed.error.issues })",
                "  }",
                "  try {",
                "    const row = await db.query('INSERT INTO $es (name, quantity) VALUES ($1, $2) RETURNING *',",
                "      [parsed.data.name, parsed.data.quantity])",
                "    return res.status(201).json(row)",
                "  } catch (err) {",
                "    return next(err)",
                "  }",
                "})"]
    out.append("")
    if d[9]:
        out += ["router.get('/$es', async (req, res) => {", "  let rows = await db.query('SELECT * FROM $es')"]
        for i in range(9):
            out.append(f"  rows = rows.map((r) => {{ r.f{i} = r.f{i} || {(salt * (i + 5)) % 89}; return r }})")
        out += ["  res.json(rows.slice(0, 37))", "})"]
    else:
        out += ["router.get('/$es', async (req, res, next) => {",
                "  const limit = Math.min(Number(req.query.limit) || $PAGE, MAX_PAGE_SIZE)",
                "  try {",
                "    res.json(await db.query('SELECT * FROM $es ORDER BY id LIMIT $1', [limit]))",
                "  } catch (err) {",
                "    next(err)",
                "  }",
                "})"] if not d[0] else ["router.get('/$es', async (req, res) => {",
                                        "  res.json(await db.query('SELECT * FROM $es'))", "})"]
    if d[8]:
        out += ["", "function check(u) {", "  if (u) {", "    if (u.role) {", "      if (u.role !== 'guest') {",
                "        if (u.active) {", "          return true", "        }", "      }", "    }", "  }",
                "  return false", "}"]
    if d[4]:
        out.append("console.log('routes ready')")
    if d[7]:
        out.append("// TODO: auth middleware")
    out += ["", "module.exports = router"]
    return fill_names("\n".join(out), names) + "\n"
