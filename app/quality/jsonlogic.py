"""A small JSON-Logic evaluator for CVAT's ``job_filter`` (lookups: id, type, state, stage, assignee,
task_id, task_name). Supports var, ==, !=, ===, !==, <, <=, >, >=, in, and, or, !, !!."""

from __future__ import annotations

import json
from typing import Any


class JsonLogicError(ValueError):
    """The filter is not valid JSON-Logic for jobs."""


def parse(text: str) -> Any:
    text = (text or "").strip()
    if not text or text == "[]":
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise JsonLogicError(f"job_filter is not JSON: {exc}") from exc


def evaluate(rule: Any, data: dict[str, Any]) -> Any:
    if isinstance(rule, list):
        return [evaluate(r, data) for r in rule]
    if not isinstance(rule, dict):
        return rule
    if len(rule) != 1:
        raise JsonLogicError(f"a JSON-Logic operation has exactly one operator: {rule!r}")
    op, args = next(iter(rule.items()))
    if not isinstance(args, list):
        args = [args]
    if op == "var":
        name = args[0] if args else ""
        if name not in data:
            raise JsonLogicError(f"unknown job filter field {name!r}; use one of {sorted(data)}")
        return data[name]
    if op == "and":
        value: Any = True
        for a in args:
            value = evaluate(a, data)
            if not value:
                return value
        return value
    if op == "or":
        value = False
        for a in args:
            value = evaluate(a, data)
            if value:
                return value
        return value
    values = [evaluate(a, data) for a in args]
    if op == "!":
        return not values[0]
    if op == "!!":
        return bool(values[0])
    if op in ("==", "==="):
        return values[0] == values[1]
    if op in ("!=", "!=="):
        return values[0] != values[1]
    if op == "in":
        return values[0] in (values[1] or [])
    if op in ("<", "<=", ">", ">="):
        if len(values) == 3 and op in ("<", "<="):  # between
            lo, mid, hi = values
            return lo < mid < hi if op == "<" else lo <= mid <= hi
        a, b = values[0], values[1]
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    raise JsonLogicError(f"unsupported JSON-Logic operator {op!r}")
