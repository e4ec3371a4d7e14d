"""The heuristic `code_quality` judge: a reviewer's checklist run over one code version.

The rules are the ones a code reviewer applies without running the code: lint-like tells
(`any`, debug output, TODOs, empty catch blocks, eval), size and nesting, error handling around
I/O, hard-coded secrets and endpoints, injection-prone SQL, magic numbers, CSS specificity
fights; and the strengths they look for (typed props, error states, named constants, tokens,
small functions). The builder's own quality point (error count, quality score) and how its
patterns fared are blended in as separate signals, so the text rules stay the main voice and
the agreement between the two sets the confidence.
"""

from __future__ import annotations

import re
from collections import Counter

from learning_pipeline.judging.heuristics_code_logic import logic_rules
from learning_pipeline.judging.heuristics_code_source import (
    TYPED, SourceText, control_depth, function_spans, imported_names, language_of, split_source,
)
from learning_pipeline.judging.heuristics_scoring import (
    Evidence, agreement_confidence, blend, clamp, lines_label, number,
)
from learning_pipeline.judging.rubrics import Rubric
from learning_pipeline.judging.verdicts import Verdict

_MARKER = re.compile(r"\[REDACTED:(\w+)\]")
_ANY = re.compile(r":\s*any\b|\bas\s+any\b|<any\b|\bany\[\]")
_NUMBER = re.compile(r"(?<![\w.#$])(\d+\.\d+|\d{2,})(?![\w.])")
_ORDINARY_NUMBERS = {"10", "100", "1000", "0.0", "1.0", "0.5"}
_UPPER_CONSTANT = re.compile(r"^\s*(?:export\s+)?(?:(?:const|let|var)\s+)?[A-Z][A-Z0-9_]+\s*(?::[^=]+)?=")
_IO_CALL = re.compile(r"\bfetch\(|\baxios(?:\.\w+)?\(|\brequests\.\w+\(|\bhttpx\.\w+\(|\bdb\.query\(|\burlopen\(")
_IO_HANDLED = re.compile(
    r"\btry\b|\.catch\(|\bexcept\b|\.ok\b|raise_for_status|status_code|\.status\s*(?:>=|===|==|!==|>|<)|onError"
)
# A SQL statement (not just the word "Update" in UI copy) assembled from pieces of data.
_SQL = r"(?:\bselect\b[^\"'`\n]*\bfrom\b|\binsert\s+into\b|\bupdate\s+\w+\s+set\b|\bdelete\s+from\b)"
_SQL_CONCAT = re.compile(
    rf"{_SQL}[^\n]*[\"'`]\s*\+\s*[\w(]"  # "... WHERE id = '" + id
    rf"|`[^`]*{_SQL}[^`]*\$\{{"  # `... ${id}`
    rf"|\bf[\"'][^\"'\n]*{_SQL}[^\"'\n]*\{{"  # f"... {id}"
    rf"|{_SQL}[^\"'\n]*[\"']\s*(?:%\s*[\w(]|\.format\()",  # "... %s" % id
    re.I,
)
_VALIDATION = re.compile(r"safeParse|\.parse\(|validate|[Ss]chema|z\.object|Joi\.|yup\.|BaseModel|model_validate")
_CREDENTIAL = re.compile(
    r"(?i)\b[\w-]*(?:api[_-]?key|secret|token|passw(?:or)?d|private[_-]?key|access[_-]?key)[\w-]*[\"']?\s*[:=]\s*"
    r"[\"'`]([^\"'`\s$]{12,})[\"'`]"
)
_URL = re.compile(r"https?://[^\s'\"`)]+")
_IDENTIFIER = re.compile(r"(?<![\w$.])[A-Za-z_$][\w$]*")


# -- the rules ---------------------------------------------------------------------------------

