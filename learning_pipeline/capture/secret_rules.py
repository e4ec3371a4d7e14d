"""What counts as a secret: the ordered redaction rules, and their raw-text anchors.

Rules run in a fixed order because several overlap: a private key block is full of
high-entropy lines, a URL password looks like the local part of an email, a provider key
would otherwise be classified by the generic high-entropy rule, and a provider key assigned to
`api_key = ...` is better named by its provider than by its variable.

Sources. The provider formats of gitleaks' default rule set are read from its vendored config
(gitleaks_rules.py, kind `service_token`). The formats of detect-secrets' default plugins
(Yelp/detect-secrets, Apache-2.0, detect_secrets/plugins/*.py) that gitleaks lacks are ported
below with a comment naming the plugin; its KeywordDetector's idea (a secret-named variable
assigned a literal) is the keyword-named-value rule in named_values.py. Rules we had before
(OpenAI, Anthropic, AWS, GitHub, Stripe, Google, Slack, bearer, JWT, private key, URL password,
email, high entropy) keep their own kinds and run first.
"""

from __future__ import annotations

from __future__ import annotations

import base64
import binascii
import math
import re
import string
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

from learning_pipeline.capture import named_values
from learning_pipeline.capture.gitleaks_rules import GitleaksRule, load_rules

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
    "service_token",  # a provider format of gitleaks' / detect-secrets' rule sets
    "basic_auth",
    "password",  # a value assigned to a password-like name
    "named_secret",  # a value assigned to a secret / token / key name
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
class Rule:
    kind: str
    source: re.Pattern[str] | Callable[[], re.Pattern]  # a callable compiles on first use
    span: Callable[[re.Match], Span | None]  # what the marker replaces; None declines
    # A cheap necessary condition for patterns that cannot start with a literal, searched
    # in the lowercased text when `gate_lowercase`: most texts then skip the slow pattern.
    gate: re.Pattern[str] | None = None
    gate_lowercase: bool = False
    # gitleaks' gate: the rule runs only if one of these occurs in the lowercased text
    keywords: tuple[str, ...] = ()
    kind_of: Callable[[re.Match], str] | None = None  # for rules that name two kinds
    name: str = ""
    # which prefilter anchors stand for this rule on raw JSON lines (see redaction.py)
    group: str = "core"
    # literals one of which the rule needs (in the text; in the lowercased text for
    # `needs_lower`): a few `in` tests are much cheaper than running the pattern
    needs: tuple[str, ...] = ()
    needs_lower: tuple[str, ...] = ()

    @cached_property
    def pattern(self) -> re.Pattern:
        return self.source if isinstance(self.source, re.Pattern) else self.source()



_Rule = Rule


def _key_rule(kind: str, pattern: str, word_chars: str, needs: tuple[str, ...] = ()) -> _Rule:
    """A provider key: starts with its literal prefix (which keeps the scan fast), is not the
    tail of a longer word, and looks random."""
    word_char = re.compile(f"[{word_chars}]")

    def span(m: re.Match) -> Span | None:
        return m.span() if _starts_token(m, word_char) and _plausible_key(m.group(0)) else None

    return _Rule(kind, re.compile(pattern), span, needs=needs)


def _is_basic_credential(encoded: str) -> bool:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon and password and decoded.isprintable())


def _line_at(text: str, position: int) -> str:
    return text[text.rfind("\n", 0, position) + 1:(text.find("\n", position) + 1 or len(text) + 1) - 1]


def _gitleaks_rule(rule: GitleaksRule, global_allowlist) -> Rule:
    def span(m: re.Match) -> Span | None:
        # the rule's prefilter anchor must hold in the text too, or the vectorised path,
        # which only sees lines where it holds, would differ from redact_text
        if not rule.gate.search(m.string):
            return None
        if rule.named and not named_values.ANCHOR_RE.search(m.string):
            return None
        return rule.secret_span(m, _line_at(m.string, m.start()), global_allowlist)

    group = "named" if rule.named else "gitleaks"
    return Rule("service_token", lambda: rule.pattern, span, keywords=rule.keywords, name=rule.id, group=group)


