"""Defects that live in how code combines, not in which tokens it uses.

Each block is a small piece of realistic code with one way to get it wrong: bounds passed to
the wrong side of a clamp, a sort whose direction contradicts its name, a listener attached
in the cleanup and removed in the body, a guard on one value and a use of another, an
inverted condition, a comparison the wrong way round, query parameters in another order than
their columns, a media query that applies to the wrong users. A block comes in two styles
(both correct when written well, picked per file) and the defect flips one part of it, so the
part that style sets and the part the defect sets only make sense *together*: every word,
bigram and the length occur as often in good code as in bad, a bag of words cannot tell them
apart, and a reader (or a sequence model) that follows the combination can.

`style` is 0 or 1; `bad` says whether the defect is on. Placeholders ($E, $es, ...) are filled
by `code_text.fill_names`.
"""

from __future__ import annotations

import random


def style_bit(salt: int, block: str) -> int:
    """A file's style for one block: fixed across the file's versions, independent per block."""
    return int(random.Random(f"{salt}:{block}").random() < 0.5)


def clamp(style: int, bad: bool, value: str, low: str, high: str, call: str = "") -> str:
    """min(max(v, low), high) or max(min(v, high), low); the defect passes the bounds the other way.
    `call` prefixes the functions (`Math.` in scripts)."""
    outer, inner = ("min", "max") if style == 0 else ("max", "min")
    first, second = (low, high) if (style == 0) != bad else (high, low)
    return f"{call}{outer}({call}{inner}({value}, {first}), {second})"


def comparator(style: int, bad: bool, language: str) -> list[str]:
    """A sort helper named for its direction; the defect sorts the other way."""
    name = ("Newest", "Oldest")[style]
    newest_first = (style == 0) != bad
    if language == "py":
        return [f"def by_{name.lower()}(rows: list[$ERecord]) -> list[$ERecord]:",
                f"    return sorted(rows, key=lambda row: row.$DATE_PY, reverse={newest_first})"]
    first, second = ("b", "a") if newest_first else ("a", "b")
    if language == "js":
        return [f"function by{name}(a, b) {{", f"  return {first}.$DATE.localeCompare({second}.$DATE)", "}"]
    return [f"export function by{name}(a: $E, b: $E): number {{",
            f"  return {first}.$DATE.localeCompare({second}.$DATE);", "}"]


SUBSCRIPTIONS = (
    ('socket.on("$e:updated", reload)', 'socket.off("$e:updated", reload)'),
    ('window.addEventListener("focus", reload)', 'window.removeEventListener("focus", reload)'),
    ('document.addEventListener("visibilitychange", reload)', 'document.removeEventListener("visibilitychange", reload)'),
)


def subscription(style: int, bad: bool, deps: str) -> list[str]:
    """An effect that subscribes and unsubscribes; the defect swaps the two. `style` picks one of
    SUBSCRIPTIONS."""
    attach, detach = SUBSCRIPTIONS[style]
    if bad:
        attach, detach = detach, attach
    return ["  useEffect(() => {", f"    {attach};", "    return () => {", f"      {detach};", "    };",
            f"  }}, [{deps}]);"]


def guard(style: int, bad: bool, language: str) -> list[str]:
    """A null guard on one value and a use of it; the defect uses the other, unguarded one."""
    checked = ("current", "previous")[style]
    used = checked if not bad else ("previous", "current")[style]
    if language == "py":
        return ["def describe_$e(current: $ERecord | None, previous: $ERecord | None) -> str:",
                f"    if {checked} is None:", '        return "no $e yet"', f"    return {used}.name"]
    if language == "tsx":
        return ["function $EChange({ current, previous }: { current?: $E; previous?: $E }) {",
                f"  if (!{checked}) return null;", f'  return <p className="change">{{{used}.name}}</p>;', "}"]
    if language == "js":
        return ["function describe$E(current, previous) {",
                f"  if (!{checked}) return 'no $e yet'", f"  return {used}.name", "}"]
    return ["export function describe$E(current?: $E, previous?: $E): string {",
            f'  if (!{checked}) return "no $e yet";', f"  return {used}.name;", "}"]


def inverted(style: int, bad: bool, language: str) -> list[str]:
    """A condition and the branch it guards; the defect negates the condition."""
    negate = (style == 0) != bad
    if language == "py":
        test = f"if {'not ' if negate else ''}response.is_success:"
        failure, success = ("        raise $EError(response.status_code)", '        return response.json()["items"]')
        body, rest = (failure, success) if style == 0 else (success, failure)
        return ["    " + test, body, rest[4:]]
    if language == "js":
        test = f"  if ({'!' if negate else ''}req.user) {{"
        deny, allow = "return res.status(401).json({ error: 'unauthorized' })", "return next()"
        body, rest = (deny, allow) if style == 0 else (allow, deny)
        return ["function requireUser(req, res, next) {", test, f"    {body}", "  }", f"  {rest}", "}"]
    test = f"  if ({'!' if negate else ''}res.ok) {{"
    fail, succeed = "throw new ApiError(`${path} failed`, res.status);", "return (await res.json()) as T;"
    body, rest = (fail, succeed) if style == 0 else (succeed, fail)
    return [test, f"    {body}", "  }", f"  {rest}"]