def _secret_rules(src: SourceText, ev: Evidence) -> None:
    kinds: dict[str, list[int]] = {}
    for n, line in src.numbered(src.raw):
        for m in _MARKER.finditer(line):
            kinds.setdefault(m.group(1), []).append(n)
    for kind, where in sorted(kinds.items()):
        if kind == "email":
            ev.fault("security", "major", "personal email address hard-coded in the source", lines_label(where),
                     "Move contact details to configuration or content, not code.", len(where))
        else:
            ev.fault("security", "critical", f"hard-coded secret ({kind}) in the source", lines_label(where),
                     "Remove the secret, rotate it, and load it from the environment or a secret store.", len(where))
    literal = [n for n, line in src.numbered(src.with_strings)
               if not _MARKER.search(line) and (m := _CREDENTIAL.search(line))
               and len(set(m.group(1))) >= 8 and any(c.isdigit() for c in m.group(1))]
    if literal:
        ev.fault("security", "critical", "credential-looking literal assigned in the source", lines_label(literal),
                 "Load credentials from the environment or a secret store.", len(literal))


def _common_rules(src: SourceText, ev: Evidence) -> None:
    todos = [n for n, text in src.comments if re.search(r"\b(?:TODO|FIXME|HACK|XXX)\b", text)]
    if todos:
        ev.fault("maintainability", "minor", f"{len(todos)} TODO/FIXME note(s) left in the code", lines_label(todos),
                 "Resolve the TODOs or track them in the issue tracker.", len(todos))
    suppressed = [n for n, text in src.comments if re.search(r"@ts-ignore|@ts-expect-error|eslint-disable|type:\s*ignore|noqa", text)]
    if suppressed:
        ev.fault("correctness", "minor", "type-checker or linter warnings suppressed", lines_label(suppressed),
                 "Fix the underlying type or lint error instead of silencing it.", len(suppressed))
    size = sum(1 for line in src.raw if line.strip())
    if size == 0:
        ev.fault("correctness", "major", "empty file", None, "Write the file or remove it from the build.")
    if size > 400:
        ev.fault("structure", "major" if size > 800 else "minor", f"large file ({size} non-blank lines)", None,
                 "Split the file by responsibility.")
    _secret_rules(src, ev)


def _unused_imports(src: SourceText, ev: Evidence) -> None:
    """The linter's no-unused-vars for imports: dead imports are noise and bundle weight."""
    text = "\n".join(src.code)
    has_jsx = bool(re.search(r"<[A-Za-z][\w.]*[\s>/]", text))
    identifiers = Counter(_IDENTIFIER.findall(text))
    imports = [(n, name) for n, line in src.numbered(src.code) for name in imported_names(line, src.family)]
    declared = Counter(name for _, name in imports)
    unused = [(n, name) for n, name in imports
              if _IDENTIFIER.fullmatch(name) and not (name == "React" and has_jsx)  # classic JSX runtime
              and identifiers[name] <= declared[name]]
    if unused:
        ev.fault("maintainability", "minor", f"unused import(s): {', '.join(name for _, name in unused)}",
                 lines_label(n for n, _ in unused), "Remove imports that are not used.", len(unused))


