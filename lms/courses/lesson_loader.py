"""Load one lesson file: the YAML front matter (fields, the decision, the check
questions) and the Markdown body, split into its ``## step [lang]`` sections and
rendered to safe HTML. Pure Python.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from lms.content.errors import ContentError
from lms.content.fields import (
    bool_field,
    id_field,
    int_field,
    seq_field,
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlDocument,
    YamlMapping,
    as_mapping,
    closest,
    compose_yaml,
    field_label,
    language_label,
    quoted,
    read_file_text,
    required_languages,
    scalar_word,
)
from lms.content.schema import (
    LANGUAGES,
    LESSON_KEYS,
    OPTION_ID_RE,
    SECTIONS,
    TAG_RE,
)
from lms.courses.id_registry import CourseIds
from lms.courses.markdown import render_markdown
from lms.courses.question_loader import load_question
from lms.courses.specs import LessonSpec, hash_content

__all__ = ["load_lesson"]

_HEADING_RE = re.compile(r"^(\S+)\s*\[\s*([^\]]*?)\s*\]$")

_heading_parser = MarkdownIt("commonmark").enable("table")


def _decision(m: YamlMapping) -> dict[str, Any]:
    node = m.value("decision")
    if node is None:
        m.missing("decision", msg("add decision with a prompt and 2 to 4 options"))
        return {"prompt": None, "options": []}
    label = msg("the decision")
    d = as_mapping(m.doc, node, m.key_line("decision"), label, label)
    if d is None:
        return {"prompt": None, "options": []}
    d.check_keys(("prompt", "options"))
    prompt = text_field(d, "prompt")
    nodes = seq_field(
        d,
        "options",
        2,
        4,
        lambda n: msg("the decision has %(count)d options: give 2 to 4 options", count=n),
    )
    if nodes is None and not d.has("options"):
        d.missing("options", msg("add 2 to 4 options, each with id, text and consequence"))
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    best: list[str] = []
    for index, option_node in enumerate(nodes or [], 1):
        o = as_mapping(
            d.doc,
            option_node,
            d.doc.line(option_node),
            msg("option %(number)d", number=index),
            msg("an option"),
        )
        if o is None:
            continue
        option_id = id_field(o, pattern=OPTION_ID_RE) if o.has("id") else None
        if option_id is not None:
            o.label = msg("option '%(id)s'", id=option_id)
            if option_id in seen:
                o.doc.error(
                    o.key_line("id"),
                    msg(
                        "duplicate option id '%(id)s' in the decision: give each option its own id",
                        id=option_id,
                    ),
                )
            seen.add(option_id)
        elif not o.has("id"):
            o.missing("id", msg("add id: a, b, c ... (unique within the decision)"))
        o.check_keys(("id", "text", "consequence", "best"))
        is_best = bool_field(o, "best", required=False)
        if is_best:
            best.append(option_id or str(index))
        options.append(
            {
                "id": option_id,
                "text": text_field(o, "text"),
                "consequence": text_field(o, "consequence"),
                "best": is_best,
            }
        )
    if options and not best:
        d.missing("best", msg("mark exactly one option with best: true"))
    elif len(best) > 1:
        m.doc.error(
            d.key_line("options"),
            msg(
                "the decision has %(count)d best options (%(ids)s): mark exactly one with "
                "best: true",
                count=len(best),
                ids=", ".join(best),
            ),
        )
    return {"prompt": prompt, "options": options}


def _sections(
    body: str, first_line: int, path: Path, errors: list[ContentError]
) -> dict[str, dict[str, str]]:
    """Split the body into its ``## step [lang]`` sections and render each to safe HTML."""
    lines = body.split("\n")
    tokens = _heading_parser.parse(body)
    headings = [
        (index, token)
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.level == 0 and token.tag in ("h1", "h2")
    ]
    found: dict[tuple[str, str], tuple[int, str]] = {}

    def err(body_line: int, message: Message) -> None:
        errors.append(ContentError(path, first_line + body_line, message))

    if headings:
        start = headings[0][1].map[0] if headings[0][1].map else 0
        preface = lines[:start]
    else:
        preface = lines
    for offset, text in enumerate(preface):
        if text.strip():
            err(
                offset,
                "text before the first section: put it under a heading such as '## situation [en]'",
            )
            break

    for position, (index, token) in enumerate(headings):
        start, end = token.map or (0, 1)
        title = tokens[index + 1].content.strip()
        next_start = (
            (headings[position + 1][1].map or (len(lines), 0))[0]
            if position + 1 < len(headings)
            else len(lines)
        )
        content = "\n".join(lines[end:next_start])
        if token.markup in ("=", "-"):
            err(
                start,
                msg(
                    "'%(title)s' is underlined with %(markup)s, which makes it a heading: "
                    "leave a blank line before a --- rule, or use '## step [lang]' for a section",
                    title=title,
                    markup=token.markup * 3,
                ),
            )
            continue
        if token.tag == "h1":
            err(
                start,
                msg(
                    "heading '# %(title)s' is not allowed: use ### or deeper inside a section",
                    title=title,
                ),
            )
            continue
        match = _HEADING_RE.match(title)
        if match is None:
            err(
                start,
                msg(
                    "heading '## %(title)s' is not a section: write '## situation [zh_CN]' "
                    "(situation, outcome or rule; zh_CN or en), and use ### inside a section",
                    title=title,
                ),
            )
            continue
        name, lang = match.group(1), match.group(2)
        bad = False
        if name in ("decision", "check"):
            err(
                start,
                msg(
                    "section '%(name)s' does not belong in the body: %(name)s goes in the "
                    "front matter",
                    name=name,
                ),
            )
            bad = True
        elif name not in SECTIONS:
            guess = closest(name, SECTIONS)
            if guess:
                err(
                    start,
                    msg(
                        "unknown section '%(name)s': did you mean '%(guess)s'? use situation, "
                        "outcome or rule",
                        name=name,
                        guess=guess,
                    ),
                )
            else:
                err(
                    start,
                    msg("unknown section '%(name)s': use situation, outcome or rule", name=name),
                )
            bad = True
        if lang not in LANGUAGES:
            err(
                start,
                msg(
                    "unknown language '%(lang)s' in section heading: use [zh_CN] or [en]",
                    lang=lang,
                ),
            )
            bad = True
        if bad:
            continue
        if (name, lang) in found:
            first = first_line + found[(name, lang)][0]
            err(
                start,
                msg(
                    "duplicate section '%(name)s [%(lang)s]' (first at line %(first)d): merge "
                    "them into one",
                    name=name,
                    lang=lang,
                    first=first,
                ),
            )
            continue
        found[(name, lang)] = (start, content)
        if not content.strip() and lang in required_languages():
            err(
                start,
                msg(
                    "%(field)s (%(language)s) is empty: write the %(language)s text",
                    field=field_label(name),
                    language=language_label(lang),
                ),
            )

    html: dict[str, dict[str, str]] = {name: {} for name in SECTIONS}
    for name in SECTIONS:
        for lang in LANGUAGES:
            if (name, lang) not in found:
                if lang in required_languages():
                    err(
                        0,
                        msg(
                            "%(field)s (%(language)s) is missing: add a '## %(name)s [%(lang)s]' "
                            "section to the lesson body",
                            field=field_label(name),
                            language=language_label(lang),
                            name=name,
                            lang=lang,
                        ),
                    )
                continue
            start, content = found[(name, lang)]
            if not content.strip():
                continue
            rendered = render_markdown(content).strip()
            if not rendered:
                err(
                    start,
                    msg(
                        "%(field)s (%(language)s) has nothing left once unsafe HTML is removed: "
                        "write it in Markdown",
                        field=field_label(name),
                        language=language_label(lang),
                    ),
                )
                continue
            html[name][lang] = rendered
    return html