def bound_check(style: int, bad: bool, left: str, right: str) -> str:
    """`left < right` or `right > left`; the defect compares the other way (same words, same length)."""
    less = not bad  # operand order is the style, so the operator alone no more says good or bad
    if style == 0:
        return f"{left} {'<' if less else '>'} {right}"
    return f"{right} {'>' if less else '<'} {left}"


def insert_params(style: int, bad: bool, language: str) -> list[str]:
    """An INSERT whose parameters follow its column list; the defect passes them the other way."""
    columns = ("name", "quantity") if style == 0 else ("quantity", "name")
    values = columns if not bad else columns[::-1]
    if language == "py":
        return ["    cursor.execute(",
                f'        "INSERT INTO $es ({columns[0]}, {columns[1]}) VALUES (%s, %s)",',
                f"        (record.{values[0]}, record.{values[1]}),", "    )"]
    return [f"    const row = await db.query('INSERT INTO $es ({columns[0]}, {columns[1]}) VALUES ($1, $2) RETURNING *',",
            f"      [parsed.data.{values[0]}, parsed.data.{values[1]}])"]


def reduced_motion(style: int, bad: bool, selector: str = ".$e-panel button") -> list[str]:
    """Motion gated on the user's preference; the defect gates it on the opposite preference."""
    motion = "transition: transform $MSms var(--ease-standard);"
    base, query = ("transition: none;", motion) if style == 0 else (motion, "transition: none;")
    # style 0 adds motion for no-preference, style 1 removes it for reduce; bad swaps the keyword
    keyword = ("no-preference", "reduce")[style if not bad else 1 - style]
    return [f"{selector} {{", f"  {base}", "}", "", f"@media (prefers-reduced-motion: {keyword}) {{",
            f"  {selector} {{ {query} }}", "}"]


def responsive(style: int, bad: bool, selector: str = ".$e-layout") -> list[str]:
    """Mobile-first (min-width adds columns) or desktop-first (max-width removes them); the defect
    uses the other kind of query, so the layout switches at the wrong end."""
    one, two = "grid-template-columns: 1fr;", "grid-template-columns: 2fr 1fr;"
    base, query = (one, two) if style == 0 else (two, one)
    kind = ("min", "max")[style if not bad else 1 - style]
    return [f"{selector} {{", "  display: grid;", f"  {base}", "}", "",
            f"@media ({kind}-width: $BREAKrem) {{", f"  {selector} {{ {query} }}", "}"]


def contrast(style: int, bad: bool, selector: str) -> list[str]:
    """Text on an accent fill; the defect swaps the two tokens (accent text on the on-accent color)."""
    text, fill = ("var(--on-accent)", "var(--accent)") if not bad else ("var(--accent)", "var(--on-accent)")
    props = [f"  color: {text};", f"  background: {fill};"]
    return [f"{selector} {{", *(props if style == 0 else props[::-1]), "}"]


def listeners(style: int, bad: bool) -> list[str]:
    """A store's subscribe that returns its own unsubscribe; the defect swaps add and delete."""
    attach, detach = ("listeners.add(listener)", "listeners.delete(listener)")
    if bad:
        attach, detach = detach, attach
    name = ("subscribe", "watch")[style]
    return [f"export function {name}(listener: () => void): () => void {{", f"  {attach};",
            f"  return () => {{", f"    {detach};", "  };", "}"]


def busy_flag(style: int, bad: bool) -> tuple[str, str]:
    """(set at the start, set in `finally`): loading goes true then false, ready false then true;
    the defect swaps the two values."""
    setter = ("setLoading", "setReady")[style]
    start, end = ("true", "false") if style == 0 else ("false", "true")
    if bad:
        start, end = end, start
    return f"{setter}({start});", f"{setter}({end});"


def arrange(salt: int, head: list[str], chunks: list[list[str]], gap: int = 1, tail: list[str] = ()) -> list[str]:
    """The file's fixed head, then its top-level pieces in an order each rewrite picks anew
    (helpers move around between versions of a real file; the order carries no merit)."""
    order = list(range(len(chunks)))
    random.Random(f"{salt}:order").shuffle(order)
    out = list(head)
    for i in order:
        out += [""] * gap + chunks[i]
    return out + ([""] * gap + list(tail) if tail else [])