def _script_rules(src: SourceText, ev: Evidence) -> None:
    text = "\n".join(src.code)
    numbered = list(src.numbered(src.code))
    _unused_imports(src, ev)
    if src.language in TYPED:
        anys = [n for n, line in numbered if _ANY.search(line)]
        if anys:
            ev.fault("correctness", "major" if len(anys) >= 3 else "minor", f"`any` type used {len(anys)} time(s), switching off type checking",
                     lines_label(anys), "Replace `any` with the real type or `unknown` plus a type guard.", len(anys))
        if re.search(r"^\s*(?:export\s+)?(?:interface\s+\w+|type\s+\w+\s*=)", text, re.M) or re.search(r"\}\s*:\s*\w+Props\b", text):
            ev.praise("structure", 6, "typed props/interfaces")
            ev.praise("correctness", 4, "typed props/interfaces")
        if re.search(r"\)\s*:\s*(?:Promise<[^>]+>|[\w\[\]<>|]+)\s*(?:\{|=>)", text):
            ev.praise("correctness", 4, "explicit return types")
    logs = [n for n, line in numbered if re.search(r"\bconsole\.(?:log|debug)\(|\bdebugger\b", line)]
    if logs:
        ev.fault("maintainability", "major" if len(logs) >= 3 else "minor", f"{len(logs)} console.log/debugger statement(s) left in",
                 lines_label(logs), "Remove debug output or route it through a logger with levels.", len(logs))
    empty = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"\bcatch\s*(?:\([^)]*\))?\s*\{\s*\}", text)]
    empty += [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"\.catch\(\s*\(\s*\w*\s*\)\s*=>\s*\{\s*\}\s*\)", text)]
    if empty:
        ev.fault("correctness", "major", "empty catch block swallows errors", lines_label(empty),
                 "Handle the error: show an error state, rethrow, or at least report it.", len(empty))
    evals = [n for n, line in numbered if re.search(r"\beval\(|\bnew\s+Function\(", line)]
    if evals:
        ev.fault("security", "critical", "eval/new Function executes arbitrary code", lines_label(evals),
                 "Parse the data instead of evaluating it.", len(evals))
    html = [n for n, line in numbered if re.search(r"dangerouslySetInnerHTML|\.innerHTML\s*=", line)]
    if html:
        ev.fault("security", "major", "raw HTML injection (innerHTML)", lines_label(html), "Render text, or sanitise the HTML first.", len(html))
    sql = [n for n, line in src.numbered(src.with_strings) if _SQL_CONCAT.search(line)]
    if sql:
        ev.fault("security", "critical", "SQL built by string concatenation (injection risk)", lines_label(sql),
                 "Use parameterised queries.", len(sql))
    elif re.search(r"\$\d|\?\s*[,)]", "\n".join(src.with_strings)) and re.search(r"\bquery\(", text):
        ev.praise("security", 6, "parameterised SQL")
    if re.search(r"\breq\.(?:body|query|params)\b", text):
        if _VALIDATION.search(text):
            ev.praise("security", 8, "request input validated with a schema")
        else:
            ev.fault("security", "major", "request input used without validation", lines_label(
                [n for n, line in numbered if re.search(r"\breq\.(?:body|query|params)\b", line)]),
                "Validate request bodies at the boundary with a schema (zod, joi).")
    if src.language in ("tsx", "jsx"):
        keys = [n for n, line in numbered if re.search(r"key=\{\s*(?:i|idx|index)\s*\}", line)]
        if keys:
            ev.fault("correctness", "minor", "array index used as React key", lines_label(keys), "Key list items by a stable id.", len(keys))
        styles = [n for n, line in numbered if "style={{" in line.replace(" ", "")]
        if styles:
            ev.fault("patterns", "minor", "inline style objects instead of classes/tokens", lines_label(styles),
                     "Move styles to classes or design tokens.", len(styles))
        if re.search(r"ErrorBoundary|ErrorState|componentDidCatch|\bif\s*\(\s*error\s*\)|onRetry", text):
            ev.praise("patterns", 8, "error boundary / error state")
            ev.praise("correctness", 4, "error boundary / error state")
        if re.search(r"\baria-\w+=|\brole=", text):
            ev.praise("patterns", 4, "accessible markup")
        if re.search(r"\bif\s*\(\s*(?:loading|isLoading)\s*\)|Skeleton|\.length\s*===\s*0", text):
            ev.praise("correctness", 3, "loading and empty states")
    if re.search(r"\buse(?:Callback|Memo)\(", text):
        ev.praise("performance", 4, "memoised callbacks")
    if re.search(r"extends\s+Error\b", text):
        ev.praise("correctness", 4, "typed error class")
    if re.search(r"\bnext\(\s*err\s*\)", text):
        ev.praise("correctness", 4, "errors passed to the error middleware")
    vars_ = [n for n, line in numbered if re.match(r"^\s*var\s", line)]
    if vars_:
        ev.fault("maintainability", "minor", "`var` declarations", lines_label(vars_), "Use const/let.", len(vars_))
    unbounded = [n for n, line in src.numbered(src.with_strings)
                 if re.search(r"(?i)select\s+\*\s+from\s+\w+\s*[\"'`]", line)]
    if unbounded:
        ev.fault("performance", "minor", "unbounded SELECT * without LIMIT", lines_label(unbounded), "Page the query with LIMIT.")


