"""How the code_quality judge reads a code version: its language, its lines with strings and
comments set apart (most rules must not fire on what a string or a comment says), the nesting
of its control flow, its functions and its imports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

LANGUAGE_OF_SUFFIX = {
    ".ts": "ts", ".mts": "ts", ".tsx": "tsx", ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx",
    ".vue": "jsx", ".svelte": "jsx", ".html": "jsx", ".css": "css", ".scss": "css", ".sass": "css",
    ".less": "css", ".py": "py",
}
TYPED = {"ts", "tsx"}

_JS_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\\n]|\\.)*`')
_PY_STRING = re.compile(r'[rbfuRBFU]{0,2}"(?:[^"\\\n]|\\.)*"|[rbfuRBFU]{0,2}\'(?:[^\'\\\n]|\\.)*\'')
_CONTROL = re.compile(r"^\s*(?:\}\s*)?(?:if|else|for|while|switch|try|catch|finally|elif|except|with|do)\b")
_FUNCTION_START = {
    "script": re.compile(
        r"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\b"
        r"|^\s*(?:export\s+)?(?:const|let|var)\s+\w+\s*=\s*(?:async\s+)?(?:\([^)]*\)|\w+)\s*(?::[^=]*)?=>"
        r"|^\s*\w+\.(?:get|post|put|patch|delete|use)\(.*=>\s*\{\s*$"
        r"|^\s*(?:(?:public|private|protected|static|async)\s+)*(?!(?:if|for|while|switch|catch|return)\b)\w+\s*\([^)]*\)\s*(?::\s*[^{;]+)?\{\s*$"
    ),
    "py": re.compile(r"^\s*(?:async\s+)?def\s+\w+"),
}


@dataclass
class SourceText:
    """One code version split into lines, with strings and comments separated out, because
    most rules must not fire on what a string or a comment says."""

    language: str
    raw: list[str]
    code: list[str]  # strings blanked, comments removed
    with_strings: list[str]  # comments removed
    comments: list[tuple[int, str]]  # (line number, comment text)

    @property
    def family(self) -> str:
        return "css" if self.language == "css" else "py" if self.language == "py" else "script"

    def numbered(self, lines: list[str]):
        return ((i + 1, line) for i, line in enumerate(lines))


def language_of(file_path: str | None, code: str) -> str:
    suffix = PurePosixPath(file_path or "").suffix.lower()
    if suffix in LANGUAGE_OF_SUFFIX:
        return LANGUAGE_OF_SUFFIX[suffix]
    # No usable path (a pairwise prompt may carry none): guess from the text itself.
    if re.search(r"^\s*(?:def|class)\s+\w+.*:\s*$|^\s*(?:from\s+\S+\s+)?import\s+\w+\s*$", code, re.M):
        return "py"
    if re.search(r"^\s*[.#:@]?[\w-]+[^;{}()]*\{\s*$", code, re.M) and not re.search(r"\b(?:function|const|let|=>)\b", code):
        return "css"
    typed = re.search(r"\binterface\s+\w+|:\s*(?:string|number|boolean)\b|<\w+>\(", code)
    if re.search(r"<[A-Za-z][\w.]*[\s>/]", code) and re.search(r"\breturn\s*\(|className=|=>\s*<", code):
        return "tsx" if typed else "jsx"
    return "ts" if typed else "js"


def split_source(code: str, language: str) -> SourceText:
    raw = code.split("\n")
    strings = _PY_STRING if language == "py" else _JS_STRING
    line_comment = "#" if language == "py" else None if language == "css" else "//"
    code_lines, kept_lines, comments = [], [], []
    in_block = False
    for number_, line in enumerate(raw, start=1):
        # Strings become same-length blanks, so a comment found in the blanked line sits at
        # the same columns in the raw one.
        blanked = line if language == "css" else strings.sub(lambda m: '"' + " " * (len(m.group(0)) - 2) + '"', line)
        cuts: list[tuple[int, int]] = []  # comment spans on this line
        position = 0
        while position < len(blanked):
            if in_block:
                end = blanked.find("*/", position)
                stop = len(blanked) if end < 0 else end + 2
                comments.append((number_, line[position:stop]))
                cuts.append((position, stop))
                in_block, position = end < 0, stop
                continue
            starts = [i for i in (blanked.find("/*", position) if language != "py" else -1,
                                  blanked.find(line_comment, position) if line_comment else -1) if i >= 0]
            if not starts:
                break
            first = min(starts)
            if line_comment and blanked.startswith(line_comment, first):
                comments.append((number_, line[first + len(line_comment):]))
                cuts.append((first, len(blanked)))
                break
            in_block, position = True, first
        code_lines.append(_without(blanked, cuts))
        kept_lines.append(_without(line, cuts))
    return SourceText(language, raw, code_lines, kept_lines, comments)


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    for start, stop in reversed(spans):
        text = text[:start] + text[stop:]
    return text


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def control_depth(lines: list[str]) -> tuple[int, int]:
    """Deepest nesting of control statements (if/for/while/try...) and the line where it occurs,
    from indentation, so it works for braces and Python alike."""
    stack: list[int] = []
    deepest, where = 0, 0
    for number_, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        indent = _indent(line)
        while stack and stack[-1] >= indent:
            stack.pop()
        if _CONTROL.match(line):
            stack.append(indent)
            if len(stack) > deepest:
                deepest, where = len(stack), number_
    return deepest, where


def function_spans(source: SourceText) -> list[tuple[int, int]]:
    """(first line, length) of every function, ended by the next line at its own indentation."""
    start_pattern = _FUNCTION_START["py" if source.family == "py" else "script"]
    lines = source.code
    spans = []
    for i, line in enumerate(lines):
        if source.family == "css" or not start_pattern.match(line):
            continue
        indent, end, last = _indent(line), len(lines) - 1, i
        for j in range(i + 1, len(lines)):
            if not lines[j].strip():
                continue
            if _indent(lines[j]) <= indent:
                # a closing brace belongs to the function; Python's next statement does not
                end = j if lines[j].strip()[:1] in "})]" else last
                break
            last = j
        else:
            end = last
        spans.append((i + 1, end - i + 1))
    return spans


def imported_names(line: str, family: str) -> list[str]:
    """The local names an import line binds (`import { a, b as c } from "x"` -> a, c)."""
    if family == "py":
        m = re.match(r"^\s*from\s+(\S+)\s+import\s+(.+)$", line)
        if m:
            return [] if m.group(1) == "__future__" else [
                p.split(" as ")[-1].strip() for p in m.group(2).strip("() ").split(",") if p.strip()]
        m = re.match(r"^\s*import\s+([\w.]+)(?:\s+as\s+(\w+))?\s*$", line)
        return [m.group(2) or m.group(1).split(".")[0]] if m else []
    m = re.match(r"^\s*import\s+(?:type\s+)?(.+?)\s+from\s+", line)
    if not m:
        return []
    names = []
    for part in re.findall(r"\{([^}]*)\}|\*\s+as\s+(\w+)|(\w+)", m.group(1)):
        braced, star, default = part
        if braced:
            names += [n.split(" as ")[-1].replace("type ", "").strip() for n in braced.split(",") if n.strip()]
        else:
            names.append(star or default)
    return names
