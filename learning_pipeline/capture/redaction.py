"""Secret redaction for builder traces, applied before anything is stored.

Every detected secret is replaced by a typed marker ``[REDACTED:<kind>]`` and counted. What
counts as a secret, and in which order the rules run, is in secret_rules.py (our rules, the
formats of detect-secrets' default plugins, gitleaks' default rule set) and named_values.py
(values assigned to secret-naming keys).

Two entry points share the same rules:

* ``redact_text`` / ``redact_obj`` work on decoded Python strings.
* ``redaction_changes`` / ``redaction_counts_frame`` work on a Polars Series of raw JSON
  lines. A Rust-regex prefilter (a superset of every rule) picks the few lines that can
  hold a secret; only those go through Python, where each JSON string value is decoded,
  passed to ``redact_text`` and re-encoded. Decoding first is what makes secrets next to
  escapes (``\\nghp_...``) visible and keeps the line valid JSON, and it makes the
  vectorised result equal to ``redact_obj`` on the decoded value by construction.

A JSON object member whose key names a secret (``"DB_PASSWORD": "..."``) loses its whole
value, in both paths.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import polars as pl

from learning_pipeline.capture import named_values
from learning_pipeline.capture.gitleaks_rules import prefilter_patterns
from learning_pipeline.capture.secret_rules import (
    _BINARY_DATA_URI,
    _BINARY_DATA_URI_PATTERN,
    _IMAGE_BASE64_MAGIC,
    _MIN_RANDOM_LENGTH,
    GITLEAKS_RULES,
    RULES,
    SECRET_KINDS,
    Rule,
    marker,
)

__all__ = [
    "SECRET_KINDS", "RULES_VERSION", "marker", "redact_text", "redact_obj", "redaction_changes", "redaction_counts_frame",
]

# Which rules redacted a text: a digest of every file that defines them (this module, the
# rules, the keyword-named values, the gitleaks loader and its vendored config). Whoever
# records "redacted under version X" (the landing zone) should use this, not one file's hash.
_RULE_SOURCES = ("redaction.py", "secret_rules.py", "named_values.py", "gitleaks_rules.py", "rules/gitleaks.toml")
RULES_VERSION = hashlib.sha256(
    b"".join((Path(__file__).parent / name).read_bytes() for name in _RULE_SOURCES)
).hexdigest()[:16]

# --- decoded text ---------------------------------------------------------------------------

_KEYWORDS = tuple(sorted({k for rule in RULES for k in rule.keywords}))
_NEEDS = tuple(sorted({n for rule in RULES for n in rule.needs}))
_NEEDS_LOWER = tuple(sorted({n for rule in RULES for n in rule.needs_lower}))


class _Scope(NamedTuple):
    """Which rules may fire in the strings of one line: the rule groups whose anchors the raw
    line matched, and the gitleaks keywords it contains (a decoded string cannot contain a
    keyword its line lacks, unless the line escapes a character, and then it is all of them).
    `needs` / `needs_lower`: the rules' required literals that may occur (all of them unless
    narrowed, as `redact_obj` does for the strings of one object)."""

    groups: frozenset[str]
    keywords: tuple[str, ...]
    needs: tuple[str, ...] = _NEEDS
    needs_lower: tuple[str, ...] = _NEEDS_LOWER


_KEYWORD_GROUPS = frozenset(rule.group for rule in RULES if rule.keywords)
_ALL = _Scope(frozenset(rule.group for rule in RULES), _KEYWORDS)


@lru_cache(maxsize=4096)
def _rules_for(groups: frozenset[str], keywords: frozenset[str], needs: frozenset[str], needs_lower: frozenset[str]) -> tuple[Rule, ...]:
    """The rules of `groups` to try on a text in which exactly `keywords`, `needs` and
    `needs_lower` occur, in order: the text is searched for ~300 literals once, instead of
    each of 240 rules testing its own."""
    return tuple(
        rule
        for rule in RULES
        if rule.group in groups
        and (not rule.keywords or keywords.intersection(rule.keywords))
        and (not rule.needs or needs.intersection(rule.needs))
        and (not rule.needs_lower or needs_lower.intersection(rule.needs_lower))
    )


def _apply_rules(text: str, counts: Counter[str], scope: _Scope) -> str:
    lowered = text.lower()
    groups = scope.groups
    keywords = frozenset(k for k in scope.keywords if k in lowered) if groups & _KEYWORD_GROUPS else frozenset()
    needs = frozenset(n for n in scope.needs if n in text)
    needs_lower = frozenset(n for n in scope.needs_lower if n in lowered)
    for rule in _rules_for(groups, keywords, needs, needs_lower):
        if rule.gate is not None and not rule.gate.search(lowered if rule.gate_lowercase else text):
            continue

        def replace(m: re.Match, rule: Rule = rule) -> str:
            span = rule.span(m)
            if span is None:
                return m.group(0)
            kind = rule.kind_of(m) if rule.kind_of else rule.kind
            counts[kind] += 1
            whole, offset = m.group(0), m.start()
            return whole[: span[0] - offset] + marker(kind) + whole[span[1] - offset:]

        text = rule.pattern.sub(replace, text)
    return text


def _redact_until_stable(text: str, counts: Counter[str], scope: _Scope) -> str:
    # A redaction can expose a neighbour that its context hid from a rule (the second
    # address in `a@b.io+c@d.io`); passing again until nothing changes catches it and makes
    # redact_text idempotent by construction. Only texts that held a secret pay for it.
    while True:
        found: Counter[str] = Counter()
        text = _apply_rules(text, found, scope)
        if not found:
            return text
        counts.update(found)


def redact_text(text: str) -> tuple[str, Counter[str]]:
    """Redacted text and the number of redactions per kind (idempotent)."""
    return _redact_text(text, _ALL)


def _redact_text(text: str, scope: _Scope) -> tuple[str, Counter[str]]:
    counts: Counter[str] = Counter()
    if "base64," not in text:
        return _redact_until_stable(text, counts, scope), counts
    pieces: list[str] = []
    position = 0
    for uri in _BINARY_DATA_URI.finditer(text):
        pieces.append(_redact_until_stable(text[position:uri.start()], counts, scope))
        pieces.append(uri.group(0))
        position = uri.end()
    pieces.append(_redact_until_stable(text[position:], counts, scope))
    return "".join(pieces), counts


def _redact_member(key: str, value: str, counts: Counter[str], scope: _Scope = _ALL) -> str:
    """The value of a JSON object member, redacted; whole when its key names a secret."""
    redacted, found = _redact_text(value, scope)
    kind = named_values.name_kind(key)
    if kind is not None:
        if found == Counter(high_entropy=1) and redacted == marker("high_entropy"):
            # the name says what it is, as in text, where the named rule runs before the
            # high-entropy one
            redacted, found = marker(kind), Counter({kind: 1})
        elif named_values.is_secret_value(redacted, kind, key):
            redacted = marker(kind)
            found[kind] += 1
    counts.update(found)
    return redacted


def _string_values(value: object, out: list[str], named: list[str] | None = None) -> list[str]:
    """Every string value in `value` (keys are not redacted); the keys of string members
    whose key names a secret go to `named`."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if named is not None and isinstance(item, str) and isinstance(key, str) and named_values.name_kind(key):
                named.append(key)
            _string_values(item, out, named)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _string_values(item, out, named)
    return out


