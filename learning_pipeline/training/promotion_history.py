"""The promotion history of a shadow model: every promotion and rollback, in order.

The champion a rollback restores is read from this log, never inferred from timestamps on the
versions: after "promote v1, promote v2, roll back, promote v3", rolling back must restore v1
(the champion v3 replaced), not v2 (the most recently promoted version before v3).

Replaying the log gives a stack of champions: a promotion pushes, a rollback pops. The log is
written before the versions file (a write-ahead log), so a crash between the two writes is
repaired by applying the log's champion on the next locked operation.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

PROMOTIONS_TABLE = "promotion_events"
ACTIONS = ("promote", "rollback")
EVENT_SCHEMA = {
    "model_name": pl.String,
    "seq": pl.Int64,
    "action": pl.String,
    "version": pl.Int64,  # the champion after the event
    "replaced_version": pl.Int64,  # the champion before it (null: the base model)
    "at": pl.Datetime("us", "UTC"),
    "note": pl.String,
}


def champion_stack(events: pl.DataFrame) -> list[int]:
    """The champions in the order they took over, the current one last."""
    stack: list[int] = []
    for action, version in events.sort("seq").select("action", "version").iter_rows():
        if action == "promote":
            stack.append(version)
        elif action == "rollback":
            if len(stack) < 2 or stack[-2] != version:
                raise ValueError(f"the promotion log rolls back to v{version}, but the champion before v{stack[-1] if stack else '?'} "
                                 f"was {('v' + str(stack[-2])) if len(stack) > 1 else 'none'}")
            stack.pop()
        else:
            raise ValueError(f"unknown promotion event {action!r}; expected one of {ACTIONS}")
    return stack


def legacy_history(model: str, versions: pl.DataFrame, champion: dict | None) -> pl.DataFrame:
    """A registry written before the log existed: its champions in promotion order, once, so a
    rollback still has somewhere to go. Marked as inferred in the log it seeds."""
    if champion is None:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    earlier = (
        versions.filter(pl.col("promoted_at").is_not_null() & (pl.col("version") != champion["version"])
                        & (pl.col("promoted_at") < (champion["promoted_at"] or dt.datetime.max.replace(tzinfo=dt.timezone.utc))))
        .sort("promoted_at").get_column("version").to_list()
    )
    chain = [*earlier, champion["version"]]
    rows = [
        {"model_name": model, "seq": i, "action": "promote", "version": v, "replaced_version": chain[i - 1] if i else None,
         "at": None, "note": "inferred from promoted_at: the registry predates the promotion log"}
        for i, v in enumerate(chain)
    ]
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def append(events: pl.DataFrame, model: str, action: str, version: int, replaced: int | None, note: str | None) -> pl.DataFrame:
    seq = int(events.get_column("seq").max()) + 1 if events.height else 0
    row = {"model_name": model, "seq": seq, "action": action, "version": version, "replaced_version": replaced,
           "at": dt.datetime.now(dt.timezone.utc), "note": note}
    return pl.concat([events.select(list(EVENT_SCHEMA)).cast(EVENT_SCHEMA), pl.DataFrame([row], schema=EVENT_SCHEMA)])
