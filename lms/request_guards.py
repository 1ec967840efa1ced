"""Checks every LMS request passes before a view sees it, so that careless or
hostile input is a clear 4xx and never reaches the database as a 500.

- An id in the URL outside the database's integer range is a page that does
  not exist (404), on SQLite and PostgreSQL alike.
- Text containing NUL or other control characters is refused (PostgreSQL
  cannot store NUL, and no form of ours needs the others).
- A JSON body goes only to views that take JSON, is bounded in size and in
  nesting depth (Python's parser recurses, so 5,000 nested arrays would raise
  RecursionError), and is refused elsewhere: a form view fed JSON would hand
  lists and objects to WTForms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, jsonify, request

from lms.db import ID_MAX, ID_MIN
from lms.i18n import _
from lms.web import UNSAFE_METHODS, error_response

View = TypeVar("View", bound=Callable[..., Any])

#: Deepest nesting a JSON body may have; ours need three levels.
JSON_MAX_DEPTH = 16
#: Largest JSON body a view takes unless it says otherwise.
JSON_MAX_BYTES = 256 * 1024

# C0 controls except tab, line feed and carriage return, plus DEL.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def takes_json(max_bytes: int = JSON_MAX_BYTES) -> Callable[[View], View]:
    """Mark a view that reads a JSON body of at most ``max_bytes``."""

    def decorator(view: View) -> View:
        view.lms_json_max_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return decorator


def json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest, without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def has_control_characters(values: Iterable[Any]) -> bool:
    """Whether any string among ``values`` (nested in lists and dicts too) holds one."""
    pending = list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _CONTROL_CHARACTERS.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def stored_id(value: int | None) -> int | None:
    """``value`` if a database id column can hold it, else None (nothing has that id)."""
    if value is None or not ID_MIN <= value <= ID_MAX:
        return None
    return value


def _refuse(status: int, message: str, as_json: bool) -> Any:
    if as_json:
        return jsonify(error=message, status=status), status
    return error_response(status, message)


def _refuse_out_of_range_ids(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    for value in (values or {}).values():
        if isinstance(value, int) and not ID_MIN <= value <= ID_MAX:
            abort(404)


def _check_body() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    max_bytes = getattr(view, "lms_json_max_bytes", None)
    as_json = max_bytes is not None
    if request.method in UNSAFE_METHODS and request.is_json:
        if max_bytes is None:
            return _refuse(
                415, _("This page takes a form, not JSON. Reload the page and try again."), False
            )
        data = request.get_data(cache=True)
        if len(data) > max_bytes:
            return _refuse(413, _("The request is too large."), as_json)
        if json_depth(data) > JSON_MAX_DEPTH:
            return _refuse(400, _("The request could not be understood."), as_json)
        if has_control_characters([request.get_json(silent=True)]):
            return _refuse(400, _("The text holds characters that cannot be saved."), as_json)
    texts = [*request.args.listvalues(), *request.form.listvalues()]
    if has_control_characters(value for values in texts for value in values):
        return _refuse(400, _("The text holds characters that cannot be saved."), as_json)
    return None


def install_request_guards(bp: Blueprint) -> None:
    """Run the checks on every request to ``bp`` and its nested blueprints."""
    bp.url_value_preprocessor(_refuse_out_of_range_ids)
    bp.before_request(_check_body)
