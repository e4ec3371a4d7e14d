"""Secret redaction: a corpus of real-looking secrets and of look-alikes that must survive.

Fake secrets are assembled at runtime from a seeded generator, so the file itself holds no
string a secret scanner would stop at a push.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import string
from collections import Counter
from dataclasses import dataclass

import polars as pl
import pytest

from learning_pipeline.capture.redaction import (
    SECRET_KINDS,
    _flag_lines,
    marker,
    redact_obj,
    redact_text,
    redaction_counts_frame,
)

ALNUM = string.ascii_letters + string.digits


def redact_json_lines(lines: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Redacted lines and the total redactions per line (UInt32)."""
    redacted, frame = redaction_counts_frame(lines)
    return redacted, frame.sum_horizontal().cast(pl.UInt32).alias("redactions")
URLSAFE = ALNUM + "-_"
UPPER_DIGITS = string.ascii_uppercase + string.digits
_rng = random.Random(20260113)


def fake(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def fake_b64(n_bytes: int, header: bytes = b"") -> str:
    return base64.b64encode(header + bytes(_rng.getrandbits(8) for _ in range(n_bytes))).decode()


def pem_body(lines: int, sep: str = "\n") -> str:
    return sep.join(fake_b64(48) for _ in range(lines))


JWT = ".".join(
    [
        base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("="),
        base64.urlsafe_b64encode(b'{"sub":"usr_42","exp":1767225600,"role":"admin"}').decode().rstrip("="),
        fake(43, URLSAFE),
    ]
)
PNG_B64 = fake_b64(600, header=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
SVG_B64 = base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7l10 5 10-5-10-5z'
    b'M2 17l10 5 10-5M2 12l10 5 10-5" stroke="#0F172A" stroke-width="1.5" fill="none"/></svg>'
).decode()
WOFF2_B64 = fake_b64(300, header=b"wOF2\x00\x01\x00\x00")
JPEG_B64 = fake_b64(600, header=b"\xff\xd8\xff\xe0\x00\x10JFIF")
# drawn once at import, in a fixed order, so no test depends on which tests ran before it
GH_TOKEN = "ghp_" + fake(36)
AWS_KEY_ID = "AKIA" + fake(16, UPPER_DIGITS)
OPENAI_KEY = "sk-" + fake(48)
RANDOM_40 = fake(40)


@dataclass(frozen=True)
class Secret:
    kind: str
    template: str  # `{S}` marks exactly what the marker replaces
    secret: str

    @property
    def text(self) -> str:
        return self.template.replace("{S}", self.secret)

    @property
    def expected(self) -> str:
        return self.template.replace("{S}", marker(self.kind))


SECRETS = [
    Secret("openai_key", 'const client = new OpenAI({ apiKey: "{S}" });', "sk-" + fake(48)),
    Secret("openai_key", "OPENAI_API_KEY={S}\nNODE_ENV=production", "sk-proj-" + fake(120, URLSAFE) + "A1"),
    Secret("openai_key", "I rotated the service account key {S} yesterday.", "sk-svcacct-" + fake(64, URLSAFE) + "Z9"),
    Secret("anthropic_key", "curl https://api.anthropic.com/v1/messages -H 'x-api-key: {S}'", "sk-ant-api03-" + fake(93, URLSAFE) + "AA"),
    Secret("aws_access_key", "[default]\naws_access_key_id = {S}\nregion = us-east-1", "AKIA" + fake(16, UPPER_DIGITS)),
    Secret("aws_access_key", '{"Credentials": {"AccessKeyId": "{S}", "Expiration": "2026-01-13"}}', "ASIA" + fake(16, UPPER_DIGITS)),
    Secret("aws_secret_key", "[default]\naws_secret_access_key = {S}\n", fake(40, ALNUM + "/+")),
    Secret("aws_secret_key", "export AWS_SECRET_ACCESS_KEY={S} && npm run deploy", fake(40, ALNUM + "/+")),
    Secret("aws_secret_key", "new S3Client({ credentials: { secretAccessKey: '{S}' } })", fake(40, ALNUM + "/+")),
    Secret("github_token", "git clone https://{S}@github.com/acme/app.git", "ghp_" + fake(36)),
    Secret("github_token", "Authorization: token {S}", "gho_" + fake(36)),
    Secret("github_token", "GITHUB_TOKEN={S}", "github_pat_" + fake(22) + "_" + fake(59)),
    Secret("stripe_key", "stripe.api_key = '{S}'", "sk_live_" + fake(99)),
    Secret("stripe_key", "const stripe = new Stripe(process.env.KEY ?? '{S}');", "sk_test_" + fake(99)),
    Secret("stripe_key", "restricted key for the webhook worker: {S}", "rk_live_" + fake(99)),
    Secret("google_api_key", '<script src="https://maps.googleapis.com/maps/api/js?key={S}&libraries=places"></script>', "AIza" + fake(35, URLSAFE)),
    Secret("slack_token", "SLACK_BOT_TOKEN={S}", "xoxb-" + fake(12, string.digits) + "-" + fake(13, string.digits) + "-" + fake(24)),
    Secret("slack_token", "const web = new WebClient('{S}');", "xoxp-" + fake(12, string.digits) + "-" + fake(32)),
    Secret("bearer_token", "curl -H 'Authorization: Bearer {S}' https://api.example.com/v1/me", fake(40, URLSAFE + ".~")),
    Secret("bearer_token", "headers: { authorization: 'bearer {S}' }", fake(20)),
    Secret("jwt", "Cookie: session={S}; Path=/; HttpOnly", JWT),
    Secret("jwt", "fetch(url, { headers: { Authorization: `Bearer {S}` } })", JWT),
    Secret(
        "private_key",
        "Wrote deploy key:\n{S}\nthen chmod 600.",
        "-----BEGIN RSA PRIVATE KEY-----\n" + pem_body(6) + "\n-----END RSA PRIVATE KEY-----",
    ),
    Secret(
        "private_key",
        'const pem = "{S}";',
        "-----BEGIN OPENSSH PRIVATE KEY-----\\n" + pem_body(4, "\\n") + "\\n-----END OPENSSH PRIVATE KEY-----",
    ),
    Secret(
        "private_key",  # truncated log line: the END line never arrived
        "stderr: {S}\n(output truncated)",
        "-----BEGIN EC PRIVATE KEY-----\n" + pem_body(3),
    ),
    Secret("url_password", "DATABASE_URL=postgres://app_user:{S}@db.internal:5432/app", fake(24)),
    Secret("url_password", "mongodb+srv://admin:{S}@cluster0.ab1cd.mongodb.net/test?retryWrites=true", "Tr0ub4dor&3"),
    Secret("url_password", "REDIS_URL=redis://:{S}@cache:6379/0", fake(16)),
    Secret("url_password", "amqp://guest:{S}@rabbit.example.com/vhost", "p@ss!w0rd"),
    Secret("url_password", "mysql://root:{S}@127.0.0.1:3306/shop", "Br4ck3t[s]:ok"),
    Secret("high_entropy", "const WEBHOOK_SIGNATURE_HEADER_VALUE = '{S}';", fake(40)),
    Secret("high_entropy", "X-Api-Signature: {S}", fake_b64(32)),
    Secret("high_entropy", "pulled the model with {S} yesterday", "hf_" + fake(34)),
    # 16 symbols twice each: exactly 4.0 bits per character, the low end of real tokens
    Secret("high_entropy", "cookie value {S}", "".join(_rng.sample(list("k9Qm2Xv7Rt4Lp8Zw") * 2, 32))),
    # a secret-naming variable wins over the shape of its value
    Secret("named_secret", "const WEBHOOK_SIGNING_SECRET = '{S}';", fake(40)),
    Secret("named_secret", "X-Api-Secret: {S}", fake_b64(32)),
    Secret("named_secret", "HF_TOKEN={S}", "hf_" + fake(34)),
    Secret("named_secret", "JWT_SECRET='{S}'", "mysupersecretvalue"),
    Secret("password", '{"username": "admin", "password": "{S}"}', "Tr0ub4dor&3"),
    Secret("password", "DB_PASSWORD={S}", "hunter2hunter"),
    Secret("password", "db:\n  user: app\n  password: {S}\n", "s3cr3t-Pa55"),
    Secret("password", "psycopg2.OperationalError: could not connect: password={S} rejected", "Xk9pQ2zz"),
    Secret("service_token", "export GITLAB_TOKEN={S} && git push origin main", "glpat-" + fake(20, URLSAFE)),
    Secret("service_token", "shopify.api_version; const session = '{S}';", "shpat_" + fake(32, "0123456789abcdef")),
    Secret("basic_auth", "curl -H 'Authorization: Basic {S}' https://api.example.com", base64.b64encode(b"admin:" + fake(12).encode()).decode()),
    Secret("email", "Contact {S} for staging access.", "jane.doe+builds@example.co.uk"),
    Secret("email", "Author: Sam Lee <{S}>\nDate: Tue Jan 13", "sam.lee@acme-corp.io"),
]

LOOKALIKES = [
    "Merge commit 9fceb02d0ae598e95dc970b74767f19372d61af8 into main",
    "UPPER SHA-1 9FCEB02D0AE598E95DC970B74767F19372D61AF8 and short 9fceb02",
    "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "traceId 3f2b8c1e-9a4d-4e7f-b6c5-2d1a0e9f8b7c, buildId 7C9E6679-7425-40DE-944B-E07FC1F90AE7",
    "Moved the task-sk-list-for-the-current-user-session-2 cache; risk-free refactor.",
    "Use an sk-learn-compatible-estimator-pipeline for the success predictor.",
    "Set OPENAI_API_KEY=sk-... or sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in .env",
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and AWS key AKIAXXXXXXXXXXXXXXXX",
    "SLACK_BOT_TOKEN=xoxb-your-bot-token-goes-here",
    f'<img alt="hero" src="data:image/png;base64,{PNG_B64}" />',
    f"data:image/jpeg;base64,{JPEG_B64}",
    PNG_B64,  # a raw base64 screenshot for the vision judge
    f".icon {{ background: url('data:image/svg+xml;base64,{SVG_B64}') no-repeat; }}",
    f"@font-face {{ font-family: Inter; src: url(data:font/woff2;base64,{WOFF2_B64}) format('woff2'); }}",
    ".btn { color: #1a2b3c; background: #FFAA00; border-color: #abc; }",
    "const handleUserProfileSubmissionFormValidation2 = useCallback(() => {}, []);",
    "export const useInfiniteScrollPaginationWithCursorV2 = () => {};",
    "MAX_RETRY_ATTEMPTS_FOR_UPLOAD_V2_HANDLER = 3  # test_redaction_counts_frame_matches_python_3",
    "class AbstractSingletonProxyFactoryBean2Impl extends XMLHttpRequest2EventTargetPrototypeV8 {}",
    "Upgrade react from 18.2.0 to 19.0.0-rc.1+build.20240612 and react-dom@18.3.1",
    "import type { FC } from '@types/react';\nnpm i @tanstack/react-query@5.51.1",
    "See https://github.com/acme/app/pull/42 and http://localhost:3000/api/v2/users?id=7",
    "git clone https://deploy@gitlab.example.com/acme/app.git",
    "git remote add origin git@github.com:acme/app.git",
    "The API uses Bearer authentication; send the token in the Authorization header.",
    "Authorization: Bearer <token>  or  `Bearer ${API_TOKEN}`",
    "import logo from './assets/logo@2x.png';",
    "@Component({ selector: 'app-root' }) export class AppComponent {}",
    '<script integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"></script>',
    "const nanoid = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 21);",
    '<div className="flex items-center justify-between rounded-2xl bg-slate-900/80 px-4">',
    "at Object.<anonymous> (/home/runner/work/App2/App2/src/componentsV3/UserProfileCard.tsx:42:7)",
    "DATABASE_URL=postgres://user:${DB_PASSWORD}@db:5432/app and redis://:****@cache:6379",
    'if (pem.startsWith("-----BEGIN PRIVATE KEY-----")) { return importPkcs8(pem); }',
    "JWT header eyJhbGciOiJIUzI1NiJ9 decodes to {alg: HS256}",
    "createdAt 2026-01-13T12:00:00.000Z, data-testid-user-profile-card-container-2",
    "const mockToken = 'Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7'; // fixture, not a secret",
    "i18n key dashboard.settings.notifications.emailPreferences.title",
]

BY_ID = {f"{s.kind}-{i}": s for i, s in enumerate(SECRETS)}


def test_corpus_is_big_enough_and_covers_every_kind():
    assert len(SECRETS) >= 25 and len(LOOKALIKES) >= 25
    assert {s.kind for s in SECRETS} == set(SECRET_KINDS)


def test_marker_format_and_unknown_kind():
    assert marker("jwt") == "[REDACTED:jwt]"
    assert marker("password") == "[REDACTED:password]"
    with pytest.raises(ValueError):
        marker("passwords")


@pytest.mark.parametrize("case", BY_ID.values(), ids=BY_ID.keys())
def test_secret_is_replaced_by_its_typed_marker(case: Secret):
    redacted, counts = redact_text(case.text)
    assert redacted == case.expected
    assert counts == Counter({case.kind: 1})
    assert case.secret not in redacted


@pytest.mark.parametrize("text", LOOKALIKES, ids=[t[:40] for t in LOOKALIKES])
def test_lookalike_survives_unchanged(text: str):
    assert redact_text(text) == (text, Counter())


def test_several_secrets_in_one_text_are_counted_per_kind():
    text = "\n".join(case.text for case in SECRETS)
    redacted, counts = redact_text(text)
    assert counts == Counter(case.kind for case in SECRETS)
    assert not any(case.secret in redacted for case in SECRETS)


def test_url_password_wins_over_email_and_keeps_user_and_host():
    redacted, counts = redact_text("postgres://maria:Xk9pQ2@db.example.com:5432/app")
    assert redacted == "postgres://maria:[REDACTED:url_password]@db.example.com:5432/app"
    assert counts == Counter(url_password=1)


def test_secrets_glued_together_are_all_caught():
    # the second address is only visible once the first one is gone
    redacted, counts = redact_text("owners: sam@acme.io+ops@example.com")
    assert redacted == "owners: [REDACTED:email][REDACTED:email]"
    assert counts == Counter(email=2)


def test_bearer_keeps_the_scheme_word():
    redacted, _ = redact_text(f"Authorization: Bearer {RANDOM_40}")
    assert redacted == "Authorization: Bearer [REDACTED:bearer_token]"


def test_secret_next_to_escape_like_text_is_caught():
    # decoded text that contains a literal backslash-n, as in source code strings
    assert redact_text(f"print('a\\n{GH_TOKEN}')") == (
        "print('a\\n[REDACTED:github_token]')",
        Counter(github_token=1),
    )
    # the `n` of the escape stays, so the quoted code keeps its meaning
    assert redact_text(f"s = 'x\\n{RANDOM_40}\\tbob@example.com'") == (
        "s = 'x\\n[REDACTED:high_entropy]\\t[REDACTED:email]'",
        Counter(high_entropy=1, email=1),
    )


ALL_TEXTS = [case.text for case in SECRETS] + LOOKALIKES


def test_redact_text_is_idempotent():
    texts = ALL_TEXTS + [a + b for a, b in itertools.combinations(ALL_TEXTS[::3], 2)]
    for text in texts:
        once, _ = redact_text(text)
        assert redact_text(once) == (once, Counter()), text


def test_redact_obj_walks_nested_values_but_not_keys():
    aws, gh = AWS_KEY_ID, GH_TOKEN
    trace = {
        "kind": "error_recovery",
        "data": {
            "error": {"message": f"403 for key {aws}", "stackTrace": ""},
            "recoveryJourney": [
                {"attempt": 1, "thinkingTrace": f"retry with {gh}", "timeTakenMs": 120},
                {"attempt": 2, "thinkingTrace": None, "ok": True, "score": 0.5},
            ],
            "tags": ("ops@example.com", "plain"),
            gh: "a key that is itself secret-shaped stays a key",
        },
    }
    original = json.loads(json.dumps(trace))
    redacted, counts = redact_obj(trace)
    assert counts == Counter(aws_access_key=1, github_token=1, email=1)
    assert redacted["data"]["error"]["message"] == "403 for key [REDACTED:aws_access_key]"
    assert redacted["data"]["recoveryJourney"][0]["thinkingTrace"] == "retry with [REDACTED:github_token]"
    assert redacted["data"]["recoveryJourney"][1] == {"attempt": 2, "thinkingTrace": None, "ok": True, "score": 0.5}
    assert redacted["data"]["tags"] == ("[REDACTED:email]", "plain")
    assert gh in redacted["data"]
    assert json.loads(json.dumps(trace)) == original  # input left untouched


# --- raw JSON lines -------------------------------------------------------------------------

ESCAPE_NEIGHBOURS = [
    "line one\n{S}\nline two",
    'quoted "{S}" here',
    "tab\t{S}\tend",
    "backslash \\{S}\\ end",
    "café {S} 🚀 naïve",
    "code: 'a\\n{S}\\t' + \"\\\"\"",  # escapes written out, as in quoted source code
    f"<img src=\"data:image/png;base64,{PNG_B64[:200]}\">{{S}}",
    "{S}",
]


@pytest.mark.parametrize("around", ESCAPE_NEIGHBOURS)
def test_secret_is_found_whatever_surrounds_it(around: str):
    for case in SECRETS:
        redacted, counts = redact_text(around.replace("{S}", case.text))
        assert counts == Counter({case.kind: 1}), case.text
        assert case.secret not in redacted


def escape_corpus() -> list[str]:
    texts = list(ALL_TEXTS)
    for case in SECRETS:
        for around in ESCAPE_NEIGHBOURS:
            texts.append(around.replace("{S}", case.text))
    return texts


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_vectorised_path_matches_redact_text_on_decoded_values(ensure_ascii: bool):
    texts = escape_corpus()
    lines = pl.Series("line", [json.dumps({"x": s}, ensure_ascii=ensure_ascii) for s in texts])
    redacted, frame = redaction_counts_frame(lines)
    for text, line, row in zip(texts, redacted.to_list(), frame.iter_rows(named=True)):
        expected, counts = redact_text(text)
        assert json.loads(line)["x"] == expected, text
        assert {k: v for k, v in row.items() if v} == dict(counts), text
        if ensure_ascii:
            assert line.isascii()


def test_untouched_lines_stay_byte_identical():
    lines = [json.dumps({"kind": "decision", "data": {"reasoning": s}}, indent=1) for s in LOOKALIKES]
    redacted, totals = redact_json_lines(pl.Series(lines))
    assert redacted.to_list() == lines
    assert totals.to_list() == [0] * len(lines)


def test_unusual_escapes_cannot_hide_a_secret():
    # `\u0040` is `@`, `\/` is `/`: valid JSON a different encoder might write
    lines = pl.Series(
        [
            r'{"x":"mail jane\u0040example.com"}',
            r'{"x":"postgres:\/\/u:Secr3tPw@db\/app"}',
            r'{"x":"k=' + RANDOM_40[:20] + r"\/" + RANDOM_40[20:] + '"}',
        ]
    )
    redacted, frame = redaction_counts_frame(lines)
    assert [json.loads(line)["x"] for line in redacted] == [
        "mail [REDACTED:email]",
        "postgres://u:[REDACTED:url_password]@db/app",
        "k=[REDACTED:high_entropy]",
    ]
    assert frame["email"].to_list() == [1, 0, 0]


def test_invalid_json_line_still_loses_its_secret():
    truncated = '{"kind":"decision","data":{"thinkingTrace":"retry with ' + GH_TOKEN + " and th"
    redacted, totals = redact_json_lines(pl.Series([truncated]))
    assert GH_TOKEN not in redacted[0]
    assert "[REDACTED:github_token]" in redacted[0]
    assert totals.to_list() == [1]


def test_counts_frame_equals_python_per_line_on_a_mixed_batch():
    rng = random.Random(7)
    docs = []
    for i in range(400):
        text = rng.choice(ALL_TEXTS if i % 3 else LOOKALIKES)
        docs.append(
            {
                "kind": "decision",
                "data": {
                    "traceId": f"dec_{i}",
                    "context": {"thinkingTrace": text, "relatedFiles": ["src/App.tsx", text[:30]]},
                    "decision": {"confidence": 0.7, "rejectedOptions": []},
                },
            }
        )
    # object keys are never redacted, in either path
    docs.append({"kind": "design_choice", "data": {"paletteChosen": {"qa@example.com": "#0F172A"}}})
    lines = [json.dumps(doc, ensure_ascii=bool(i % 2)) for i, doc in enumerate(docs)]
    redacted, frame = redaction_counts_frame(pl.Series("raw", lines))
    _, totals = redact_json_lines(pl.Series("raw", lines))

    assert frame.columns == list(SECRET_KINDS)
    assert all(dtype == pl.UInt32 for dtype in frame.dtypes)
    assert totals.dtype == pl.UInt32 and redacted.name == "raw"
    for doc, line, row, total in zip(docs, redacted, frame.iter_rows(named=True), totals):
        expected, counts = redact_obj(doc)
        assert json.loads(line) == expected
        assert {k: v for k, v in row.items() if v} == dict(counts)
        assert total == sum(counts.values())
    assert frame.sum().row(0, named=True)["github_token"] > 0


def test_nulls_stay_null_and_count_zero():
    lines = pl.Series([None, json.dumps({"x": OPENAI_KEY}), None])
    redacted, totals = redact_json_lines(lines)
    assert redacted.to_list()[0] is None and redacted.to_list()[2] is None
    assert json.loads(redacted[1]) == {"x": "[REDACTED:openai_key]"}
    assert totals.to_list() == [0, 1, 0]

    all_null, frame = redaction_counts_frame(pl.Series([None, None]))
    assert all_null.to_list() == [None, None] and frame.shape == (2, len(SECRET_KINDS))
    assert frame.sum_horizontal().to_list() == [0, 0]

    empty, frame = redaction_counts_frame(pl.Series("raw", [], dtype=pl.String))
    assert empty.len() == 0 and frame.columns == list(SECRET_KINDS) and frame.height == 0


def test_input_series_is_not_mutated():
    line = json.dumps({"x": AWS_KEY_ID})
    lines = pl.Series([line])
    redact_json_lines(lines)
    assert lines.to_list() == [line]


def test_prefilter_leaves_ordinary_code_lines_alone():
    # The prefilter decides how many lines pay for the Python path.
    code = [
        json.dumps({"kind": "code_artifact", "data": {"traceId": "3f2b8c1e-9a4d-4e7f-b6c5-2d1a0e9f8b7c", "code": text}})
        for text in [
            "import { Button } from '@/components/ui/button';\nexport default function App() {}",
            "import { useSession } from '../../features/authentication/hooks/useSession';",
            "const MAX_RETRY_ATTEMPTS_FOR_UPLOAD_HANDLER = 3; // task-sk-list, commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
            f"<img src=\"data:image/png;base64,{PNG_B64}\" />",
            f"const token = '{GH_TOKEN}';",
        ]
    ]
    assert _flag_lines(pl.Series(code)).to_list() == [False, False, False, False, True]


# --- formats seen leaking (issue 9), in every style a trace carries them ----------------------
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Format:
    name: str  # the variable / key it is assigned to
    value: str
    kind: str


FORMATS = [
    Format("DB_PASSWORD", "hunter2-" + fake(6), "password"),
    Format("password", "Tr0ub4dor&3" + fake(3), "password"),
    Format("passwd", fake(10), "password"),
    Format("adminPassword", "p4ss" + fake(8), "password"),
    Format("SMTP_PASS", fake(12), "password"),
    Format("JWT_SECRET", "super-secret-jwt-" + fake(8), "named_secret"),
    Format("client_secret", fake(32), "named_secret"),
    Format("api_key", fake(32), "named_secret"),
    Format("apiKey", fake(24), "named_secret"),
    Format("ACCESS_TOKEN", fake(40, URLSAFE), "named_secret"),
    Format("token", fake(28), "named_secret"),
    Format("TWILIO_AUTH_TOKEN", fake(32, HEX), "named_secret"),
    Format("private_key_id", fake(40, HEX), "named_secret"),
    Format("GITLAB_TOKEN", "glpat-" + fake(20, URLSAFE), "service_token"),
    Format("MAILGUN_API_KEY", "key-" + fake(32, HEX), "service_token"),
    Format("SHOPIFY_ACCESS_TOKEN", "shpat_" + fake(32, HEX), "service_token"),
    Format("DATABRICKS_TOKEN", "dapi" + fake(32, HEX), "service_token"),
    Format("DIGITALOCEAN_TOKEN", "dop_v1_" + fake(64, HEX), "service_token"),
    Format("TWILIO_API_KEY", "SK" + fake(32, HEX), "service_token"),
    Format("SENDGRID_API_KEY", "SG." + fake(22, URLSAFE) + "." + fake(43, URLSAFE), "service_token"),
    Format("NPM_TOKEN", "npm_" + fake(36), "service_token"),
    Format("PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmc" + fake(60, URLSAFE), "service_token"),
    Format("HUGGINGFACE_TOKEN", "hf_" + fake(34, string.ascii_letters), "service_token"),
    Format("NOTION_TOKEN", "ntn_" + fake(11, string.digits) + fake(35), "service_token"),
    Format("LINEAR_API_KEY", "lin_api_" + fake(40), "service_token"),
    Format("GITHUB_TOKEN", "ghp_" + fake(36), "github_token"),
    Format("OPENAI_API_KEY", "sk-proj-" + fake(48, URLSAFE), "openai_key"),
]
STYLES = {
    "json": '{{"{name}": "{value}", "region": "eu-west-1"}}',
    "code_ts": 'const {name} = "{value}";',
    "code_object": "export const config = {{ {name}: '{value}', retries: 3 }};",
    "code_py": 'settings.{name} = "{value}"',
    "env": "NODE_ENV=production\n{name}={value}\nPORT=3000",
    "env_export": "export {name}='{value}'",
    "yaml": "services:\n  api:\n    environment:\n      {name}: {value}\n      DEBUG: 'false'",
    "escaped_json": '{{\\"{name}\\": \\"{value}\\", \\"debug\\": false}}',
    "error": "Error: request to /v1/charges failed (401); {name}={value} was rejected",
}
MATRIX = {f"{f.name}-{style}": (f, style) for f in FORMATS for style in STYLES}


@pytest.mark.parametrize("case", MATRIX.values(), ids=MATRIX.keys())
def test_every_format_is_redacted_in_every_style(case):
    fmt, style = case
    text = STYLES[style].format(name=fmt.name, value=fmt.value)
    redacted, counts = redact_text(text)
    assert fmt.value not in redacted
    # gitleaks' rules end a token at a quote, a blank or `;`, not at the backslash of an
    # escaped quote: there the name catches it
    kinds = {fmt.kind, "named_secret"} if style == "escaped_json" else {fmt.kind}
    assert sum(counts.values()) == 1 and set(counts) <= kinds, (text, redacted)
    (kind,) = counts
    # the name, the structure around it and the other settings survive
    assert fmt.name in redacted and marker(kind) in redacted
    # and the raw JSON-lines path agrees, whatever the encoder escaped
    line = json.dumps({"kind": "code_artifact", "data": {"code": text}})
    (raw,), frame = redaction_counts_frame(pl.Series([line]))
    assert json.loads(raw)["data"]["code"] == redacted
    assert {k: v for k, v in frame.row(0, named=True).items() if v} == dict(counts)


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_a_trace_member_named_like_a_secret_loses_its_value(fmt: Format):
    doc = {"kind": "decision", "data": {"traceId": "dec_1", "env": {fmt.name: fmt.value, "REGION": "eu-west-1"}}}
    redacted, counts = redact_obj(doc)
    assert redacted["data"]["env"] == {fmt.name: marker(fmt.kind), "REGION": "eu-west-1"}
    assert counts == Counter({fmt.kind: 1})
    for ensure_ascii in (True, False):
        (raw,), frame = redaction_counts_frame(pl.Series([json.dumps(doc, ensure_ascii=ensure_ascii, indent=1)]))
        assert json.loads(raw) == redacted
        assert {k: v for k, v in frame.row(0, named=True).items() if v} == dict(counts)


def test_basic_auth_headers_lose_their_credentials():
    credentials = base64.b64encode(b"deploy:" + fake(16).encode()).decode()
    for text in (
        f"Authorization: Basic {credentials}",
        f'headers: {{ "Authorization": "Basic {credentials}" }}',
        f"requests.get(url, headers={{'authorization': 'basic {credentials}'}})",
        f'{{\\"Authorization\\": \\"Basic {credentials}\\"}}',
    ):
        redacted, counts = redact_text(text)
        assert credentials not in redacted and counts == Counter(basic_auth=1), text


def test_gcp_service_account_json_loses_key_and_key_id():
    key_id = fake(40, HEX)
    account = {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": key_id,
        "private_key": "-----BEGIN PRIVATE KEY-----\n" + pem_body(5) + "\n-----END PRIVATE KEY-----\n",
        "client_email": "builder@acme-prod.iam.gserviceaccount.com",
        "client_id": "104913248501234567890",
    }
    redacted, counts = redact_text(json.dumps(account, indent=2))
    assert key_id not in redacted and "BEGIN PRIVATE KEY-----\\n" not in redacted.replace("[REDACTED:private_key]", "")
    assert counts == Counter(named_secret=1, private_key=1, email=1)
    assert '"project_id": "acme-prod"' in redacted and '"client_id": "104913248501234567890"' in redacted


NAMED_LOOKALIKES = [
    "interface LoginForm { email: string; password: string; remember?: boolean }",
    "password: string",
    "const apiKey = process.env.API_KEY;",
    "apiKey: import.meta.env.VITE_API_KEY,",
    "token = os.environ['GITHUB_TOKEN']",
    'secret = os.getenv("JWT_SECRET")',
    '{"token": "[REDACTED:github_token]", "expires": 3600}',
    "Set token=<your-token> and password=<password> in .env",
    'OPENAI_API_KEY=sk-... and ANTHROPIC_API_KEY="your-api-key-here"',
    "password: z.string().min(8, 'Password must be at least 8 characters'),",
    "const [password, setPassword] = useState('');",
    "if (!password) return { error: 'Password is required' };",
    '<input type="password" name="password" autoComplete="current-password" />',
    '{"password": "required", "email": "invalid"}',
    "const token = await getToken({ template: 'supabase' });",
    "token: req.headers.authorization?.split(' ')[1],",
    "password = request.form['password']",
    "def login(username: str, password: str) -> Token:",
    "max_tokens: 512, token_type: 'bearer', tokens_used: 1834",
    "DB_PASSWORD=${DB_PASSWORD:-postgres} and SECRET_KEY=$SECRET_KEY",
    "password: {{ .Values.db.password }}",
    "api_key: YOUR_API_KEY",
    "password: '********'",
    "The token is expired; the password was reset.",
    "bypass: true, compass: 'north', passport: 'passport-local'",
    "passwordHash: hashedPassword, passwordResetExpires: Date.now() + 3600000",
    'const mockToken = "Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7"; // fixture',
    '{"traceId": "3f2b8c1e-9a4d-4e7f-b6c5-2d1a0e9f8b7c", "buildId": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}',
    "commit_sha: 9fceb02d0ae598e95dc970b74767f19372d61af8, content_md5: d41d8cd98f00b204e9800998ecf8427e",
    "Basic authentication is disabled; use a Bearer token.",
    "Authorization: Basic <credentials>",
    "a key-value store, monkey-patching and the keyboard shortcuts",
    "headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }",
    "localStorage.setItem('token', token); const secret = useSecret();",
    "queryKey: ['todos', page], idempotencyKey: requestId",
    "SECRET: false\nTOKEN_TTL: 3600\nPASSWORD_MIN_LENGTH: 12",
]


@pytest.mark.parametrize("text", NAMED_LOOKALIKES, ids=[t[:40] for t in NAMED_LOOKALIKES])
def test_named_lookalike_survives_unchanged(text: str):
    assert redact_text(text) == (text, Counter())


@pytest.mark.parametrize(
    "member",
    [{"password": ""}, {"token": None}, {"apiKey": "YOUR_API_KEY"}, {"tokenCount": 42}, {"max_tokens": 512},
     {"password": "required"}, {"secret": True}, {"password": "[REDACTED:password]"}, {"api_key": "${API_KEY}"}],
    ids=str,
)
def test_lookalike_member_survives(member: dict):
    doc = {"kind": "decision", "data": member}
    assert redact_obj(doc) == (doc, Counter())
    line = json.dumps(doc)
    redacted, frame = redaction_counts_frame(pl.Series([line]))
    assert redacted.to_list() == [line] and frame.sum_horizontal().to_list() == [0]


# --- properties ---------------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

FRAGMENTS = (
    [case.text for case in SECRETS]
    + LOOKALIKES
    + NAMED_LOOKALIKES
    + [STYLES[style].format(name=f.name, value=f.value) for f in FORMATS[::3] for style in STYLES]
)
texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30), st.sampled_from(['"', "\\", "\n", ": ", "=", "\\n", "'", "@"])),
    max_size=6,
).map("".join)
keys = st.one_of(st.sampled_from(["password", "DB_PASSWORD", "apiKey", "token", "notes", "code", "id"]), st.text(max_size=8))
documents = st.recursive(
    st.one_of(texts, st.integers(), st.booleans(), st.none()),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_redaction_is_idempotent(text: str):
    once, _ = redact_text(text)
    assert redact_text(once) == (once, Counter())


@settings(max_examples=150, deadline=None)
@given(documents, st.booleans())
def test_json_lines_stay_valid_json_and_equal_redact_obj(doc, ensure_ascii: bool):
    line = json.dumps({"kind": "decision", "data": doc}, ensure_ascii=ensure_ascii)
    (raw,), frame = redaction_counts_frame(pl.Series([line]))
    expected, counts = redact_obj(json.loads(line))
    assert json.loads(raw) == expected
    assert {k: v for k, v in frame.row(0, named=True).items() if v} == dict(counts)
    again, frame_again = redaction_counts_frame(pl.Series([raw]))
    assert again.to_list() == [raw] and frame_again.sum_horizontal().to_list() == [0]


@settings(max_examples=200, deadline=None)
@given(documents)
def test_one_scan_of_an_object_finds_exactly_the_literals_its_strings_hold(doc):
    """redact_obj picks each string's rules from literals found once for the whole object:
    they must be exactly those a substring search of each string finds."""
    from learning_pipeline.capture.redaction import _KEYWORDS, _NEEDS, _NEEDS_LOWER, _scope_of, _string_values

    strings = _string_values(doc, [])
    scope = _scope_of(strings)
    assert set(scope.keywords) == {k for k in _KEYWORDS if any(k in s.lower() for s in strings)}
    assert set(scope.needs) == {n for n in _NEEDS if any(n in s for s in strings)}
    assert set(scope.needs_lower) == {n for n in _NEEDS_LOWER if any(n in s.lower() for s in strings)}


@settings(max_examples=300, deadline=None)
@given(documents)
def test_redact_obj_equals_every_rule_on_every_string(doc):
    """The shortcuts of redact_obj (one literal scan per object, no walk when nothing can
    fire) give what running every rule on every string gives."""
    from learning_pipeline.capture.redaction import _ALL, _redact_member, _redact_text

    counts: Counter = Counter()

    def walk(value):
        if isinstance(value, str):
            redacted, found = _redact_text(value, _ALL)
            counts.update(found)
            return redacted
        if isinstance(value, dict):
            return {k: _redact_member(k, v, counts, _ALL) if isinstance(v, str) and isinstance(k, str) else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    assert redact_obj(doc) == (walk(doc), counts)


# --- the rule sets ------------------------------------------------------------------------------
from learning_pipeline.capture.gitleaks_rules import DUPLICATES, EXCLUDED, load_rules  # noqa: E402
from learning_pipeline.capture.redaction import _GROUP_ANCHORS  # noqa: E402


def test_gitleaks_default_rules_all_load_and_their_anchors_compile_in_rust():
    rules, _ = load_rules()
    assert len(rules) >= 200 and not (EXCLUDED | DUPLICATES) & {rule.id for rule in rules}
    for rule in rules:
        assert rule.pattern.pattern and rule.gate.pattern, rule.id  # compiles with `regex`
    probe = pl.Series(["x"])
    for anchors in _GROUP_ANCHORS.values():
        for anchor in anchors:
            probe.str.contains(anchor)  # compiles with Rust's regex, within its size limit