def _copy(value: object) -> object:
    """The copy redact_obj returns when nothing changes (a new container, as when it redacts)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(item) for item in value)
    return value


def _none_can_fire(texts: list[str], scope: _Scope) -> bool:
    """True when no rule that any of `texts` could run matches anywhere in them. Each text's
    rules are among those of the object's literals (_rules_for only grows with them); a rule
    whose pattern finds nothing changes nothing, so then redaction is the identity. A text
    with a data URI is redacted in pieces, which a search of the whole text does not stand for."""
    if any("base64," in text for text in texts):
        return False
    rules = _rules_for(scope.groups, frozenset(scope.keywords), frozenset(scope.needs), frozenset(scope.needs_lower))
    return not any(rule.pattern.search(text) for rule in rules for text in texts)


class _LiteralFinder:
    """Which of a set of literals occur in a text, in one regex scan instead of a substring
    search per literal. The literals form a trie-shaped regex inside a lookahead, so it
    matches at every position where a literal starts and, being greedy, takes the longest
    there; every literal that starts at that position is a prefix of that longest one."""

    def __init__(self, literals: tuple[str, ...]):
        trie: dict = {}
        for literal in literals:
            node = trie
            for char in literal:
                node = node.setdefault(char, {})
            node[""] = {}

        def pattern(node: dict) -> str:
            branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
            if not branches:
                return ""
            body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
            return f"(?:{body})?" if "" in node else body

        self._regex = re.compile("(?=(" + pattern(trie) + "))", re.S)
        self._prefixes = {longest: frozenset(p for p in literals if longest.startswith(p)) for longest in literals}

    def found(self, text: str) -> frozenset[str]:
        return frozenset().union(*(self._prefixes[m] for m in set(self._regex.findall(text))))


_CASED_LITERALS = _LiteralFinder(_NEEDS)
_LOWER_LITERALS = _LiteralFinder(tuple(sorted(set(_KEYWORDS) | set(_NEEDS_LOWER))))
assert not any("\0" in k for k in (*_KEYWORDS, *_NEEDS, *_NEEDS_LOWER))


def _scope_of(texts: list[str]) -> _Scope:
    """The literals (keywords, needs) that occur in any of `texts`: each text's own are among
    them, so the rules chosen for a text are the same as with the full scope. Searched once in
    the joined texts ("\0" is in no literal, so none is found across two texts) instead of
    ~270 substring searches per string."""
    joined = "\0".join(texts)
    # str.lower works per character, so the lowered join is the join of the lowered texts
    lowered, cased = _LOWER_LITERALS.found(joined.lower()), _CASED_LITERALS.found(joined)
    return _Scope(
        _ALL.groups,
        tuple(k for k in _KEYWORDS if k in lowered),
        tuple(n for n in _NEEDS if n in cased),
        tuple(n for n in _NEEDS_LOWER if n in lowered),
    )


def redact_obj(obj: object) -> tuple[object, Counter[str]]:
    """A redacted copy of a JSON-like value. Dict keys are left as they are, but a string
    value under a key that names a secret (`password`, `apiKey`, `DB_PASSWORD`) is replaced
    whole when it is a plausible secret."""

    def redact(scope: _Scope) -> tuple[object, Counter[str]]:
        counts: Counter[str] = Counter()

        def walk(value: object) -> object:
            if isinstance(value, str):
                redacted, found = _redact_text(value, scope)
                counts.update(found)
                return redacted
            if isinstance(value, dict):
                return {
                    key: _redact_member(key, item, counts, scope) if isinstance(item, str) and isinstance(key, str) else walk(item)
                    for key, item in value.items()
                }
            if isinstance(value, (list, tuple)):
                return type(value)(walk(item) for item in value)
            return value

        return walk(obj), counts

    # Most objects hold no secret: they are checked with the literals that occur in them
    # (exact: see _scope_of), and when no rule those allow matches and no member is named like
    # a secret, nothing is walked. One that held a secret is redacted again with the full
    # scope, since a marker put in by the first pass may bring a literal a later pass looks for.
    named: list[str] = []
    texts = _string_values(obj, [], named)
    scope = _scope_of(texts)
    if not named and _none_can_fire(texts, scope):
        return _copy(obj), Counter()
    redacted, counts = redact(scope)
    return redact(_ALL) if counts else (redacted, counts)


# --- raw JSON lines -------------------------------------------------------------------------
# Prefilter: necessary conditions of the rules that hold on RAW JSON text (Rust and Python
# regex syntax alike). They never require whitespace or quotes, which JSON may escape, and
# accept `\/` for `/`. The last anchor flags a line that escapes a character the others
# need (`\u0040` for `@`): such a line takes the exact decode-and-redact path.
# The email anchor is searched on its own: `@` is frequent in code (`@/components`), and as
# one literal among the alternatives it made the whole search four times slower.
_CORE_ANCHORS = (
    "|".join(
        (
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY",
            r"sk-[A-Za-z0-9_-]{20}",
            r"(?:AKIA|ASIA)[A-Z0-9]{16}",
            r"(?:secret_?access_?key|SECRET_?ACCESS_?KEY|[Ss]ecretAccessKey|aws_?secret_?key|AWS_?SECRET_?KEY|[Aa]wsSecretKey)",
            r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_",
            r"(?:sk|rk)_(?:live|test|prod)_|pk_live_|whsec_",
            r"AIza[0-9A-Za-z_-]{35}",
            r"xox[abposr]-[A-Za-z0-9-]{10}",
            r"eyJ[A-Za-z0-9_-]+\.eyJ",
            r"bearer|Bearer|BEARER",
            r":\\?/\\?/[^ :/@\"]*:[^ /\"]*@",
        )
    ),
    r"(?:basic|Basic|BASIC)(?:\s|\\t)+[A-Za-z0-9+/]{6}",
    r"key-[0-9a-zA-Z]{32}|sq0csp-|AccountKey=|AKC[a-zA-Z0-9]{10}",
    # detect-secrets formats that start with a class: one simple scan each is cheaper than
    # an alternation that loses Rust's literal search
    r"(?:AC|SK)[a-z0-9]{32}",
    r"AP[0-9A-F][a-zA-Z0-9]{8}",
    r"[MNO][a-zA-Z0-9_-]{23,25}\.[a-zA-Z0-9_-]{6}\.",
    r"[0-9a-f]{32}-us[0-9]",
)
# Anchors per rule group (Rule.group): a line flagged only by the email anchor runs only the
# email rule. The email anchor is searched on its own: `@` is frequent in code
# (`@/components`), and as one literal among the alternatives it made the search slower.
_GROUP_ANCHORS: dict[str, tuple[str, ...]] = {
    "core": _CORE_ANCHORS,
    "email": (r"@[A-Za-z0-9-]+\.[A-Za-z0-9-]",),
    "named": (named_values.ANCHOR,),
    "gitleaks": prefilter_patterns(GITLEAKS_RULES),
}
# A line that escapes a character the anchors need (`\u0040` for `@`, `\/` for `/`) takes
# the exact path: every rule on every decoded string.
_ESCAPE_ANCHOR = r"\\u00(?i:2[2578abdef]|3[0-9a-d]|[4-6][0-9a-f]|7[0-9a-e])|\\/"
_GROUPS = (*_GROUP_ANCHORS, "random")
assert {rule.group for rule in RULES} == set(_GROUPS)

# High-entropy candidates in raw text: runs of the token alphabet, `/` possibly escaped as
# `\/`; other escapes (`\n`) end a run as their decoded character does. A data URI's
# payload is matched first so that it becomes its own element, which the second stage
# drops, as redact_text skips it.
_RAW_RUN_PATTERN = (
    rf"{_BINARY_DATA_URI_PATTERN}|(?:[A-Za-z0-9+_-]|\\?/){{{_MIN_RANDOM_LENGTH},}}"
)


_IMAGE_BASE64_START = "^(?:" + "|".join(re.escape(m) for m in _IMAGE_BASE64_MAGIC) + ")"


def _may_hold_random_token(lines: pl.Expr) -> pl.Expr:
    run = pl.element()
    unescaped = ~run.str.contains("\\", literal=True)
    return (
        lines.str.extract_all(_RAW_RUN_PATTERN)
        .list.eval(
            ~run.str.starts_with("data:")
            & run.str.contains("[0-9]")
            & run.str.contains("[a-z]")
            & run.str.contains("[A-Z]")
            & ~run.str.contains(r"^[0-9a-fA-F-]+=*$")
            # with no escape inside, the raw run is the decoded token itself
            & ~(
                unescaped
                & (run.str.len_bytes() >= 100)
                & run.str.contains(_IMAGE_BASE64_START)
            )
        )
        .list.any()
    )


def _flag_groups(lines: pl.Series) -> pl.DataFrame:
    """One Boolean column per rule group: True where a line may hold a secret of that group
    (a superset of what its rules find), all True where the line escapes an anchor's
    character. Each anchor is one column of one `select`, which Polars evaluates in parallel."""
    line = pl.col(lines.name)
    names = {group: [f"{group}{i}" for i in range(len(anchors))] for group, anchors in _GROUP_ANCHORS.items()}
    scans = lines.to_frame().select(
        *(
            line.str.contains(anchor).alias(name)
            for group, anchors in _GROUP_ANCHORS.items()
            for anchor, name in zip(anchors, names[group])
        ),
        line.str.contains(_ESCAPE_ANCHOR).alias("escaped"),
        _may_hold_random_token(line).alias("random_run"),
    )
    escaped = pl.col("escaped")
    return scans.select(
        *((pl.any_horizontal(*columns) | escaped).fill_null(False).alias(group) for group, columns in names.items()),
        (pl.col("random_run") | escaped).fill_null(False).alias("random"),
    )


@lru_cache(maxsize=256)
def _group_set_cached(flags: tuple[bool, ...]) -> frozenset[str]:
    return frozenset(group for group, flag in zip(_GROUPS, flags) if flag)


def _group_set(flags: list[bool]) -> frozenset[str]:
    return _group_set_cached(tuple(flags))


def _scopes(lines: list[str], flags: list[frozenset[str]]) -> list[_Scope]:
    """The scope of each flagged line. Keywords are found by Polars' Aho-Corasick search over
    the few lines that need them, not by 240 substring tests per line in Python."""
    need = [i for i, groups in enumerate(flags) if groups & _KEYWORD_GROUPS]
    found: dict[int, tuple[str, ...]] = {}
    if need:
        matches = pl.Series([lines[i] for i in need], dtype=pl.String).str.extract_many(
            list(_KEYWORDS), ascii_case_insensitive=True, overlapping=True
        )
        for i, words in zip(need, matches.to_list()):
            found[i] = tuple(sorted({w.lower() for w in words or ()}))
    scopes = []
    for i, (line, groups) in enumerate(zip(lines, flags)):
        if i not in found:
            scopes.append(_Scope(groups, ()))
        elif "\\" in line and re.search(_ESCAPE_ANCHOR, line):  # an escape may hide a keyword
            scopes.append(_Scope(groups, _KEYWORDS))
        else:
            scopes.append(_Scope(groups, found[i]))
    return scopes


def _flag_lines(lines: pl.Series) -> pl.Series:
    """True where a line may hold a secret: a superset of what redact_obj finds."""
    return _flag_groups(lines).select(pl.any_horizontal(pl.all())).to_series()


# A JSON string, optionally followed by `:` (then it is an object key), or anything else:
# structure, or the broken tail of an invalid line, which is redacted as plain text.
_JSON_PIECE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(?P<key>\s*:)?|[^"]+|"', re.S)
_SHORTEST_SECRET = 6  # `a@b.co`
_SURROGATE = re.compile("[\ud800-\udfff]")


def _encode_json_string(text: str, ascii_only: bool) -> str:
    if not ascii_only:
        encoded = json.dumps(text, ensure_ascii=False)
        if not _SURROGATE.search(encoded):  # a lone surrogate cannot be written as UTF-8
            return encoded
    return json.dumps(text, ensure_ascii=True)


def _decode_string(piece: str) -> str | None:
    if "\\" not in piece:
        return piece[1:-1]
    try:
        return json.loads(piece)
    except ValueError:  # a malformed escape
        return None


def _redact_string_piece(piece: str, member_of: str | None, counts: Counter[str], scope: _Scope) -> str:
    """A complete JSON string literal, redacted; `member_of` is the key it is the value of."""
    value = _decode_string(piece)
    if value is None:  # redact it as plain text
        redacted, found = _redact_text(piece, scope)
        counts.update(found)
        return redacted
    if member_of is not None:
        found: Counter[str] = Counter()
        redacted = _redact_member(member_of, value, found, scope)
    else:
        redacted, found = _redact_text(value, scope)
    if not found:
        return piece
    counts.update(found)
    if "\\" not in piece:  # no escapes: markers need none either
        return f'"{redacted}"'
    return _encode_json_string(redacted, ascii_only=piece.isascii())


def _redact_json_line(line: str, counts: Counter[str], scope: _Scope = _ALL) -> str:
    out: list[str] = []
    member_of: str | None = None  # the key whose value comes next
    for m in _JSON_PIECE.finditer(line):
        piece = m.group(0)
        if m.group("key") is not None:  # an object key: kept, and remembered for its value
            key = _decode_string(piece[: piece.rindex(":")].rstrip())
            member_of = key if key is not None and named_values.name_kind(key) else None
            out.append(piece)
            continue
        if piece.startswith('"') and len(piece) > 1:  # a complete string literal
            short = len(piece) < _SHORTEST_SECRET + 2 and member_of is None
            out.append(piece if short else _redact_string_piece(piece, member_of, counts, scope))
        elif piece.isspace():
            out.append(piece)
            continue  # blanks between a key and its value
        elif len(piece) < _SHORTEST_SECRET:
            out.append(piece)
        else:  # structure, or the broken tail of an invalid line: plain text
            redacted, found = _redact_text(piece, scope)
            counts.update(found)
            out.append(redacted)
        member_of = None
    return "".join(out)


def redaction_changes(lines: pl.Series) -> tuple[dict[int, str], pl.DataFrame]:
    """{row: redacted line} for the lines that held a secret, and one UInt32 count column per
    kind in SECRET_KINDS. Lines not in the dict are unchanged, so a caller that already holds the
    lines as Python strings patches those few rows instead of converting every line back."""
    if lines.dtype != pl.String:
        lines = lines.cast(pl.String)
    counts = np.zeros((len(lines), len(SECRET_KINDS)), dtype=np.uint32)
    groups = _flag_groups(lines).with_row_index("row").filter(pl.any_horizontal(pl.col(_GROUPS)))
    column = {kind: j for j, kind in enumerate(SECRET_KINDS)}
    changed: dict[int, str] = {}
    rows = groups.get_column("row").to_list()
    flagged_lines = lines.gather(rows).to_list()
    flags = [_group_set(list(f)) for f in groups.select(_GROUPS).iter_rows()]
    for row, line, scope in zip(rows, flagged_lines, _scopes(flagged_lines, flags)):
        found: Counter[str] = Counter()
        new_line = _redact_json_line(line, found, scope)
        if found:
            changed[row] = new_line
            for kind, n in found.items():
                counts[row, column[kind]] = n
    frame = pl.DataFrame(
        [pl.Series(kind, counts[:, j], dtype=pl.UInt32) for j, kind in enumerate(SECRET_KINDS)]
    )
    return changed, frame


def redaction_counts_frame(lines: pl.Series) -> tuple[pl.Series, pl.DataFrame]:
    """Redacted JSON lines and one UInt32 count column per kind in SECRET_KINDS.

    Null lines stay null and count zero. Lines without a possible secret come back
    untouched, byte for byte; flagged lines change only inside string values.
    """
    if lines.dtype != pl.String:
        lines = lines.cast(pl.String)
    changed, frame = redaction_changes(lines)
    redacted = lines.clone()
    if changed:
        redacted.scatter(list(changed), list(changed.values()))
    return redacted, frame
