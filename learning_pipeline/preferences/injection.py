"""Text that tries to steer a judge or a model ("ignore previous instructions", "score this 100").

A preference pair teaches a model to produce its chosen side. A chosen side that carries such
text was probably chosen *because* it steered the judge, and training on it would teach the
model to steer judges. So pair generation flags these pairs (split `flagged`, the reason in
`flag`) and no training export takes them; a person can look at them in the pairs table. The
rejected side may hold such text: preferring the other side is the right lesson.

The rules look for the text addressing an AI (its instructions, its role, its rubric, its
score, chat-template role tags), not for the words alone: an app builder's code legitimately
holds `{"role": "system"}` messages, a `systemPrompt` variable, "You are now logged in" or a
game's `score = 100`. No library here does this offline (the maintained detectors run a
transformer model from a hub), hence a small set of rules, tested against look-alikes.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

_QUALIFIER = r"(?:previous|prior|above|preceding|earlier|foregoing|original|initial|system|developer)"
_ORDERS = r"(?:instructions?|directions?|directives?|prompts?|guidelines|guidance|commands?|messages?)"
_AI = (r"(?:ai|a\.i\.|assistant|llm|language\s+model|model|judge|grader|evaluator|"
       r"ai\s+(?:judge|reviewer|grader|evaluator|model)|automated\s+(?:judge|reviewer|grader))")

RULES: dict[str, tuple[re.Pattern, ...]] = {
    "ignore_instructions": (
        re.compile(rf"\b(?:ignore|disregard|forget|override|bypass|abandon)\s+(?:all\s+|any\s+|each\s+|every\s+)?"
                   rf"(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+|those\s+)?{_QUALIFIER}\s+{_ORDERS}\b"),
        re.compile(rf"\b(?:ignore|disregard|forget)\s+(?:all|your)\s+(?:of\s+(?:your|the)\s+)?(?:{_ORDERS}|rules)\b"),
        re.compile(r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above)\s+rules\b"),
        re.compile(r"\b(?:ignore|disregard|forget)\s+everything\s+(?:above|before|said\s+before|you\s+(?:were|have\s+been)\s+told)\b"),
    ),
    "role_override": (
        re.compile(r"\byou\s+are\s+(?:now|no\s+longer)\s+(?:an?\s+|the\s+|in\s+)?(?:[a-z-]+\s+){0,2}?"
                   r"(?:assistant|ai|language\s+model|llm|chatbot|judge|grader|evaluator|dan|jailbroken|"
                   r"unrestricted|unfiltered|uncensored|developer\s+mode|god\s*mode)\b"),
        re.compile(r"\bfrom\s+now\s+on,?\s+(?:you|the\s+(?:judge|assistant|model|grader))\s+(?:are|will|must|shall|should)\b"
                   r".{0,60}?\b(?:ignore|disregard|respond|answer|reply|output|score|rate|prefer|obey)\b"),
        re.compile(r"\b(?:dan|developer|god)\s+mode\s+(?:enabled|activated|on)\b|\bdo\s+anything\s+now\b"),
        re.compile(rf"\bpretend\s+(?:that\s+)?(?:you\s+are|to\s+be)\s+(?:an?\s+|the\s+)?(?:[a-z-]+\s+)?{_AI}\b"),
    ),
    "system_prompt": (
        re.compile(r"\b(?:reveal|print|repeat|leak|output|dump|show\s+me|tell\s+me|give\s+me)\s+(?:your|the)\s+"
                   r"(?:full\s+|entire\s+|original\s+|hidden\s+|initial\s+)?(?:system\s+(?:prompt|message)|hidden\s+prompt|"
                   r"initial\s+prompt)\b"),
        re.compile(r"\b(?:reveal|print|repeat|leak|dump)\s+your\s+(?:instructions|prompt)\b"),
        re.compile(r"\b(?:new|updated|override|replacement|real)\s+system\s+(?:prompt|message|instructions?)\b"
                   r"|\bsystem\s+prompt\s+override\b"),
    ),
    "role_tag": (
        re.compile(r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|"
                   r"begin_of_text)\|>"),
        re.compile(r"\[/?inst\]|<<\s*/?sys\s*>>|</?(?:system|sys)>"),
        re.compile(r"(?m)^\s*(?:#{1,4}\s*|\[)?(?:system|assistant|developer)\]?\s*:\s*"
                   r"(?:you\s+(?:are|must|will|should)\b|ignore\b|disregard\b|forget\b|from\s+now\s+on\b|new\s+instructions\b)"),
    ),
    "judge_manipulation": (
        re.compile(r"\b(?:disregard|ignore|forget|skip|bypass)\s+(?:the\s+|your\s+|any\s+|all\s+)?"
                   r"(?:scoring\s+|grading\s+|evaluation\s+|judging\s+)?(?:rubrics?|(?:scoring|grading|evaluation)\s+"
                   r"(?:criteria|guidelines))\b"),
        re.compile(r"\b(?:score|rate|grade|mark|rank)\s+(?:(?:this|the)\s+(?:code|answer|response|design|option|"
                   r"submission|output|file|version)|this|it|me)\s+(?:as\s+|at\s+|with\s+|a\s+)?(?:100|10\s*/\s*10|100\s*/\s*100|perfect|"
                   r"perfectly|the\s+(?:best|highest|winner)|highest|maximum|full\s+marks|5\s+stars)\b"),
        re.compile(r"\b(?:give|assign|award)\s+(?:this|it|me|us|the\s+\w+)\s+(?:a\s+|the\s+)?(?:(?:perfect|maximum|max|top|"
                   r"full)\s+(?:score|marks|rating|grade)|(?:score|rating|grade|mark)\s+of\s+(?:100|10\b|a\s+perfect))"),
        re.compile(r"\b(?:always|you\s+must|you\s+should)\s+(?:prefer|choose|pick|select)\s+"
                   r"(?:this\s+(?:one|response|answer|option|version)|(?:response|option|answer|version)\s+[ab]\b)"),
        re.compile(r"\b(?:correct|right|best|winning)\s+(?:answer|choice|response)\s+is\s+(?:response|option|answer)\s+[ab]\b"),
        re.compile(rf"\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?{_AI}s?\s*[:,\-]"),
        re.compile(r'\{\s*"winner"\s*:\s*"(?:a|b)"'),
    ),
}
REASONS = tuple(RULES)


def _normalised(text: str) -> str:
    """What the rules read: compatibility forms folded (full-width letters), invisible
    characters removed (a zero-width space inside "ignore" hides nothing), case and spacing
    folded, line breaks kept for the line-start rules."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).lower()
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def injection_reasons(text: str | None) -> tuple[str, ...]:
    """The rule families the text trips, in a fixed order; empty for clean text."""
    if not text:
        return ()
    folded = _normalised(text)
    return tuple(reason for reason, patterns in RULES.items() if any(p.search(folded) for p in patterns))
