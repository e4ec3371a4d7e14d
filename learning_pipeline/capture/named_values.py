"""Keyword-named values: a literal assigned to a name that says it is secret.

`password: "..."`, `DB_PASSWORD=...`, `"apiKey": "..."`, `JWT_SECRET='...'`, YAML
`password: hunter2`, `\\"token\\": \\"...\\"` inside JSON-escaped code, and a JSON object
member whose key is such a name. This is detect-secrets' KeywordDetector idea and gitleaks'
`generic-api-key` rule, rewritten for traces of an app builder, where the same names occur all
the time without a secret: types (`password: string`), references (`process.env.API_KEY`,
`${DB_PASSWORD}`, `config.token`), calls (`token = getToken()`), placeholders (`<your-token>`,
`sk-...`, `xxxx`), form vocabulary (`"password": "required"`, `autoComplete="new-password"`),
markers of an earlier redaction, and fixtures without randomness.

Two kinds: `password` for password-like names, `named_secret` for secret / token / key names.
The name must END with the keyword (`max_tokens`, `token_type`, `passwordHash` are not secret
names); `pass` and `pwd` only as a whole segment (`DB_PASS`, `dbPass`, not `bypass`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

PASSWORD_KIND = "password"
SECRET_KIND = "named_secret"


def _spellings(*words: str) -> set[str]:
    """How code spells a (compound) keyword: `api_key`, `API_KEY`, `apiKey`, `ApiKey`, `APIKey`,
    `api-key`, `apikey`... Names are matched in these spellings rather than case-insensitively,
    because Rust searches a set of literals several times faster than a `(?i)` word (the
    prefilter runs on every captured byte); `PaSsWoRd` is not how anyone names a variable."""
    spelled: set[str] = set()
    for sep in ("", "_", "-", "."):
        spelled.add(sep.join(words))
        spelled.add(sep.join(w.upper() for w in words))
        spelled.add(sep.join(w.capitalize() for w in words))
        spelled.add(words[0] + sep + sep.join(w.capitalize() for w in words[1:]))
        spelled.add(words[0].upper() + sep + sep.join(w.capitalize() for w in words[1:]))
    return spelled


def _alternation(spellings: set[str]) -> str:
    return "|".join(re.escape(s) for s in sorted(spellings, key=lambda s: (-len(s), s)))


_PASSWORD_WORDS = _alternation(set().union(*(_spellings(w) for w in ("password", "passwd", "passphrase"))))
_PASSWORD_SEGMENTS = _alternation(_spellings("pass") | _spellings("pwd"))  # only as a segment
_SECRET_WORDS = _alternation(
    set().union(
        *(
            _spellings(*words)
            for words in (
                ("secret",), ("token",), ("api", "key"), ("access", "key"), ("private", "key"),
                ("private", "key", "id"), ("signing", "key"), ("encryption", "key"),
                ("master", "key"), ("auth", "key"), ("client", "secret"),
            )
        )
    )
)
_NAME_CHAR = r"[A-Za-z0-9_$.-]"
# A name that ends with a keyword: `DB_PASSWORD`, `dbPassword`, `apiKey`, `DB_PASS`, `dbPass`.
_NAME = (
    rf"(?<![A-Za-z0-9_$.-])(?P<name>{_NAME_CHAR}*?(?:{_PASSWORD_WORDS}|{_SECRET_WORDS})"
    rf"|(?:{_NAME_CHAR}*?[_.-])?(?:{_PASSWORD_SEGMENTS})|{_NAME_CHAR}*?[a-z0-9](?:Pass|Pwd))"
    r"(?![A-Za-z0-9_$])"
)
# What may stand between the name and the value: a closing quote (escaped inside JSON-escaped
# code), a closing `]` of `env["X"]`, blanks, then `=`, `==`, `:`, `:=`, `=>`, or prose `is`.
_OPERATOR = r"""(?:\\?["'`])?\]?[ \t]*(?P<op>=>|:=|={1,3}|:|[ \t]+(?:is|was)[ \t]+)[ \t]*"""
_QUOTED = r"""(?P<q>\\?["'`])(?P<quoted>[^\n"'`\\]{1,256}?)(?P=q)"""
_UNQUOTED = r"""(?P<bare>[^\s"'`,;(){}\[\]<>\\]{1,256})(?P<after>[^\n]{0,1})"""
_NAME_ONLY = re.compile(rf"{_NAME}")
_KEYWORD = rf"(?:{_PASSWORD_WORDS}|{_SECRET_WORDS}|{_PASSWORD_SEGMENTS})"
# The pattern starts at the keyword, not at the name: a pattern that starts with a run of name
# characters is tried at every position of the text. The whole name is read backwards from
# the keyword afterwards (`_name`).
PATTERN = re.compile(rf"(?P<kw>{_KEYWORD})(?![A-Za-z0-9_$]){_OPERATOR}(?:{_QUOTED}|{_UNQUOTED})")
_NAME_TAIL = re.compile(r"[A-Za-z0-9_$.-]*\Z")
# lowercased literals one of which the pattern needs (`key` alone would be in every React file)
NEEDS_LOWER = ("pass", "pwd", "secret", "token", "api", "access", "private", "signing", "encryption", "master", "auth", "client")
_ENDS_LIKE_PASSWORD = re.compile(rf"(?:{_PASSWORD_WORDS}|{_PASSWORD_SEGMENTS})$")

# Raw-JSON necessary condition for the Polars prefilter (Rust syntax): the keyword, then what
# the operator part allows, with quotes maybe escaped and a tab maybe written `\t`.
# (`\\*`: a quote escaped once in the text is escaped again in its JSON line, `\\\"`)
# The value's first character is not `[`: a marker left by an earlier redaction (ingest
# redacts, processing checks again) is no reason to read the line in Python.
ANCHOR = _KEYWORD + (
    r"""(?:\\*["'`])?\]?(?:[ \t]|\\t)*(?:=|:|(?:[ \t]|\\t)+(?:is|was)[ \t])"""
    # (or an escape other than a blank: `\"`, `\\`, `\u001b` start a value too)
    r"""(?:[ \t]|\\t)*(?:\\*["'`])?(?:[^\[\s"'`\\]|\\[^nrt])"""
)
ANCHOR_RE = re.compile(ANCHOR)  # the same condition, for rules that borrow it

_REFERENCE = re.compile(
    r"""\$\{?[\w.:-]+\}?|\{\{.*\}\}|%\(?\w+\)?s?%?|<[^<>]*>|[*xX.•]+|\.\.\.|.*\.\.\.|your[-_ ].*"""
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]+"  # another variable's name: `YOUR_API_KEY`, `KEY`
    r"|(?:process\.env|import\.meta\.env|os\.environ|os\.getenv|ENV\[|env\().*"
    # `xoxb-your-bot-token-goes-here`, `sk_test_example_key`, `my-placeholder-token`
    r"|(?i:(?:.*[-_.])?(?:your|goes|here|example|placeholder|changeme|dummy|sample|fake|mock)(?:[-_.].*)?)",
    re.S,
)
# Form and API vocabulary that follows these names without being a secret.
_STOPWORDS = frozenset(
    """
    password passwd passphrase secret secrets token tokens pass pwd key apikey api_key none null nil
    undefined true false string str number int integer bool boolean any unknown object optional
    required invalid missing incorrect wrong mismatch expired revoked hidden visible show hide text
    default disabled enabled changed updated reset forgot confirm confirmed current new old strong
    weak medium short long match matches success error pending sent valid empty placeholder example
    sample dummy changeme redacted masked test testing todo tbd env environment value bearer basic
    header query cookie body form omit include same-origin new-password current-password
    one-time-code username email login signin sign-in submit hashed encrypted plain plaintext
    """.split()
)
_FIELD_NAME = re.compile(
    r"(?i)(?:x-)?(?:(?:api|auth|access|refresh|id|csrf|xsrf|session|bearer|client|secret|private"
    r"|public|app|user|admin|reset|verification)[-_]?)?(?:key|token|secret|password|passwd)s?"
)
_TYPE_LIKE = re.compile(r"(?:[A-Z][a-z]+)+|[a-z]+(?:\[[^\]]*\])?")  # `Password`, `str`, `string`
_MEMBER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_ENV_NAME = re.compile(r"(?:export\s+)?[A-Z][A-Z0-9_]*")


@lru_cache(maxsize=8192)  # object keys repeat line after line
def name_kind(name: str) -> str | None:
    """The kind of a secret-naming key (`DB_PASSWORD` -> password), or None."""
    m = _NAME_ONLY.fullmatch(name)
    if m is None:
        return None
    return PASSWORD_KIND if _ENDS_LIKE_PASSWORD.search(name) else SECRET_KIND


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def is_secret_value(value: str, kind: str, name: str = "") -> bool:
    """A literal that is a plausible secret, not a placeholder, reference or word of the UI."""
    # (`[`: a marker, or a list; the prefilter anchor skips values that start with one)
    if value.startswith("[") or "[REDACTED:" in value or not value.isprintable() or any(c.isspace() for c in value):
        return False
    lowered = value.lower()
    if lowered in _STOPWORDS or lowered == name.lower() or _REFERENCE.fullmatch(value):
        return False
    if _FIELD_NAME.fullmatch(value):
        return False
    if kind == PASSWORD_KIND:
        return len(value) >= 4 and len(set(value)) >= 3 and _entropy(value) >= 1.9
    return len(value) >= 8 and _entropy(value) >= 3.0


_WORD = re.compile(r"[A-Z]?[a-z]{3,}")


def _looks_like_words(value: str) -> bool:
    """`hashedPassword`, `postgres`, `nextToken` read as words; `SHPEewGMoo` does not."""
    letters = sum(c.isalpha() for c in value)
    return sum(len(w) for w in _WORD.findall(value)) >= 0.6 * letters


def _name(m: re.Match) -> str:
    """The whole name whose keyword the match starts with: `DB_` + `PASSWORD`."""
    before = m.string[max(0, m.start() - 200):m.start()]
    head = _NAME_TAIL.search(before)
    name = head.group(0) + m.group("kw")
    # in source code quoted inside a trace, `\n` is two characters; its `n` is no part of a name
    if name[:1] in ("n", "r", "t") and head.start() > 0 and before[head.start() - 1] == "\\":
        name = name[1:]
    return name


def _bare_value_is_secret(m: re.Match, kind: str, name: str, value: str) -> bool:
    """An unquoted value: env style (`DB_PASSWORD=x`), YAML (`password: x`), connection strings
    (`Password=x;`). In code the same shape is a type, a variable or a call."""
    after = m.group("after")
    if value[0] in "$%&*@!|>#/.-":  # references, YAML anchors / tags / block scalars, paths
        return False
    if after == "(" or _MEMBER.fullmatch(value):  # a call or `req.body.password`
        return False
    env_style = _ENV_NAME.fullmatch(name) is not None and m.group("op") in ("=", ":")
    # `Password=p4ss;Server=db` (connection strings, query strings): no blank around `=`
    tight = m.group("op") == "=" and m.end("kw") == m.start("op") and m.end("op") == m.start("bare")
    if _IDENTIFIER.fullmatch(value) and not env_style:
        # `password: string`, `token = nextToken;`: code, unless it has letters and digits and
        # nothing follows (YAML, prose `the password is hunter2`)
        # (a backslash starts a written-out `\n` in quoted code: the line ends there)
        if _TYPE_LIKE.fullmatch(value) or after not in ("", " ", "\t", "\\", *(";&" if tight else "")):
            return False
        if not (re.search(r"[0-9]", value) and re.search(r"[A-Za-z]", value)) and _looks_like_words(value):
            return False
    return is_secret_value(value, kind, name)


def span(m: re.Match) -> tuple[int, int] | None:
    """The span of the value when the match is a keyword-named secret."""
    name = _name(m)
    kind = name_kind(name)
    if kind is None:
        return None
    name_start = m.start("kw") - (len(name) - len(m.group("kw")))
    if m.string[max(0, name_start - 2):name_start].endswith(("$", "${")):  # `${DB_PASSWORD:-x}`
        return None
    if m.group("quoted") is not None:
        return m.span("quoted") if is_secret_value(m.group("quoted"), kind, name) else None
    start, end = m.span("bare")
    # prose ends a sentence after the value: `the password was reset.`
    while end > start and m.string[end - 1] in ".,!?:":
        end -= 1
    if end == start or not _bare_value_is_secret(m, kind, name, m.string[start:end]):
        return None
    return start, end


def kind_of(m: re.Match) -> str:
    return name_kind(_name(m)) or SECRET_KIND
