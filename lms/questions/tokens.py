"""Opaque names for what a learner picks from: every option, item, answer and
part id a page shows becomes a short token, computed, never stored, from the
server's secret, the learner, a context (an attempt, a lesson step) and the id,
so the page carries no trace of the answer key, and any process, or an offline
answer replayed later, maps a token back by computing the same tokens again.

The question types rename their own ids (``rename_ids``, ``rename_order``,
``rename_answer``); a learner's form is read against the renamed question and
its answer renamed back, so an id read from the file instead of the page is
simply not an answer. Pure Python: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import base64
import hmac
from typing import Any

from lms.questions.base import FormFields, OptionOrder, Spec
from lms.questions.registry import get_type

__all__ = ["TOKEN_LENGTH", "AnswerTokens"]

#: Characters of a token: 50 bits, so two options of a question never share one.
TOKEN_LENGTH = 10


class AnswerTokens:
    """The tokens one learner sees in one context, and the way back to the ids."""

    def __init__(self, secret: bytes, learner: int, context: str) -> None:
        """Tokens for ``learner`` in ``context`` (``attempt:12``, ``lesson:7:check``)."""
        self._key = hmac.new(secret, f"lms-answer-tokens|{learner}|{context}".encode(), "sha256")
        self._renamed: dict[str, tuple[dict[str, Any], dict[tuple[str, str], str]]] = {}

    def token(self, scope: str, entry_id: str) -> str:
        """The token of ``entry_id`` within ``scope`` (a question id, a part, a set of ids)."""
        mac = self._key.copy()
        mac.update(f"{scope}|{entry_id}".encode())
        text = base64.b32encode(mac.digest()[:8]).decode("ascii").lower()
        return text[:TOKEN_LENGTH]

    def _tokenised(self, spec: Spec) -> tuple[dict[str, Any], dict[tuple[str, str], str]]:
        # Question ids are unique within a context, so they key the cache.
        key = str(spec["id"])
        found = self._renamed.get(key)
        if found is None:
            back: dict[tuple[str, str], str] = {}

            def rename(scope: str, entry_id: str) -> str:
                token = self.token(scope, entry_id)
                if back.setdefault((scope, token), entry_id) != entry_id:
                    raise ValueError(f"two ids of question {spec['id']!r} share a token")
                return token

            renamed = get_type(spec["type"]).rename_ids(spec, rename, spec["id"])
            found = self._renamed[key] = (renamed, back)
        return found

    def question(self, spec: Spec) -> dict[str, Any]:
        """The question as the learner's page names it: every pickable id a token."""
        return self._tokenised(spec)[0]

    def order(self, spec: Spec, option_order: OptionOrder | None) -> Any:
        """An option order of ``spec`` in tokens."""
        return get_type(spec["type"]).rename_order(spec, option_order, self.token, spec["id"])

    def shown_answer(self, spec: Spec, answer: Any) -> Any:
        """A saved (normalised) answer in tokens, to fill the page's inputs again."""
        return get_type(spec["type"]).rename_answer(spec, answer, self.token, spec["id"])

    def answer(self, spec: Spec, raw: Any) -> Any:
        """A raw answer written in tokens, checked and returned in ids (``None`` if blank).

        Raises ``InvalidAnswer`` when it names anything but this learner's tokens."""
        renamed, back = self._tokenised(spec)
        qtype = get_type(spec["type"])
        normalised = qtype.normalise_answer(renamed, raw)

        def original(scope: str, token: str) -> str:
            return back[(scope, token)]

        return qtype.rename_answer(renamed, normalised, original, spec["id"])

    def from_form(self, spec: Spec, fields: FormFields, name: str) -> Any:
        """A question's answer read from a form the learner's page sent, in ids."""
        renamed = self.question(spec)
        return self.answer(spec, get_type(spec["type"]).from_form(renamed, fields, name))
