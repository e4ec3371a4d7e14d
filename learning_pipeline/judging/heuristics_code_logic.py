"""Rules of the `code_quality` judge that read how code combines, not which tokens it uses.

A reviewer catches these by following two parts of the code together: the bounds of a clamp
and the functions that apply them, a sort's name and its direction, the subscription in an
effect's body and the one in its cleanup, the value a guard checks and the value used after
it, a condition and the branch it guards, a bound and the comparison against it, the columns
of an INSERT and the order of its parameters, a media query and what it switches.
"""

from __future__ import annotations

import re

from learning_pipeline.judging.heuristics_code_source import SourceText
from learning_pipeline.judging.heuristics_scoring import Evidence

_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]+")
_CLAMP = re.compile(r"(?:Math\.)?(min|max)\(\s*(?:Math\.)?(max|min)\((.+?),\s*([\w.]+)\s*\),\s*([\w.]+)\s*\)")
_SORT_SCRIPT = re.compile(r"function\s+by(Newest|Oldest)\b[^\n]*\n\s*return\s+(a|b)\.[\w.]+\.localeCompare\(\s*(a|b)\.")
_SORT_PY = re.compile(r"def\s+by_(newest|oldest)\b[^\n]*\n\s*return\s+sorted\([^\n]*reverse\s*=\s*(True|False)")
_CLEANUP_SUBSCRIBES = re.compile(r"return\s*\(\)\s*=>\s*\{?\s*\n?\s*[\w.]*\.(?:on|addEventListener|subscribe|add)\(")
# a busy flag set back to "busy" when the work is done
_BUSY_IN_FINALLY = re.compile(r"finally\s*(?::|\{)\s*\n\s*(setLoading\(true\)|setReady\(false\)|setBusy\(true\))")
_GUARD_SCRIPT = re.compile(r"if\s*\(\s*!(\w+)\s*\)\s*return\b[^;\n]*;?\s*\n\s*return\b[^\n]*?\b(\w+)\.\w+")
_GUARD_PY = re.compile(r"if\s+(\w+)\s+is\s+None:\s*\n\s*return\b[^\n]*\n\s*return\s+(\w+)\.\w+")
_OK_BRANCH = re.compile(r"if\s*\(\s*(!?)\s*res\.ok\s*\)\s*\{\s*\n\s*(throw|return)\b")
_USER_BRANCH = re.compile(r"if\s*\(\s*(!?)\s*req\.user\s*\)\s*\{\s*\n\s*return\s+(next|res)\b")
_SUCCESS_BRANCH_PY = re.compile(r"if\s+(not\s+)?response\.is_success:\s*\n\s*(raise|return)\b")
# (variable, limit): the comparison `variable < limit` must hold to go on (a retry, the last page's test)
_MUST_BE_BELOW = (("attempt", r"MAX_\w+"), ("items.length", r"pageSize"), ("page.items.length", r"limit"),
                  ("len(page)", r"limit"))
# (variable, limit): going over the limit is what the test must catch (a rate limit)
_MUST_CATCH_ABOVE = (("count", r"RATE_LIMIT"),)
_INSERT = re.compile(r"\((\w+),\s*(\w+)\)\s*VALUES\s*\([$%]\w*,\s*[$%]\w*\)[^\n]*\n?\s*[\[(](?:\w+\.)*(\w+),\s*(?:\w+\.)*(\w+)[\])]")
_MOTION = re.compile(r"prefers-reduced-motion:\s*(reduce|no-preference)\)\s*\{[^}]*?transition:\s*(none|transform)")
_LAYOUT = re.compile(r"@media\s*\((min|max)-width:[^)]*\)\s*\{[^}]*?grid-template-columns:\s*(1fr\s*;|2fr 1fr)")
_ACCENT_TEXT = re.compile(r"(?<![\w-])color:\s*var\(--accent\)")


def _line(text: str, position: int) -> str:
    return f"line {text.count(chr(10), 0, position) + 1}"


def _compare(text: str, variable: str, limit: str, below_is_right: bool) -> list[re.Match]:
    """Comparisons of `variable` with `limit` (either way round) that say the opposite of what they must."""
    v = re.escape(variable)
    wrong = []
    for m in re.finditer(rf"(?<![\w.]){v}\s*([<>])\s*({limit})\b|\b({limit})\s*([<>])\s*{v}(?![\w.])", text):
        says_below = (m.group(1) == "<") if m.group(1) else (m.group(4) == ">")
        if says_below != below_is_right:
            wrong.append(m)
    return wrong