def _python_rules(src: SourceText, ev: Evidence) -> None:
    text = "\n".join(src.code)
    numbered = list(src.numbered(src.code))
    _unused_imports(src, ev)
    prints = [n for n, line in numbered if re.search(r"^\s*print\(", line)]
    if prints:
        ev.fault("maintainability", "major" if len(prints) >= 3 else "minor", f"{len(prints)} print() debug statement(s)",
                 lines_label(prints), "Use the logging module.", len(prints))
    swallowed = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"\bexcept\b[^:\n]*:\s*\n\s*(?:pass|\.\.\.)\b", text)]
    bare = [n for n, line in numbered if re.match(r"^\s*except\s*:", line)]
    if swallowed or bare:
        what = "bare `except:` that swallows every error" if bare else "exception handler that silently passes"
        ev.fault("correctness", "major", what, lines_label(swallowed + bare),
                 "Catch the specific exception and handle or re-raise it.", len(set(swallowed + bare)))
    dangerous = [n for n, line in numbered if re.search(r"\b(?:eval|exec)\(|pickle\.loads|shell\s*=\s*True", line)]
    if dangerous:
        ev.fault("security", "critical", "eval/exec/pickle/shell=True on data", lines_label(dangerous), "Parse data safely.", len(dangerous))
    sql = [n for n, line in src.numbered(src.with_strings) if _SQL_CONCAT.search(line)]
    if sql:
        ev.fault("security", "critical", "SQL built by string formatting (injection risk)", lines_label(sql), "Use query parameters.")
    untimed = [n for n, line in numbered if re.search(r"\brequests\.(?:get|post|put|patch|delete)\(", line) and "timeout" not in line]
    if untimed:
        ev.fault("performance", "minor", "HTTP call without a timeout can hang forever", lines_label(untimed),
                 "Pass an explicit timeout.", len(untimed))
    anys = [n for n, line in numbered if re.search(r"\bAny\b", line) and not re.match(r"^\s*(?:from|import)\b", line)]
    if anys:
        ev.fault("correctness", "minor", "`Any` annotations hide the real types", lines_label(anys), "Annotate the real types.", len(anys))
    if re.search(r"^\s*def\s+\w+\(.*\)\s*->", text, re.M):
        ev.praise("correctness", 5, "type-annotated functions")
        ev.praise("structure", 3, "type-annotated functions")
    if "@dataclass" in text or re.search(r"class\s+\w+\((?:BaseModel|TypedDict|NamedTuple)\)", text):
        ev.praise("structure", 4, "typed records")
    if re.search(r"\blogging\b|\blog\.(?:info|warning|error|debug)\(", text):
        ev.praise("maintainability", 5, "structured logging")
    if "timeout" in text:
        ev.praise("performance", 5, "explicit timeouts")


def _css_rules(src: SourceText, ev: Evidence) -> None:
    in_root, px, colors, selectors = False, [], [], []
    numbered = list(src.numbered(src.code))
    for n, line in numbered:
        stripped = line.strip()
        if re.match(r":root\b", stripped):
            in_root = True
        elif in_root and stripped.startswith("}"):
            in_root = False
            continue
        if in_root or stripped.startswith("--"):
            continue
        px += [n] * len(re.findall(r"(?<![\w.-])\d+(?:\.\d+)?px\b", line))
        colors += [n] * len(re.findall(r"#[0-9A-Fa-f]{3,8}\b", line))
        if "{" in line and not stripped.startswith("@"):
            selector = line.split("{")[0]
            parts = [p for p in re.split(r"[\s>+~]+", selector.strip()) if p]
            if len(parts) >= 5:
                selectors.append(n)
    important = [n for n, line in numbered if "!important" in line]
    if important:
        ev.fault("maintainability", "major" if len(important) >= 2 else "minor", f"{len(important)} !important override(s)",
                 lines_label(important), "Fix the specificity instead of overriding with !important.", len(important))
    if len(px) >= 3:
        ev.fault("maintainability", "major" if len(px) >= 8 else "minor", f"{len(px)} hard-coded pixel values",
                     lines_label(px), "Use spacing and size tokens (CSS variables).", len(px))
    if colors:
        ev.fault("maintainability", "minor", "hard-coded colors outside the tokens", lines_label(colors),
                 "Reference color tokens instead of hex values.", len(colors))
    z = [n for n, line in numbered if re.search(r"z-index:\s*\d{3,}", line)]
    if z:
        ev.fault("maintainability", "minor", "z-index arms race (z-index >= 100)", lines_label(z), "Use a small z-index scale.")
    fixed = [n for n, line in numbered if re.search(r"(?<![\w-])width:\s*\d{3,}px", line)]
    if fixed:
        ev.fault("correctness", "minor", "fixed pixel width overflows small screens", lines_label(fixed), "Use max-width or fluid units.")
    every = [n for n, line in numbered if re.search(r"transition:\s*all\b", line)]
    if every:
        ev.fault("performance", "minor", "`transition: all` animates layout properties", lines_label(every),
                 "Transition only transform and opacity.")
    if selectors:
        ev.fault("structure", "minor", "over-qualified selector chains", lines_label(selectors), "Use one class per component part.", len(selectors))
    text = "\n".join(src.code)
    if re.search(r"transition|animation", text) and "prefers-reduced-motion" not in text:
        ev.fault("patterns", "minor", "motion without a prefers-reduced-motion guard", None, "Add a reduced-motion media query.")
    if "var(--" in text:
        ev.praise("patterns", 8, "design tokens via CSS variables")
        ev.praise("maintainability", 6, "design tokens via CSS variables")
    if "prefers-reduced-motion" in text:
        ev.praise("patterns", 5, "reduced-motion support")
    if re.search(r"@container|grid-template", text):
        ev.praise("structure", 5, "container queries / grid layout")