GITLEAKS_RULES, _GITLEAKS_ALLOWLIST = load_rules()
_GITLEAKS_RULES = tuple(_gitleaks_rule(rule, _GITLEAKS_ALLOWLIST) for rule in GITLEAKS_RULES)

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
        needs=("-----BEGIN",),
    ),
    _key_rule("anthropic_key", r"sk-ant-[A-Za-z0-9_-]{20,}", r"\w-", ("sk-ant-",)),
    _key_rule("openai_key", r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", r"\w-", ("sk-",)),
    _key_rule("aws_access_key", r"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", "A-Za-z0-9", ("AKIA", "ASIA")),
    _Rule(
        "aws_secret_key",
        re.compile(
            # spelled out, not `(?i)`, as the prefilter's anchor is (Rust searches literals faster)
            r"(?:secret_?access_?key|SECRET_?ACCESS_?KEY|[Ss]ecretAccessKey|aws_?secret_?key|AWS_?SECRET_?KEY|[Aa]wsSecretKey)[\"']?\s*[:=]\s*[\"']?"
            r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        _secret_group(_plausible_key),
        needs_lower=("secret",),
    ),
    _key_rule(
        "github_token",
        r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})(?![A-Za-z0-9_])",
        "A-Za-z0-9_",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _key_rule(
        "stripe_key",
        r"(?:(?:sk|rk)_(?:live|test|prod)_|pk_live_|whsec_)[A-Za-z0-9]{10,}",
        "A-Za-z0-9_",
        ("sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_", "pk_live_", "whsec_"),
    ),
    _key_rule("google_api_key", r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", "A-Za-z0-9_-", ("AIza",)),
    _key_rule("slack_token", r"xox[abposr]-[A-Za-z0-9-]{10,}", "A-Za-z0-9", ("xox",)),
    _key_rule(
        "jwt", r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", "A-Za-z0-9_-", ("eyJ",)
    ),
    # detect-secrets' default plugins, formats gitleaks does not have (or only next to a
    # provider name): Twilio account SID / API key (twilio.py), Mailgun `key-` (gitleaks names
    # it only after `mailgun`), Square OAuth secret (square_oauth.py), Azure storage account key
    # (azure_storage_key.py), Artifactory (artifactory.py), Discord bot token (discord.py),
    # Mailchimp (mailchimp.py). Telegram's bot token (telegram_token.py) matches only a line
    # that is nothing but the token; gitleaks' `telegram-bot-api-token` covers it by name.
    _key_rule(
        "service_token",
        r"(?:AC|SK)[a-z0-9]{32}(?![A-Za-z0-9])|key-[0-9a-zA-Z]{32}(?![A-Za-z0-9])|sq0csp-[0-9A-Za-z_-]{43}"
        r"|AKC[a-zA-Z0-9]{10,}|AP[0-9A-F][a-zA-Z0-9]{8,}|[0-9a-f]{32}-us[0-9]{1,2}(?![0-9])",
        "A-Za-z0-9_-",
        ("AC", "SK", "key-", "sq0csp-", "AKC", "AP", "-us"),
    ),
    _key_rule(
        "service_token",
        r"[MNO][a-zA-Z0-9_-]{23,25}\.[a-zA-Z0-9_-]{6}\.[a-zA-Z0-9_-]{27}(?![a-zA-Z0-9_-])",
        "A-Za-z0-9_-",
        (".",),
    ),
    _Rule(
        "service_token",
        re.compile(r"AccountKey=(?P<secret>[a-zA-Z0-9+/=]{88})"),
        _secret_group(_plausible_key),
        needs=("AccountKey=",),
    ),
    _Rule(
        "basic_auth",
        # `Authorization: Basic dXNlcjpwYXNz`: the base64 of `user:password`
        re.compile(r"\b(?:basic|Basic|BASIC)(?:\s|\\t)+(?P<secret>[A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])"),
        _secret_group(_is_basic_credential),
        needs=("basic", "Basic", "BASIC"),
    ),
    _Rule(
        "bearer_token",
        re.compile(r"\b(?:bearer|Bearer|BEARER)\s+(?P<secret>[A-Za-z0-9._~+/-]{12,}=*)"),
        _secret_group(_plausible_token),
        needs=("bearer", "Bearer", "BEARER"),
    ),
    *_GITLEAKS_RULES,
    _Rule(
        "password",
        named_values.PATTERN,
        named_values.span,
        needs_lower=named_values.NEEDS_LOWER,
        kind_of=named_values.kind_of,
        group="named",
    ),
    _Rule(
        "url_password",
        # `://` first keeps the scan fast; the password runs greedily up to the last `@` of
        # the authority: `p@ss@host`. A user name never holds `[`, so a marker left by an
        # earlier pass (`http://[REDACTED:jwt]@host`) is not read as `user:password`.
        re.compile(r"://(?<=[A-Za-z0-9+.-]://)[^\s:/@\"'<>\[\]]*:(?P<secret>[^\s/\"'<>]+)@"),
        _secret_group(_is_real_password),
        needs=("://",),
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
        needs=("@",),
        group="email",
    ),
    # possessive `{32,}+`: a run is never worth re-reading shorter
    _Rule("high_entropy", re.compile(r"[A-Za-z0-9+/_-]{32,}+={0,2}"), _high_entropy_span, group="random"),
)

RULES = _RULES
assert {rule.kind for rule in RULES} | {named_values.SECRET_KIND} == set(SECRET_KINDS)

# Binary data URIs (screenshots for the vision judge, fonts) are opaque payloads: no rule
# looks inside them, so a random run of base64 can never be mistaken for a key.
_BINARY_DATA_URI_PATTERN = (
    r"data:(?:image|font)/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,[A-Za-z0-9+/=]*"
)
_BINARY_DATA_URI = re.compile(_BINARY_DATA_URI_PATTERN)