def logic_rules(src: SourceText, ev: Evidence) -> None:
    text = "\n".join(src.with_strings)
    for m in _CLAMP.finditer(text):
        outer, inner, bound = m.group(1), m.group(2), m.group(4)
        high = bool(_CONSTANT.fullmatch(bound))
        if outer != inner and (outer == "min") == high:
            ev.fault("correctness", "major", "clamp applies its bounds the wrong way round (the result is always one bound)",
                     _line(text, m.start()), "min(max(value, low), high): the lower bound goes to max, the upper to min.")
    for m in _SORT_SCRIPT.finditer(text):
        if (m.group(1) == "Newest") != (m.group(2) == "b"):
            ev.fault("maintainability", "major", f"by{m.group(1)} sorts in the opposite direction of its name",
                     _line(text, m.start()), "Swap the operands of the comparison.")
    for m in _SORT_PY.finditer(text):
        if (m.group(1) == "newest") != (m.group(2) == "True"):
            ev.fault("maintainability", "major", f"by_{m.group(1)} sorts in the opposite direction of its name",
                     _line(text, m.start()), "Fix the reverse flag.")
    for m in _CLEANUP_SUBSCRIBES.finditer(text):
        ev.fault("performance", "major", "effect cleanup subscribes instead of unsubscribing (listener leak, no live updates)",
                 _line(text, m.start()), "Subscribe in the effect body and unsubscribe in its cleanup.")
    for m in _BUSY_IN_FINALLY.finditer(text):
        ev.fault("patterns", "major", f"`{m.group(1)}` in `finally`: the busy state is left on after the work",
                 _line(text, m.start()), "Set the busy flag before the work and clear it in finally.")
    for pattern in (_GUARD_SCRIPT, _GUARD_PY):
        for m in pattern.finditer(text):
            if m.group(1) != m.group(2) and m.group(2) not in ("res", "response", "self", "props"):
                ev.fault("correctness", "major", f"guards `{m.group(1)}` but then reads `{m.group(2)}`, which may be missing",
                         _line(text, m.start()), "Check the value that is used.")
    for pattern, failing, category in ((_OK_BRANCH, "throw", "correctness"), (_USER_BRANCH, "res", "security"),
                                       (_SUCCESS_BRANCH_PY, "raise", "correctness")):
        for m in pattern.finditer(text):
            negated = bool(m.group(1))
            # `if (!ok) <fail>` and `if (ok) <succeed>` are right; the other two are inverted
            if negated != (m.group(2) == failing):
                ev.fault(category, "major", "inverted condition: the failure branch runs on success",
                         _line(text, m.start()), "Negate the condition or swap the branches.")
    for variable, limit in _MUST_BE_BELOW:
        for m in _compare(text, variable, limit, below_is_right=True):
            ev.fault("performance" if variable == "attempt" else "correctness", "major", f"`{variable}` compared with its limit the wrong way round",
                     _line(text, m.start()), "Compare against the limit in the direction the loop or test means.")
    for variable, limit in _MUST_CATCH_ABOVE:
        for m in _compare(text, variable, limit, below_is_right=False):
            ev.fault("security", "major", f"limit check on `{variable}` fires below the limit and lets floods through",
                     _line(text, m.start()), "Reject when the count is above the limit.")
    for m in _INSERT.finditer(text):
        columns, values = (m.group(1), m.group(2)), (m.group(3), m.group(4))
        if set(columns) == set(values) and columns != values:
            ev.fault("correctness", "major", "INSERT parameters passed in another order than its columns",
                     _line(text, m.start()), "Pass the parameters in the order of the column list.")
    for m in _MOTION.finditer(text):
        if (m.group(1) == "reduce") != (m.group(2) == "none"):
            ev.fault("patterns", "major", "motion shown to users who asked for reduced motion",
                     _line(text, m.start()), "Remove motion under prefers-reduced-motion: reduce.")
    for m in _LAYOUT.finditer(text):
        one_column = m.group(2).startswith("1fr")
        if (m.group(1) == "min") == one_column:
            ev.fault("structure", "major", "responsive query switches the layout at the wrong end (wide screens get one column)",
                     _line(text, m.start()), "min-width adds columns, max-width removes them.")
    accent = [m for m in _ACCENT_TEXT.finditer(text)]
    if accent:
        ev.fault("patterns", "major", "text colored with the accent on an accent-contrast fill (low contrast)",
                 _line(text, accent[0].start()), "Text on an accent fill uses --on-accent.", len(accent))
