"""Secret redaction for builder traces, applied before anything is stored.

Every detected secret is replaced by a typed marker ``[REDACTED:<kind>]`` and counted.
Rules run in a fixed order because several overlap: a private key block is full of
high-entropy lines, a URL password looks like the local part of an email, and a provider
key would otherwise be classified by the generic high-entropy rule.

Two entry points share the same rules:

* ``redact_text`` / ``redact_obj`` work on decoded Python strings.
* ``redaction_changes`` / ``redaction_counts_frame`` work on a Polars Series of raw JSON
  lines. A Rust-regex prefilter (a superset of every rule) picks the few lines that can
  hold a secret; only those go through Python, where each JSON string value is decoded,
  passed to ``redact_text`` and re-encoded. Decoding first is what makes secrets next to
  escapes (``\\nghp_...``) visible and keeps the line valid JSON, and it makes the
  vectorised result equal to ``redact_text`` on the decoded value by construction.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np
import polars as pl

SECRET_KINDS: tuple[str, ...] = (
    "openai_key",
    "anthropic_key",
    "aws_access_key",
    "aws_secret_key",
    "github_token",
    "stripe_key",
    "google_api_key",
    "slack_token",
    "bearer_token",
    "jwt",
    "private_key",
    "url_password",
    "high_entropy",
    "email",
)


def marker(kind: str) -> str:
    if kind not in SECRET_KINDS:
        raise ValueError(f"unknown secret kind {kind!r}; expected one of {SECRET_KINDS}")
    return f"[REDACTED:{kind}]"


# --- what counts as a secret ----------------------------------------------------------------

Span = tuple[int, int]


def _plausible_key(body: str) -> bool:
    """Real keys are random; placeholders (`xxxx`, `your-key-here`) are not."""
    return len(set(body)) >= 8 and any(c.isdigit() or c.isupper() for c in body)


def _plausible_token(body: str) -> bool:
    # Prose such as "Bearer Authentication" has capitals but no digits; real tokens have both.
    return len(set(body)) >= 8 and any(c.isdigit() for c in body)


def _skip_escape_letter(m: re.Match, start: int) -> int:
    """In source code quoted inside a trace, `\\n` is two characters; its `n` is no part of
    the token that follows."""
    if start and m.string[start - 1] == "\\" and m.string[start] in "nrt":
        return start + 1
    return start


def _secret_group(check: Callable[[str], bool]) -> Callable[[re.Match], Span | None]:
    return lambda m: m.span("secret") if check(m.group("secret")) else None


def _private_key_span(m: re.Match) -> Span | None:
    # `startsWith("-----BEGIN PRIVATE KEY-----")` in code names a key, it is not one
    body = m.group("body")
    return m.span() if body is None or _BASE64_RUN.search(body) else None


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{16}")

_PLACEHOLDER_PASSWORD = re.compile(r"\$\{?\w+\}?|\{\{.*\}\}|%\(\w+\)s|\*+|x+|X+|\.\.\.", re.S)

# Extensions that look like TLDs in `icon@2x.png` but are not TLDs.
_FILE_EXTENSIONS = frozenset(
    "png jpg jpeg gif svg webp ico avif bmp js mjs cjs ts tsx jsx css scss sass less json "
    "html htm vue svelte lock map txt yaml yml toml wasm woff woff2 ttf otf mp4 webm".split()
)


def _is_real_password(password: str) -> bool:
    return not _PLACEHOLDER_PASSWORD.fullmatch(password) and "[REDACTED:" not in password


def _email_span(m: re.Match) -> Span | None:
    if m.group("tld").lower() in _FILE_EXTENSIONS:
        return None
    start = _skip_escape_letter(m, m.start())
    # `https://user@github.com/...` names an account in a URL, it is not an address.
    if m.string[max(0, start - 3):start] == "://":
        return None
    return start, m.end()


def _shannon_entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _word_share(s: str) -> float:
    """Share of letters that sit in lowercase words of 3+ letters (camelCase, snake_case).

    Random base62/base64 rarely has lowercase runs that long: at 32 chars, 99.9% of random
    tokens score below 0.7, while identifiers and paths score above it.
    """
    letters = sum(c.isalpha() for c in s)
    return sum(len(w) for w in _WORD.findall(s)) / max(1, letters)


_WORD = re.compile(r"[A-Z]?[a-z]{3,}")
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F-]+")
_SRI_PREFIX = re.compile(r"sha(?:1|256|384|512)-")  # Subresource-Integrity / lockfile hashes
_ALPHABET = re.compile(r"0123456789|abcdefghij|ABCDEFGHIJ")  # nanoid/base64 alphabets in code
# Raw base64 images (a screenshot without the `data:` prefix) must reach the vision judge.
_IMAGE_BASE64_MAGIC = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR")
_ENTROPY_THRESHOLD = 3.7  # bits/char; random 32-char base62 tokens sit at 4.0 and up
_MIN_RANDOM_LENGTH = 32
_UPPER = frozenset(string.ascii_uppercase)
_LOWER = frozenset(string.ascii_lowercase)
_DIGITS = frozenset(string.digits)


def _looks_random(token: str) -> bool:
    core = token.rstrip("=")
    if len(core) < _MIN_RANDOM_LENGTH or _HEX_OR_UUID.fullmatch(core):  # SHAs, digests, UUIDs
        return False
    chars = set(core)
    if chars.isdisjoint(_UPPER) or chars.isdisjoint(_LOWER) or chars.isdisjoint(_DIGITS):
        return False
    if len(token) >= 100 and token.startswith(_IMAGE_BASE64_MAGIC):
        return False
    if _SRI_PREFIX.match(token) or _ALPHABET.search(token) or _word_share(token) >= 0.7:
        return False
    return _shannon_entropy(token) >= _ENTROPY_THRESHOLD


def _high_entropy_span(m: re.Match) -> Span | None:
    start = _skip_escape_letter(m, m.start())
    return (start, m.end()) if _looks_random(m.string[start:m.end()]) else None


def _starts_token(m: re.Match, word_char: re.Pattern[str]) -> bool:
    """The match is not the tail of a longer word. A literal `\\n`, `\\r` or `\\t` (source
    code quoted inside a trace) ends the word before it, though its letter is a word char."""
    start = m.start()
    if start == 0 or not word_char.match(m.string, start - 1):
        return True
    return m.string[start - 1] in "nrt" and start >= 2 and m.string[start - 2] == "\\"


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    span: Callable[[re.Match], Span | None]  # what the marker replaces; None declines
    # A cheap necessary condition for patterns that cannot start with a literal, searched
    # in the lowercased text when `gate_lowercase`: most texts then skip the slow pattern.
    gate: re.Pattern[str] | None = None
    gate_lowercase: bool = False

    def may_match(self, text: str) -> bool:
        if self.gate is None:
            return True
        return self.gate.search(text.lower() if self.gate_lowercase else text) is not None


def _key_rule(kind: str, pattern: str, word_chars: str) -> _Rule:
    """A provider key: starts with its literal prefix (which keeps the scan fast), is not the
    tail of a longer word, and looks random."""
    word_char = re.compile(f"[{word_chars}]")

    def span(m: re.Match) -> Span | None:
        return m.span() if _starts_token(m, word_char) and _plausible_key(m.group(0)) else None

    return _Rule(kind, re.compile(pattern), span)


# Order matters, see the module docstring. No pattern can swallow a marker left by an
# earlier rule (classes exclude `[` and `]`, the URL password declines one), which keeps
# redact_text idempotent.
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "private_key",
        re.compile(
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----"
            r"(?:(?P<body>(?:[A-Za-z0-9+/=:,\s-]|\\[nr])*?)"
            r"-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----"
            # a truncated block without its END line still loses its base64 body
            r"|(?:(?:\s|\\[nr])*[A-Za-z0-9+/=]{16,})+)"
        ),
        _private_key_span,
    ),
    _key_rule("anthropic_key", r"sk-ant-[A-Za-z0-9_-]{20,}", r"\w-"),
    _key_rule("openai_key", r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", r"\w-"),
    _key_rule("aws_access_key", r"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", "A-Za-z0-9"),
    _Rule(
        "aws_secret_key",
        re.compile(
            r"(?i:(?:aws_?)?secret_?access_?key|aws_?secret_?key)[\"']?\s*[:=]\s*[\"']?"
            r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        _secret_group(_plausible_key),
        re.compile("secret"),
        gate_lowercase=True,
    ),
    _key_rule(
        "github_token",
        r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})(?![A-Za-z0-9_])",
        "A-Za-z0-9_",
    ),
    _key_rule(
        "stripe_key", r"(?:(?:sk|rk)_(?:live|test)_|pk_live_|whsec_)[A-Za-z0-9]{16,}", "A-Za-z0-9_"
    ),
    _key_rule("google_api_key", r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", "A-Za-z0-9_-"),
    _key_rule("slack_token", r"xox[abposr]-[A-Za-z0-9-]{10,}", "A-Za-z0-9"),
    _key_rule(
        "jwt", r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", "A-Za-z0-9_-"
    ),
    _Rule(
        "bearer_token",
        re.compile(r"(?i:\bbearer)\s+(?P<secret>[A-Za-z0-9._~+/-]{12,}=*)"),
        _secret_group(_plausible_token),
        re.compile("bearer"),
        gate_lowercase=True,
    ),
    _Rule(
        "url_password",
        # `://` first keeps the scan fast; the password runs greedily up to the last `@` of
        # the authority: `p@ss@host`. A user name never holds `[`, so a marker left by an
        # earlier pass (`http://[REDACTED:jwt]@host`) is not read as `user:password`.
        re.compile(r"://(?<=[A-Za-z0-9+.-]://)[^\s:/@\"'<>\[\]]*:(?P<secret>[^\s/\"'<>]+)@"),
        _secret_group(_is_real_password),
    ),
    _Rule(
        "email",
        re.compile(
            r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
            # not followed by `:path`, so scp-style `git@github.com:org/repo` stays
            r"(?:\.[A-Za-z0-9-]+)*\.(?P<tld>[A-Za-z]{2,})(?![A-Za-z0-9-]|:\S)"
        ),
        _email_span,
        re.compile(r"@[A-Za-z0-9-]+\.[A-Za-z]"),
    ),
    # possessive `{32,}+`: a run is never worth re-reading shorter
    _Rule("high_entropy", re.compile(r"[A-Za-z0-9+/_-]{32,}+={0,2}"), _high_entropy_span),
)

assert sorted(rule.kind for rule in _RULES) == sorted(SECRET_KINDS)

# Binary data URIs (screenshots for the vision judge, fonts) are opaque payloads: no rule
# looks inside them, so a random run of base64 can never be mistaken for a key.
_BINARY_DATA_URI_PATTERN = (
    r"data:(?:image|font)/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,[A-Za-z0-9+/=]*"
)
_BINARY_DATA_URI = re.compile(_BINARY_DATA_URI_PATTERN)


# --- decoded text ---------------------------------------------------------------------------

def _apply_rules(text: str, counts: Counter[str]) -> str:
    for rule in _RULES:
        if not rule.may_match(text):
            continue

        def replace(m: re.Match, rule: _Rule = rule) -> str:
            span = rule.span(m)
            if span is None:
                return m.group(0)
            counts[rule.kind] += 1
            whole, offset = m.group(0), m.start()
            return whole[: span[0] - offset] + marker(rule.kind) + whole[span[1] - offset:]

        text = rule.pattern.sub(replace, text)
    return text


def _redact_until_stable(text: str, counts: Counter[str]) -> str:
    # A redaction can expose a neighbour that its context hid from a rule (the second
    # address in `a@b.io+c@d.io`); passing again until nothing changes catches it and makes
    # redact_text idempotent by construction. Only texts that held a secret pay for it.
    while True:
        found: Counter[str] = Counter()
        text = _apply_rules(text, found)
        if not found:
            return text
        counts.update(found)


def redact_text(text: str) -> tuple[str, Counter[str]]:
    """Redacted text and the number of redactions per kind (idempotent)."""
    counts: Counter[str] = Counter()
    if "base64," not in text:
        return _redact_until_stable(text, counts), counts
    pieces: list[str] = []
    position = 0
    for uri in _BINARY_DATA_URI.finditer(text):
        pieces.append(_redact_until_stable(text[position:uri.start()], counts))
        pieces.append(uri.group(0))
        position = uri.end()
    pieces.append(_redact_until_stable(text[position:], counts))
    return "".join(pieces), counts


def redact_obj(obj: object) -> tuple[object, Counter[str]]:
    """A redacted copy of a JSON-like value; dict keys are left as they are."""
    counts: Counter[str] = Counter()

    def walk(value: object) -> object:
        if isinstance(value, str):
            redacted, found = redact_text(value)
            counts.update(found)
            return redacted
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(walk(item) for item in value)
        return value

    return walk(obj), counts


# --- raw JSON lines -------------------------------------------------------------------------
# Prefilter: necessary conditions of the rules that hold on RAW JSON text (Rust and Python
# regex syntax alike). They never require whitespace or quotes, which JSON may escape, and
# accept `\/` for `/`. The last anchor flags a line that escapes a character the others
# need (`\u0040` for `@`): such a line takes the exact decode-and-redact path.
# The email anchor is searched on its own: `@` is frequent in code (`@/components`), and as
# one literal among the alternatives it made the whole search four times slower.
_ANCHOR_PATTERNS = (
    "|".join(
        (
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY",
            r"sk-[A-Za-z0-9_-]{20}",
            r"(?:AKIA|ASIA)[A-Z0-9]{16}",
            r"(?i:secret_?access_?key|aws_?secret_?key)",
            r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_",
            r"(?:sk|rk)_(?:live|test)_|pk_live_|whsec_",
            r"AIza[0-9A-Za-z_-]{35}",
            r"xox[abposr]-[A-Za-z0-9-]{10}",
            r"eyJ[A-Za-z0-9_-]+\.eyJ",
            r"(?i:bearer)",
            r":\\?/\\?/[^ :/@\"]*:[^ /\"]*@",
            r"\\u00(?i:2[5bdef]|3[0-9a]|[4-6][0-9a-f]|7[0-9a])",
        )
    ),
    r"@[A-Za-z0-9-]+\.[A-Za-z0-9-]",
)
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


def _flag_lines(lines: pl.Series) -> pl.Series:
    """True where a line may hold a secret: a superset of what redact_text finds."""
    line = pl.col(lines.name)
    flagged = lines.to_frame().select(
        pl.any_horizontal(
            *(line.str.contains(anchor) for anchor in _ANCHOR_PATTERNS),
            _may_hold_random_token(line),
        ).fill_null(False)
    )
    return flagged.to_series()


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


def _redact_json_piece(m: re.Match, counts: Counter[str]) -> str:
    piece = m.group(0)
    if m.group("key") is not None or len(piece) < _SHORTEST_SECRET + 2:
        return piece
    if piece.startswith('"'):  # a complete string literal: the other pieces never start so
        if "\\" not in piece:
            # no escapes: the decoded value is the raw text, and markers need no escaping
            redacted, found = redact_text(piece[1:-1])
            counts.update(found)
            return f'"{redacted}"' if found else piece
        try:
            value = json.loads(piece)
        except ValueError:  # a malformed escape: redact it as plain text below
            pass
        else:
            redacted, found = redact_text(value)
            if not found:
                return piece
            counts.update(found)
            return _encode_json_string(redacted, ascii_only=piece.isascii())
    redacted, found = redact_text(piece)
    counts.update(found)
    return redacted


def _redact_json_line(line: str, counts: Counter[str]) -> str:
    return _JSON_PIECE.sub(lambda m: _redact_json_piece(m, counts), line)


def redaction_changes(lines: pl.Series) -> tuple[dict[int, str], pl.DataFrame]:
    """{row: redacted line} for the lines that held a secret, and one UInt32 count column per
    kind in SECRET_KINDS. Lines not in the dict are unchanged, so a caller that already holds the
    lines as Python strings patches those few rows instead of converting every line back."""
    if lines.dtype != pl.String:
        lines = lines.cast(pl.String)
    counts = np.zeros((len(lines), len(SECRET_KINDS)), dtype=np.uint32)
    flagged = _flag_lines(lines).arg_true()
    column = {kind: j for j, kind in enumerate(SECRET_KINDS)}
    changed: dict[int, str] = {}
    for row, line in zip(flagged.to_list(), lines.gather(flagged).to_list()):
        found: Counter[str] = Counter()
        new_line = _redact_json_line(line, found)
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
