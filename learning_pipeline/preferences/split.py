"""The train / held-out split: by build and by content, deterministic and stable as data grows.

A held-out figure means something only if the model never saw the held-out texts. So every
text (chosen or rejected side, normalised for whitespace and case) has a side of its own, per
domain, and a pair is held out only when its build and all its texts are held out; it trains
only when its build and all its texts are on the training side. A pair whose parts straddle
the two sides is dropped from both, and counted: it cannot be held out (one of its texts may
train), and it cannot train (it comes from a held-out build, or it would put a held-out text
into training).

A text's side is the side of its *home build*: the build that showed it first (earliest
arrival in the landing zone; among builds that arrived together, the one a hash of text and
build picks). Why not a plain hash of the text: most texts occur in one build only (a code version,
a fix, a design), and a text hashed independently of its build straddles the split half the
time, throwing most pairs away; with the home build, such a text is simply on its build's
side and its pairs are all kept. A text that recurs across builds (a catalogue option) is held
out with the build share's probability, like a hash would. As data grows the home build of a
text does not move: later arrivals come later. (A text first seen in an older trace landed
later, e.g. a database imported after the fact, keeps the home build it already had.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Iterable

import polars as pl

TRAIN, HELD_OUT, FLAGGED = "train", "held_out", "flagged"
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip().lower()


def _unit(*parts: str) -> float:
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_held_out(build_id: str | None, share: float) -> bool:
    """Deterministic by build: the same build always lands on the same side."""
    return _unit("split", str(build_id)) < share


@dataclass(frozen=True)
class Sighting:
    """A text seen in a build's traces (whether or not it ends up in a pair)."""

    domain: str
    text: str
    build_id: str | None
    received_at: dt.datetime | None  # when the pipeline got the trace (its landing batch)


_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _order(s: Sighting, key: str) -> tuple:
    def when(value: dt.datetime | None) -> dt.datetime:
        if value is None:  # a frame without arrival times (a test, a script): the hash alone decides
            return _FAR_FUTURE
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)

    # Within one arrival (a file ingested, a request posted) no build came first from the
    # pipeline's point of view: a hash of text and build picks the home, so the texts of one
    # batch get independent sides instead of all following the batch's earliest build.
    return when(s.received_at), _unit("home", key, str(s.build_id))


@dataclass
class ContentSplit:
    """Sides of builds and texts; `side` classifies a pair, `None` when its parts straddle."""

    share: float
    _home: dict[tuple[str, str], tuple[tuple, str | None]] = field(default_factory=dict)

    @classmethod
    def from_sightings(cls, share: float, sightings: Iterable[Sighting]) -> "ContentSplit":
        split = cls(share)
        for s in sightings:
            key = (s.domain, normalise(s.text))
            if not key[1]:
                continue
            order = _order(s, "\x1f".join(key))
            known = split._home.get(key)
            if known is None or order < known[0]:
                split._home[key] = (order, s.build_id)
        return split

    def build_side(self, build_id: str | None) -> str:
        return HELD_OUT if is_held_out(build_id, self.share) else TRAIN

    def text_side(self, domain: str, text: str, fallback_build: str | None) -> str:
        """A text never sighted (it should not happen) is at home in the build that shows it now."""
        known = self._home.get((domain, normalise(text)))
        return self.build_side(known[1] if known else fallback_build)

    def side(self, domain: str, build_id: str | None, texts: Iterable[str]) -> str | None:
        build = self.build_side(build_id)
        if all(self.text_side(domain, t, build_id) == build for t in texts):
            return build
        return None


# -- the frames other layers read -------------------------------------------------------------
def training_pairs(pairs: pl.DataFrame, domains: Iterable[str] | None = None) -> pl.DataFrame:
    """Pairs a model may be trained (or a baseline fitted) on: the train side, not flagged."""
    return _side(pairs, TRAIN, domains)


def held_out_pairs(pairs: pl.DataFrame, domains: Iterable[str] | None = None) -> pl.DataFrame:
    """Pairs to evaluate on: never trained on, and none of their texts is in a training pair."""
    return _side(pairs, HELD_OUT, domains)


def _side(pairs: pl.DataFrame, side: str, domains: Iterable[str] | None) -> pl.DataFrame:
    selected = pairs.filter(pl.col("split") == side)
    if domains is not None:
        selected = selected.filter(pl.col("domain").is_in(list(domains)))
    return selected


def content_overlap(held: pl.DataFrame, trained: pl.DataFrame) -> pl.DataFrame:
    """Held-out pairs with a chosen or rejected text (normalised) that is also a side of a
    trained pair of the same domain; empty when the split holds."""
    seen = {
        (domain, normalise(text))
        for column in ("chosen", "rejected")
        for domain, text in trained.select("domain", column).iter_rows()
    }
    mask = [
        (d, normalise(c)) in seen or (d, normalise(r)) in seen
        for d, c, r in held.select("domain", "chosen", "rejected").iter_rows()
    ]
    return held.filter(pl.Series(mask, dtype=pl.Boolean)) if held.height else held
