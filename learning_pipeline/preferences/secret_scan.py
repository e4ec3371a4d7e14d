"""The export's secret check: two independent scanners, so that a miss by one is caught by
the other.

1. detect-secrets (Yelp, PyPI) with its default plugins and filters, the scanner a repository
   would run. It reads the *decoded* text of every string of every export record, one text
   after another in a temporary file, so that code is scanned as code (its KeywordDetector
   sees `password = "..."`, which inside JSON would be `password = \\"...\\"`) and each finding
   maps back to its export line. It is slow (see bench/bench_export_secret_scan.py), which is
   why capture does not use it; an export is small.
2. Our redaction rules (capture.redaction) over the same records. Capture already applied
   them, so they find something only when a secret reached the pairs some other way.

A finding that is one of our own `[REDACTED:kind]` markers is not a secret.

detect-secrets reads some 0.02-0.1 MB/s. The pipeline's export is rewritten on every run
with mostly the same pairs, so the check may keep the digests of lines detect-secrets found
clean (`clean_cache`, keyed by the scanner's version): a line is scanned by it once. Our rules
read every line every time.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from learning_pipeline.capture.redaction import redact_obj
from learning_pipeline.lake import atomic_write_bytes

DETECT_SECRETS = "detect-secrets"
REDACTION_RULES = "redaction-rules"


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based export line
    scanner: str
    kind: str  # the detect-secrets plugin's type, or our secret kind


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _detect_secrets_findings(records: list[object]) -> list[Finding]:
    # imported here: loading detect-secrets' plugins takes a while, and only exports need it
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    # Each distinct text line is scanned once: prompts repeat in every pair of their decision and
    # code lines across versions, so an export holds about 12x more lines than distinct ones
    # (55,508 against 4,721 on 120 simulated builds). A finding maps back to every export line
    # whose record holds that text line.
    owners: dict[str, list[int]] = {}  # text line -> export lines holding it
    for number, record in enumerate(records, start=1):
        for text in _strings(record):
            for text_line in text.splitlines() or [""]:
                holders = owners.setdefault(text_line.replace("\r", " "), [])
                if not holders or holders[-1] != number:
                    holders.append(number)
    scanned = list(owners)
    with tempfile.TemporaryDirectory(prefix="export_scan_") as folder:
        path = Path(folder) / "export_text.txt"
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(text_line + "\n" for text_line in scanned)
        with default_settings():
            found = list(scan_file(str(path)))
    return [
        Finding(number, DETECT_SECRETS, secret.type)
        for secret in found
        if "[REDACTED:" not in (secret.secret_value or "")
        for number in owners[scanned[secret.line_number - 1]]
    ]


def _rule_findings(records: list[object]) -> list[Finding]:
    findings = []
    for number, record in enumerate(records, start=1):
        _, counts = redact_obj(record)
        findings.extend(Finding(number, REDACTION_RULES, kind) for kind in sorted(counts))
    return findings


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def _read_cache(path: Path | None) -> set[str]:
    if path is None or not path.exists():
        return set()
    try:
        cached = json.loads(path.read_text())
    except ValueError:
        return set()
    return set(cached.get("clean", ())) if cached.get("scanner") == _scanner_version() else set()


def _scanner_version() -> str:
    return f"detect-secrets {version('detect-secrets')}"


def scan_export_lines(lines: list[str], clean_cache: Path | None = None) -> list[Finding]:
    """Every secret either scanner finds in the export lines, in line order. A line that is
    not JSON is scanned as one text."""
    records: list[object] = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append(line)
    clean = _read_cache(clean_cache)
    todo = [i for i, line in enumerate(lines) if _digest(line) not in clean]
    found = _detect_secrets_findings([records[i] for i in todo])
    detected = [Finding(todo[f.line - 1] + 1, f.scanner, f.kind) for f in found]
    if clean_cache is not None:
        dirty = {f.line for f in detected}
        clean |= {_digest(lines[i]) for i in todo if i + 1 not in dirty}
        payload = {"scanner": _scanner_version(), "clean": sorted(clean & {_digest(line) for line in lines})}
        atomic_write_bytes(clean_cache, json.dumps(payload).encode())
    findings = detected + _rule_findings(records)
    return sorted(set(findings), key=lambda f: (f.line, f.scanner, f.kind))


def summarise(findings: list[Finding]) -> list[tuple[int, str]]:
    """(line, "scanner: kind, ...") per export line with a finding."""
    by_line: dict[int, list[str]] = {}
    for finding in findings:
        by_line.setdefault(finding.line, []).append(f"{finding.scanner}: {finding.kind}")
    return sorted((line, ", ".join(kinds)) for line, kinds in by_line.items())
