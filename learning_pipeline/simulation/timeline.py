"""The whole simulation: plan builds, run them in start order, emit events in time order."""

from __future__ import annotations

import datetime as dt
import heapq
import random
from typing import Iterator

from learning_pipeline.simulation.build import BuildSim, Event, Project, User
from learning_pipeline.simulation.catalog_apps import APP_KINDS, FEATURES, FLAVOR_TAGS
from learning_pipeline.simulation.sampling import clip, hex_id
from learning_pipeline.simulation.truth import TruthRecord
from learning_pipeline.simulation.vocabulary import DAY_MS
from learning_pipeline.simulation.world import World


def window(days: int, end_date: dt.date | None) -> tuple[int, int, dt.date]:
    end_date = end_date or dt.datetime.now(dt.timezone.utc).date()
    end = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    start = end - dt.timedelta(days=days)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000), end_date


def plan_builds(builds: int, seed: int, days: int, start_ms: int) -> tuple[list[tuple[int, Project, User]], list[User]]:
    rng = random.Random(f"learning-sim/{seed}/plan")
    n_users = max(3, builds // 8)
    users: list[User] = []
    for _ in range(n_users):
        user = User(hex_id(rng, "usr"), clip(rng.betavariate(2.2, 1.8), 0, 1))
        for _ in range(1 + int(rng.random() * 3)):
            kind = APP_KINDS[int(rng.random() * len(APP_KINDS))]
            features = list(FEATURES)
            rng.shuffle(features)
            features = features[: 3 + int(rng.random() * 3)]
            hard = sum(1 for _, is_hard in features if is_hard)
            complexity = clip(hard / 4 + rng.gauss(0, 0.08), 0, 1)
            tags = [kind[1]] + [t for t in FLAVOR_TAGS if rng.random() < 0.3]
            user.projects.append(Project(hex_id(rng, "prj"), user.user_id, kind,
                                          kind[2][int(rng.random() * len(kind[2]))], kind[1], tags, features,
                                          complexity))
        users.append(user)
    # A few heavy users make most builds (Zipf-like weights).
    user_weights = [1.0 / (i + 1) ** 0.8 for i in range(n_users)]
    # Usage grows a little over the window; within a day builds cluster in working hours.
    day_weights = [1.0 + 0.5 * d / max(1, days - 1) for d in range(days)]
    hour_weights = [0.2] * 6 + [0.5, 1.0, 2.0, 3.0, 3.2, 3.0, 2.2, 2.8, 3.2, 3.0, 2.6, 1.8, 1.2, 0.8]  # 00..19h
    plan = []
    days_drawn = rng.choices(range(days), day_weights, k=builds)
    users_drawn = rng.choices(users, user_weights, k=builds)
    for day, user in zip(days_drawn, users_drawn):
        hour = rng.choices(range(20), hour_weights)[0]
        ts = start_ms + day * DAY_MS + hour * 3_600_000 + int(rng.random() * 3_600_000)
        project = user.projects[int(rng.random() * len(user.projects))]
        plan.append((ts, project, user))
    plan.sort(key=lambda item: item[0])
    return plan, users


def generate_events(builds: int, seed: int, days: int, end_date: dt.date | None, secret_rate: float,
              truth: TruthRecord | None = None) -> Iterator[Event]:
    """Every good event of the simulation, in time order."""
    if builds < 0 or days < 1:
        raise ValueError("builds must be >= 0 and days >= 1")
    truth = truth if truth is not None else TruthRecord()
    world = World(seed)
    start_ms, end_ms, _ = window(days, end_date)
    plan, _ = plan_builds(builds, seed, days, start_ms)
    heap: list[tuple[int, int, Event]] = []
    seq = 0
    span = end_ms - start_ms
    for index, (build_start, project, user) in enumerate(plan):
        # Everything that happened before this build started is final: emit it.
        while heap and heap[0][0] < build_start:
            yield heapq.heappop(heap)[2]
        sim = BuildSim(world, truth, seed, index, build_start, (build_start - start_ms) / span, project, user,
                        secret_rate, end_ms - 1000)
        for event in sim.run():
            heapq.heappush(heap, (event.ts, seq, event))
            seq += 1
    while heap:
        yield heapq.heappop(heap)[2]
