"""gitleaks' default rule set, read from the vendored `rules/gitleaks.toml`, as redaction rules.

gitleaks (MIT) keeps some 220 provider formats current (GitLab `glpat-`, Shopify `shpat_`,
Databricks `dapi`, DigitalOcean `dop_v1_`, Twilio `SK`, Mailgun, ...); reading its config
instead of copying regexes by hand keeps one well-kept source of truth. Its semantics are
followed: a rule runs only when one of its keywords occurs (lowercased), the secret is the
`secretGroup` or first non-empty capture group, it must have more Shannon entropy than the
rule's `entropy`, and the global and per-rule allowlists (regexes on secret / match / line,
stopwords) drop a finding. Go's RE2 syntax (scoped `(?i)`, `[[:alnum:]]`, `\\z`) compiles
unchanged with the `regex` package in its version-1 mode.

Left out: `generic-api-key` and `hashicorp-tf-password` (our keyword-named-value rule in
named_values.py covers their names, with placeholder and type look-alikes handled, and marks
the value without its quotes), `pkcs12-file` (a file-path rule, no content), and the formats
our own rules already catch (DUPLICATES). Path allowlists do not apply: a trace has no file path.

Each rule also gets an *anchor*: a Rust-regex necessary condition that holds on the raw JSON
text of a line holding the decoded secret, which the Polars prefilter searches (see
redaction.py). Token-shaped rules use their own pattern (escapes cannot occur inside a token);
`name = value` rules use the provider name followed by an assignment operator; the few others
their keywords.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import regex

RULES_FILE = Path(__file__).with_name("rules") / "gitleaks.toml"
EXCLUDED = frozenset({"generic-api-key", "pkcs12-file", "hashicorp-tf-password"})
# Formats our own rules (secret_rules.py) already catch, with a kind that names the provider,
# and run first: kept out so that a line holding, say, an OpenAI key is not also sent through
# the gitleaks rule group (which costs a keyword search per line).
DUPLICATES = frozenset({
    "github-pat", "github-oauth", "github-app-token", "github-refresh-token", "github-fine-grained-pat",
    "gcp-api-key", "anthropic-api-key", "anthropic-admin-api-key", "openai-api-key", "stripe-access-token",
    "private-key",
})

# gitleaks' suffix that ends a secret: a quote, whitespace, `;`, a literal `\n`, or the end.
_TERMINATOR = "(?:[\\x60'\"\\s;]|\\\\[nr]|$)"
# `name ... = value` rules: `[\w.-]{0,50}?(?:NAME)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|...)`
_NAMED_PREFIXES = ("(?i)[\\w.-]{0,50}?(?:", "[\\w.-]{0,50}?(?i:[\\w.-]{0,50}?(?:")
# After the provider name: a few identifier characters, maybe a closing quote (escaped in
# raw JSON), blanks (`\t` escaped), and one of gitleaks' assignment operators.
# (40, not gitleaks' 20: the name's literal can be shorter than its pattern, `snyk` of
# `snyk_oauth_token`)
# and the first characters of the value (each rule's value is 5 or more of these), after
# what gitleaks allows before it, in raw JSON maybe escaped.
_NAMED_ANCHOR_TAIL = (
    r"""[ \t\w.-]{0,40}(?:\\*["'])?(?:\s|\\[nrt]){0,3}(?:=|>|:|\|\||\?=|,)"""
    r"""(?:[`'"\s=\\]|\\[nrt]){0,15}[\w.=+/~%-]{5}"""
)
# Rules whose keyword would flag too many ordinary lines get a tighter hand-made anchor.
_SPECIAL_ANCHORS = {
    # (spelled out rather than `(?i)`: Rust searches a few literals much faster)
    "kubernetes-secret-yaml": r"""(?:kind|Kind|KIND):(?:[ \t]|\\t)*\\?["']?(?:secret|Secret|SECRET)""",
    "jwt": r"ey[a-zA-Z0-9]{17,}\.ey",
    "vault-service-token": r"""hvs\.[A-Za-z0-9_-]{90}|(?:\b|\\[nrt])s\.[a-zA-Z0-9]{24}(?:[`'"\s;\\]|$)""",
    "freemius-secret-key": r"""(?:secret_key|SECRET_KEY|Secret_key)\\?["']\s*=>""",
    # `lob` is inside `global` and `blob`: the value's own prefix is rarer
    "lob-api-key": r"(?:live|test)_[a-f0-9]{35}",
    "lob-pub-api-key": r"(?:test|live)_pub_[a-f0-9]{31}",
}
# Rules whose keyword is noisy but whose token starts with a rarer literal, as spelled here.
_LITERAL_ANCHORS = {
    "azure-ad-client-secret": ("Q~",),
    "slack-app-token": ("xapp-", "XAPP-", "Xapp-"),
    "curl-auth-header": ("curl", "CURL", "Curl"),
    "curl-auth-user": ("curl", "CURL", "Curl"),
    "1password-secret-key": ("A3-",),
    "aws-access-token": ("A3T", "AKIA", "ASIA", "ABIA", "ACCA"),
    "flyio-access-token": ("fo1_", "fm1a_", "fm1r_", "fm2_"),
    "huggingface-access-token": ("hf_",),
    "sendgrid-api-token": ("SG.",),
}
# Keywords that occur in ordinary code too often to send a line to the slow path alone; their
# rules are found by their anchors instead.
_NOISY_KEYWORDS = frozenset({"xapp", "secret", "secret_key", "curl", "ext_", "acca", "ey", "s.", "sk", "sg.", "q~", "a3-", "a3t", "sc_", "fm1", "hf_", "lob", "twitch", "linear"})


@dataclass(frozen=True)
class Allowlist:
    regexes: tuple[regex.Pattern, ...]
    stopwords: tuple[str, ...]
    target: str  # "secret", "match" or "line"

    def allows(self, secret: str, match: str, line: str) -> bool:
        target = {"match": match, "line": line}.get(self.target, secret)
        if any(p.search(target) for p in self.regexes):
            return True
        lowered = secret.lower()
        return any(word in lowered for word in self.stopwords)


@dataclass(frozen=True)
class GitleaksRule:
    id: str
    source: str
    keywords: tuple[str, ...]
    entropy: float | None
    secret_group: int | None
    allowlists: tuple[Allowlist, ...]
    anchor: str  # Rust syntax, searched in raw JSON lines
    gate_source: str  # the same condition in Go / `regex` syntax, searched in decoded text
    literals: tuple[str, ...]  # case-sensitive literals one of which the rule needs, or ()
    named: bool  # a `provider-name ... = value` rule

    @cached_property
    def pattern(self) -> regex.Pattern:
        # compiled on first use: most rules never see their keyword, and compiling all of
        # them takes seconds
        return _compile(self.source)

    @cached_property
    def gate(self) -> regex.Pattern:
        """The anchor, for decoded text: the rule runs only where it holds, on both paths,
        which keeps the vectorised path equal to redact_text by construction."""
        return _compile(self.gate_source)

    def secret_span(self, m: regex.Match, line: str, global_allowlist: Allowlist) -> tuple[int, int] | None:
        """The span of the secret in a match, or None when gitleaks would not report it."""
        group = self.secret_group
        if group is None:
            group = next((i for i in range(1, len(m.groups()) + 1) if m.group(i)), 0)
        secret = m.group(group)
        if not secret:
            return None
        if self.entropy and shannon_entropy(secret) <= self.entropy:
            return None
        whole = m.group(0)
        if global_allowlist.allows(secret, whole, line):
            return None
        if any(allowlist.allows(secret, whole, line) for allowlist in self.allowlists):
            return None
        return m.span(group)


def shannon_entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def _compile(pattern: str) -> regex.Pattern:
    # V1: inline flags are scoped as in Go; ASCII: Go's `\w`, `\s`, `\b` are ASCII-only.
    return regex.compile(pattern, regex.V1 | regex.ASCII)


def _allowlist(table: dict) -> Allowlist | None:
    # An allowlist that needs a path (`condition = "AND"` with `paths`) never holds for traces.
    if table.get("paths") and (table.get("condition") == "AND" or not (table.get("regexes") or table.get("stopwords"))):
        return None
    return Allowlist(
        regexes=tuple(_compile(p) for p in table.get("regexes", ())),
        stopwords=tuple(w.lower() for w in table.get("stopwords", ())),
        target=table.get("regexTarget", "secret"),
    )


def _class_end(pattern: str, start: int) -> int:
    """Index just past the `]` closing the class that opens at `start`."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):
        i += 1
    while pattern[i] != "]":
        if pattern[i] == "\\":
            i += 2
        elif pattern.startswith("[:", i):
            i = pattern.index(":]", i) + 2
        else:
            i += 1
    return i + 1


def _group_end(pattern: str, start: int) -> int:
    """Index just past the `)` closing the group whose body starts at `start`."""
    depth, i = 1, start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # a class may hold parentheses
            i = _class_end(pattern, i)
            continue
        depth += (c == "(") - (c == ")")
        i += 1
        if depth == 0:
            return i
    raise ValueError(f"unbalanced group in {pattern!r}")


def _ascii(pattern: str) -> str:
    """`pattern` for Rust with ASCII classes, as Go reads them: `(?-u)`, but with `.` kept
    Unicode (Rust refuses a `.` that could match half a character)."""
    out, i = ["(?-u)"], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
        elif c == "[":
            end = _class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        else:
            out.append("(?u:.)" if c == "." else c)
            i += 1
    return "".join(out)


def _provider_name(pattern: str) -> str | None:
    for prefix in _NAMED_PREFIXES:
        if pattern.startswith(prefix):
            return pattern[len(prefix):_group_end(pattern, len(prefix)) - 1]
    return None


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _class_end(pattern, i)
            continue
        depth += (c == "(") - (c == ")")
        if c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


def _name_literals(name: str) -> set[str]:
    """Case variants of the literal each provider-name alternative starts with. A name is
    read case-insensitively, but Rust searches a few literals far faster than one `(?i)`
    word: `adafruit`, `Adafruit`, `ADAFRUIT` (the spellings code uses) stand for it, and the
    same literals gate the rule on decoded text, so both paths agree."""
    literals: set[str] = set()
    for alternative in _alternatives(name):
        if alternative.startswith("(?-i:") and alternative.endswith(")"):
            for inner in _alternatives(alternative[5:-1]):  # already spelled out: `[Mm]eraki|MERAKI`
                m = re.match(r"(?:\[([A-Za-z])([A-Za-z])\])?([A-Za-z0-9_]+)", inner)
                heads = [m.group(1), m.group(2)] if m.group(1) else [""]
                literals.update(head + m.group(3) for head in heads)
            continue
        optional = re.match(r"([A-Za-z0-9_,-]+)\[([_.-]+)\]\?([A-Za-z0-9_,-]+)", alternative)
        if optional:  # `message[_-]?bird`: messagebird, message_bird, message-bird
            first, seps, rest = optional.groups()
            heads = {first + sep + rest for sep in ("", *seps)}
        else:
            heads = {re.match(r"[A-Za-z0-9_,-]+", alternative).group(0)}
        for head in heads:
            literals.update({head, head.lower(), head.upper(), head.capitalize()})
    return literals


def _token_literals(pattern: str, keywords: tuple[str, ...]) -> tuple[str, ...] | None:
    """The case-sensitive spelling of each keyword in a token pattern (`AIza` for `aiza`), or
    None when a keyword is not a plain literal outside any `(?i)` scope of the pattern."""
    literals = []
    for keyword in keywords:
        spelled = r"\\?".join(re.escape(c) for c in keyword)  # `sg.` is written `SG\.`
        m = re.search(spelled, pattern, re.I)
        if m is None or "(?i" in pattern[: m.start()] or "[" in pattern[max(0, m.start() - 1):m.end()]:
            return None
        literals.append(m.group(0).replace("\\", ""))
    return tuple(literals)


def _is_token(core: str) -> bool:
    return not re.search(r"""\\s|['"` ]|\\\\|\(\?s|\\x60|\$|\^|\\z""", core)


def _anchor(rule_id: str, pattern: str, keywords: tuple[str, ...]) -> tuple[str, str, tuple[str, ...]]:
    """(Rust anchor, gate in `regex` syntax, literals) of a rule."""
    if rule_id in _LITERAL_ANCHORS:
        gate = "|".join(re.escape(k) for k in _LITERAL_ANCHORS[rule_id])
        return gate, gate, _LITERAL_ANCHORS[rule_id]
    if rule_id in _SPECIAL_ANCHORS:
        # Rust's `\w` and `\b` are Unicode (and much slower) unless told otherwise
        return _ascii(_SPECIAL_ANCHORS[rule_id]), _SPECIAL_ANCHORS[rule_id], ()
    name = _provider_name(pattern)
    if name is not None:
        names = "|".join(re.escape(n) for n in sorted(_name_literals(name)))
        anchor = f"(?:{names}){_NAMED_ANCHOR_TAIL}"
        return _ascii(anchor), anchor, ()
    core = pattern[: -len(_TERMINATOR)] if pattern.endswith(_TERMINATOR) else pattern
    if not _NOISY_KEYWORDS & set(keywords):
        # One of the keywords, as the pattern spells it (`AIza`), or, where the pattern reads
        # it case-insensitively, as code spells it (`npm_`, `NPM_`, `Npm_`). The literals gate
        # the rule on decoded text too, so both paths agree.
        literals = _token_literals(core, keywords) if _is_token(core) else None
        if literals is None:
            literals = tuple(sorted({v for k in keywords for v in (k, k.upper(), k.capitalize())}))
        gate = "|".join(re.escape(k) for k in literals)
        return gate, gate, literals
    if _is_token(core):
        # a token: nothing in it can be escaped in JSON, except `/` (flagged apart). A `\b`
        # may not hold in raw text (`\nglpat-...`), so it is dropped: the anchor only widens.
        core = core.replace(r"\b", "")
        return _ascii(core), core, ()
    gate = "(?i)(?:" + "|".join(re.escape(k) for k in keywords) + ")"
    return gate, gate, ()


@cache
def load_rules() -> tuple[tuple[GitleaksRule, ...], Allowlist]:
    config = tomllib.loads(RULES_FILE.read_text())
    global_allowlist = _allowlist(config.get("allowlist", {})) or Allowlist((), (), "secret")
    rules = []
    for table in config["rules"]:
        if table["id"] in EXCLUDED | DUPLICATES or "regex" not in table:
            continue
        keywords = tuple(k.lower() for k in table.get("keywords", ()))
        allowlists = tuple(a for a in map(_allowlist, table.get("allowlists", ())) if a is not None)
        anchor, gate_source, literals = _anchor(table["id"], table["regex"], keywords)
        rules.append(
            GitleaksRule(
                id=table["id"],
                source=table["regex"],
                keywords=keywords,
                entropy=table.get("entropy"),
                secret_group=table.get("secretGroup"),
                allowlists=allowlists,
                anchor=anchor,
                gate_source=gate_source,
                literals=literals,
                named=table["id"] not in _SPECIAL_ANCHORS and _provider_name(table["regex"]) is not None,
            )
        )
    return tuple(rules), global_allowlist


def prefilter_patterns(rules: tuple[GitleaksRule, ...]) -> tuple[str, ...]:
    """Rust regexes whose union holds on the raw JSON text of every line in which one of
    `rules` can fire, in few passes: separate scans of 220 anchors would cost more than the
    rest of capture, and one alternation of all of them defeats Rust's DFA.

    * the case-sensitive literals of the token rules, in alternations of at most 30, sorted
      case-insensitively (measured: larger or mixed sets make Rust fall back to a slower
      automaton, several times slower in all),
    * nothing for the `provider name ... = value` rules: a scan for 250 spellings of 100
      provider names costs as much as the rest; they run where the keyword-named-value anchor
      holds (secret_rules.py), i.e. where the name also ends with a secret keyword
      (`TWITTER_API_KEY`, `heroku_token`), as it mostly does,
    * the own anchors of the remaining rules, one scan each: they start with a rare literal
      or a class, and Rust scans a simple pattern far faster than their alternation.
    """
    literals = sorted({literal for rule in rules for literal in rule.literals}, key=lambda k: (k.lower(), k))
    others = [rule.anchor for rule in rules if not rule.literals and not rule.named]
    return (
        *("|".join(re.escape(k) for k in literals[i:i + 30]) for i in range(0, len(literals), 30)),
        *others,
    )