def _shared_script_python_rules(src: SourceText, ev: Evidence) -> None:
    text = "\n".join(src.code)
    io_lines = [n for n, line in src.numbered(src.code) if _IO_CALL.search(line)]
    if io_lines and not _IO_HANDLED.search(text):
        ev.fault("correctness", "major", "network/database call without error handling", lines_label(io_lines),
                 "Check the response status and handle failures (try/catch, .catch, raise_for_status).", len(io_lines))
    depth, where = control_depth(src.code)
    if depth >= 3:
        ev.fault("structure", "major" if depth >= 4 else "minor", f"control flow nested {depth} levels deep", f"line {where}",
                 "Flatten with early returns or extract a function.")
    spans = function_spans(src)
    long_ = [(start, length) for start, length in spans if length > 35]
    for start, length in long_:
        ev.fault("structure", "major" if length > 60 else "minor", f"long function ({length} lines)", f"line {start}",
                 "Split it into small functions with one job each.")
    if len(spans) >= 2 and max(length for _, length in spans) <= 30:
        ev.praise("structure", 8, "small functions")
    magic = []
    for n, line in src.numbered(src.code):
        if _UPPER_CONSTANT.match(line) or re.match(r"^\s*(?:import|from)\b", line):
            continue
        for m in _NUMBER.finditer(line):
            value = m.group(1)
            if value in _ORDINARY_NUMBERS or (len(value) == 3 and value[0] in "12345" and "status" in line):
                continue
            magic.append(n)
    if len(magic) >= 3:
        ev.fault("maintainability", "major" if len(magic) >= 8 else "minor", f"{len(magic)} magic numbers",
                 lines_label(magic), "Name the numbers as constants that say what they mean.", len(magic))
    # a flag such as `DEBUG = true` is configuration left in code, not a named quantity
    if any(_UPPER_CONSTANT.match(line) and not re.search(r"=\s*(?:true|false|True|False)\b", line) for line in src.code):
        ev.praise("maintainability", 6, "named constants")
    debug_flags = [n for n, line in src.numbered(src.code) if re.search(r"\bDEBUG\s*[:=]\s*(?:true|True)\b", line)]
    if debug_flags:
        ev.fault("maintainability", "minor", "debug flag left switched on", lines_label(debug_flags), "Drive debug mode from configuration.")
    local, hard_coded = [], []
    for n, line in src.numbered(src.with_strings):
        for url in _URL.findall(line):
            if re.match(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)\b", url):
                local.append(n)
            elif "w3.org" not in url and _IO_CALL.search(line):
                hard_coded.append(n)
    if local:
        ev.fault("correctness", "major", "hard-coded localhost URL breaks outside development", lines_label(local),
                 "Read the API base URL from configuration.", len(local))
    if hard_coded:
        ev.fault("maintainability", "minor", "hard-coded API endpoint", lines_label(hard_coded), "Read the API base URL from configuration.")


