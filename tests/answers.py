"""The right answer to a question spec, for tests that must pass a quiz."""

from __future__ import annotations

from typing import Any


def correct_answer(spec: dict[str, Any]) -> Any:
    """The answer that scores full marks, in the shape grading expects."""
    kind = spec["type"]
    if kind == "single":
        return next(option["id"] for option in spec["options"] if option["correct"])
    if kind == "multiple":
        return [option["id"] for option in spec["options"] if option["correct"]]
    if kind == "true_false":
        return spec["answer"]
    if kind == "ordering":
        return [item["id"] for item in spec["items"]]
    if kind == "scenario":
        return {part["id"]: correct_answer(part) for part in spec["parts"]}
    raise ValueError(f"unknown question type {kind}")