def load_lesson(
    folder: Path,
    name: str,
    position: int,
    ids: CourseIds,
    errors: list[ContentError],
) -> LessonSpec | None:
    """Read ``<name>.md`` of a course folder; None when it has any error."""
    path = folder / f"{name}.md"
    text = read_file_text(path, errors, msg("write the front matter and the six body sections"))
    if text is None:
        return None
    lines = text.split("\n")
    if lines[0].strip() != "---":
        errors.append(
            ContentError(
                path,
                1,
                msg(
                    "lesson has no front matter: start the file with a '---' line, the lesson "
                    "fields, and a closing '---' line"
                ),
            )
        )
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        errors.append(
            ContentError(
                path, 1, msg("front matter is not closed: add a '---' line after the lesson fields")
            )
        )
        return None
    doc = YamlDocument(path, errors, offset=1)
    before = len(errors)
    front = "\n".join(lines[1:closing])
    root = compose_yaml(doc, front) if front.strip() else None
    if root is None:
        if len(errors) == before:
            doc.error(
                1,
                msg(
                    "front matter is empty: add id, title, minutes, decision, rule_source and check"
                ),
            )
        return None
    m = as_mapping(doc, root, doc.line(root), msg("the lesson"), msg("the front matter"))
    if m is None:
        return None
    m.check_keys(LESSON_KEYS)
    lesson_id = id_field(m)
    ids.add(doc, m, lesson_id)
    title = text_field(m, "title")
    minutes = int_field(m, "minutes", 2, 5)
    tags: list[str] = []
    tag_nodes = seq_field(
        m, "tags", 0, None, lambda n: msg("%(field)s must be a list", field=field_label("tags"))
    )
    for tag_node in tag_nodes or []:
        tag = scalar_word(tag_node)
        if tag is None or not TAG_RE.match(tag):
            doc.error(
                doc.line(tag_node),
                msg(
                    "invalid topic %(value)s: use lowercase tags such as traffic",
                    value=quoted(tag_node),
                ),
            )
        elif tag in tags:
            doc.error(doc.line(tag_node), msg("duplicate topic '%(tag)s': list it once", tag=tag))
        else:
            tags.append(tag)
    decision = _decision(m)
    rule_source = text_field(m, "rule_source")
    check_nodes = seq_field(
        m,
        "check",
        1,
        2,
        lambda n: msg("the lesson has %(count)d check questions: give 1 or 2", count=n),
    )
    if check_nodes is None and not m.has("check"):
        m.missing("check", msg("add 1 or 2 check questions"))
    check = []
    for index, node in enumerate(check_nodes or [], 1):
        question = load_question(doc, node, index, "check", ids)
        if question is not None:
            check.append(question)
    html = _sections("\n".join(lines[closing + 1 :]), closing + 2, path, errors)

    if len(errors) != before:
        return None
    content: dict[str, Any] = {
        "id": lesson_id,
        "slug": name,
        "title": title,
        "minutes": minutes,
        "tags": tags,
        "decision": decision,
        "rule_source": rule_source,
        "situation_html": html["situation"],
        "outcome_html": html["outcome"],
        "rule_html": html["rule"],
        "check": check,
    }
    # Position is left out: moving a lesson does not change what it says, and the
    # course hash already covers the order.
    return LessonSpec(
        id=lesson_id or "",
        position=position,
        slug=name,
        title=title or {},
        minutes=minutes or 0,
        tags=tuple(tags),
        decision=decision,
        rule_source=rule_source or {},
        situation_html=html["situation"],
        outcome_html=html["outcome"],
        rule_html=html["rule"],
        check=tuple(check),
        content_hash=hash_content(content),
    )