def code_evidence(code: str, language: str) -> tuple[Evidence, SourceText]:
    src = split_source(code, language)
    ev = Evidence()
    _common_rules(src, ev)
    logic_rules(src, ev)
    if src.family == "css":
        _css_rules(src, ev)
    else:
        (_python_rules if src.family == "py" else _script_rules)(src, ev)
        _shared_script_python_rules(src, ev)
    return ev, src


# The builder's score and the rules' score sit on different scales (the rules start every file
# from a clean slate and dock findings); agreement is checked after moving the builder's score
# onto the rules' scale by this offset (tuned on simulated seeds 1-3). Confidence only.
REPORTED_SCALE_OFFSET = 10.0


def reported_quality(quality: dict | None) -> tuple[float | None, float | None]:
    """The builder's quality score and an error score from its error count (fewer is better)."""
    if not isinstance(quality, dict):
        return None, None
    score = number(quality.get("codeQualityScore"))
    errors = number(quality.get("errorCount"))
    return (clamp(score) if score is not None else None,
            clamp(100.0 - 15.0 * errors) if errors is not None else None)


def pattern_success(patterns: list | None) -> float | None:
    """Share of the patterns this file used that worked on the first attempt, docked for retries."""
    entries = [p for p in patterns or [] if isinstance(p, dict) and isinstance(p.get("firstAttemptSuccess"), bool)]
    if not entries:
        return None
    first = sum(p["firstAttemptSuccess"] for p in entries) / len(entries)
    iterations = [number(p.get("iterationsToSuccess")) or 1.0 for p in entries]
    return clamp(100.0 * first - 5.0 * (sum(iterations) / len(iterations) - 1.0))


def judge_code_quality(content: dict, rubric: Rubric) -> Verdict:
    code = content.get("code") or ""
    language = language_of(content.get("filePath"), code)
    ev, src = code_evidence(code, language)
    rule = ev.rule_scores(rubric.categories)
    quality_score, error_score = reported_quality(content.get("quality"))
    patterns = pattern_success(content.get("patternsUsed"))
    # The rules see the text; the builder's numbers see what the rules cannot (the type
    # checker, the tests). Each category leans on the signal that knows most about it.
    mix = {
        "correctness": [(rule.get("correctness"), 0.55), (error_score, 0.25), (quality_score, 0.2)],
        "structure": [(rule.get("structure"), 0.75), (quality_score, 0.25)],
        "patterns": [(rule.get("patterns"), 0.6), (patterns, 0.2), (quality_score, 0.2)],
        "maintainability": [(rule.get("maintainability"), 0.7), (quality_score, 0.3)],
        "security": [(rule.get("security"), 0.9), (quality_score, 0.1)],
        "performance": [(rule.get("performance"), 0.8), (quality_score, 0.2)],
    }
    categories = {c: round(blend(mix.get(c, [(rule.get(c), 1.0), (quality_score, 0.3)])), 2) for c in rubric.categories}
    overall = round(rubric.overall(categories), 2)
    rule_overall = rubric.overall(rule)
    rescaled = None if quality_score is None else clamp(quality_score + REPORTED_SCALE_OFFSET)
    estimates = [s for s in (rule_overall, rescaled, error_score, patterns) if s is not None]
    issues = ev.issues()
    severe = [i for i in issues if i.severity != "minor"]
    reasoning = [f"{language} file, {sum(1 for line in src.raw if line.strip())} non-blank lines; rules score {rule_overall:.0f}."]
    if issues:
        reasoning.append(f"{len(issues)} issue(s), {len(severe)} critical/major: " + "; ".join(i.description for i in issues[:4]) + ".")
    if ev.strength_labels():
        reasoning.append("Strengths: " + ", ".join(ev.strength_labels()) + ".")
    if quality_score is not None or error_score is not None:
        q = content.get("quality") or {}
        reasoning.append(f"Builder reported quality {q.get('codeQualityScore')} with {q.get('errorCount')} error(s).")
    if patterns is not None:
        reasoning.append(f"Patterns used scored {patterns:.0f} on first-attempt success.")
    return Verdict(
        overall=overall,
        categories=categories,
        confidence=agreement_confidence(estimates, expected=4),
        issues=issues,
        recommendations=ev.suggestions(),
        reasoning=" ".join(reasoning),
    )
