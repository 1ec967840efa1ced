"""Write a studio draft or a published course version as a content folder.

The draft data has the shape of the files (see content/README.md)::

    {"course": {id, title, summary, area, occupations, level, quiz: {...}},
     "lessons": [{"slug": "01-red-light", "front": {id, title, minutes, tags,
                  decision, rule_source, check}, "body": {"situation": {"zh_CN": md,
                  "en": md}, "outcome": {...}, "rule": {...}}}],
     "questions": [question in the file shape, ...]}

While writing, every file line is tied to the draft field it came from (a dotted
path such as ``lessons.0.front.decision.options.1.consequence.en``), so the
loader's ``file:line`` errors can be shown next to the field that caused them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from lms.content.schema import (
    BANK_FILE,
    COURSE_FILE,
    LANGUAGES,
    LESSON_NAME_RE,
    QUIZ_KEYS,
    SECTIONS,
)
from lms.courses.markdown import render_markdown
from lms.questions import registry

__all__ = [
    "BANK_FILE",
    "SECTIONS",
    "ExportedCourse",
    "course_zip",
    "draft_files",
    "html_to_markdown",
    "question_to_file",
    "version_to_draft",
    "write_folder",
]

# The quiz block as the export writes it: the bank file name is its own.
_QUIZ_ORDER = tuple(key for key in QUIZ_KEYS if key != "bank")
_resolver = Resolver()


@dataclass
class ExportedCourse:
    """The files of one course and, per file and line, the draft field written there."""

    files: dict[str, str] = field(default_factory=dict)
    fields: dict[tuple[str, int], str] = field(default_factory=dict)

    def field_at(self, name: str, line: int) -> str | None:
        """The draft field written at ``name:line``, or the nearest one above it."""
        for candidate in range(line, 0, -1):
            found = self.fields.get((name, candidate))
            if found is not None:
                return found
        return None


# ------------------------------------------------------------------ YAML out


def _scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly this value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = "" if value is None else str(value)
    plain = (
        text
        and text == text.strip()
        and "\n" not in text
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and text[0] not in "-?:,[]{}#&*!|>'\"%@`"
        and all(char.isprintable() for char in text)
        and _resolver.resolve(ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"
    )
    if plain:
        return text
    # YAML double quotes take the same escapes as JSON's, with \" and \\ .
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(
        char if char.isprintable() or char == " " else _escape_control(char) for char in escaped
    )
    return f'"{escaped}"'


def _escape_control(char: str) -> str:
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class _YamlWriter:
    """Lines of one file, each remembered with the field path it belongs to."""

    def __init__(self, name: str, out: ExportedCourse, first_line: int = 1) -> None:
        self.name = name
        self.out = out
        self.lines: list[str] = []
        self.first_line = first_line

    def emit(self, text: str, path: str) -> None:
        self.lines.append(text)
        self.out.fields[(self.name, self.first_line + len(self.lines) - 1)] = path

    def mapping(self, data: Mapping[str, Any], indent: int, path: str, item: bool = False) -> None:
        first = True
        for key, value in data.items():
            if value is None:
                continue
            lead = " " * indent
            if item and first:
                lead = " " * (indent - 2) + "- "
            child = f"{path}.{key}" if path else str(key)
            # The first key of a list item stands for the whole item in errors.
            where = path if item and first else child
            first = False
            if isinstance(value, Mapping):
                if not value:
                    self.emit(f"{lead}{key}: {{}}", where)
                    continue
                self.emit(f"{lead}{key}:", where)
                self.mapping(value, indent + 2, child)
            elif isinstance(value, list | tuple):
                if not value:
                    self.emit(f"{lead}{key}: []", where)
                    continue
                self.emit(f"{lead}{key}:", where)
                self.sequence(value, indent + 2, child)
            else:
                self.emit(f"{lead}{key}: {_scalar(value)}", where)
        if first and item:
            self.emit(" " * (indent - 2) + "- {}", path)

    def sequence(self, items: Iterable[Any], indent: int, path: str) -> None:
        for index, value in enumerate(items):
            child = f"{path}.{index}"
            if isinstance(value, Mapping):
                self.mapping(value, indent + 2, child, item=True)
            else:
                self.emit(f"{' ' * indent}- {_scalar(value)}", child)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# ------------------------------------------------------------- draft → files


def _slugs(lessons: list[dict[str, Any]]) -> list[str]:
    """File names for the lessons: the stored ones when usable, else made up."""
    names: list[str] = []
    for index, lesson in enumerate(lessons, 1):
        slug = str(lesson.get("slug") or "")
        if not LESSON_NAME_RE.match(slug) or slug.endswith(".md") or slug in names:
            slug = f"{index:02d}-lesson"
            while slug in names:
                slug += "-x"
        names.append(slug)
    return names


def draft_files(data: Mapping[str, Any]) -> ExportedCourse:
    """The content files of a draft, with the field map of every line."""
    out = ExportedCourse()
    course = dict(data.get("course") or {})
    lessons = list(data.get("lessons") or [])
    slugs = _slugs(lessons)
    quiz = dict(course.get("quiz") or {})
    quiz_out = {key: quiz.get(key) for key in _QUIZ_ORDER}
    if not quiz_out["draw_by_tag"]:
        quiz_out["draw_by_tag"] = None
    quiz_out = {"id": quiz_out.pop("id"), "title": quiz_out.pop("title"), "bank": BANK_FILE} | {
        key: value for key, value in quiz_out.items()
    }
    course_out = {
        "id": course.get("id"),
        "title": course.get("title"),
        "summary": course.get("summary"),
        "area": course.get("area"),
        "occupations": list(course.get("occupations") or []),
        "level": course.get("level"),
        # Every language is the default: written only when the course chose fewer.
        "languages": (
            list(course["languages"])
            if course.get("languages") and tuple(course["languages"]) != LANGUAGES
            else None
        ),
        "lessons": slugs,
        "quiz": quiz_out,
    }
    writer = _YamlWriter(COURSE_FILE, out)
    writer.mapping(course_out, 0, "course")
    out.files[COURSE_FILE] = writer.text()

    for index, (lesson, slug) in enumerate(zip(lessons, slugs, strict=True)):
        name = f"{slug}.md"
        prefix = f"lessons.{index}"
        front = _YamlWriter(name, out, first_line=2)
        front.mapping(dict(lesson.get("front") or {}), 0, f"{prefix}.front")
        out.fields[(name, 1)] = f"{prefix}.front"
        lines = ["---", *front.lines, "---"]
        out.fields[(name, len(lines))] = f"{prefix}.front"
        body = lesson.get("body") or {}
        for section in SECTIONS:
            for lang in LANGUAGES:
                path = f"{prefix}.body.{section}.{lang}"
                text = str((body.get(section) or {}).get(lang) or "").strip("\n")
                lines.append("")
                lines.append(f"## {section} [{lang}]")
                out.fields[(name, len(lines) - 1)] = path
                out.fields[(name, len(lines))] = path
                lines.append("")
                out.fields[(name, len(lines))] = path
                for content_line in text.split("\n") if text.strip() else []:
                    lines.append(content_line)
                    out.fields[(name, len(lines))] = path
        out.files[name] = "\n".join(lines) + "\n"

    bank = _YamlWriter(BANK_FILE, out)
    bank.mapping({"questions": list(data.get("questions") or [])}, 0, "")
    out.files[BANK_FILE] = bank.text()
    return out


def bank_yaml(questions: Sequence[Mapping[str, Any]]) -> str:
    """A ``questions.yaml`` holding ``questions`` (file-shaped), as the export writes it."""
    out = ExportedCourse()
    bank = _YamlWriter(BANK_FILE, out)
    bank.mapping({"questions": list(questions)}, 0, "")
    return bank.text()


def write_folder(exported: ExportedCourse, folder: Path) -> Path:
    """Write the files into ``folder`` (created if needed) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in exported.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def course_zip(exported: ExportedCourse, folder_name: str) -> bytes:
    """A zip with the course folder in it, ready to unpack under content/courses/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in exported.files.items():
            archive.writestr(f"{folder_name}/{name}", text)
    return buffer.getvalue()


# ------------------------------------------------------ published → draft


def _texts(value: Mapping[str, Any] | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {lang: str(value.get(lang) or "") for lang in LANGUAGES}


def question_to_file(spec: Mapping[str, Any], kind: str = "bank") -> dict[str, Any]:
    """A graded question spec back in the file shape (``kind``: bank, check or part)."""
    qtype = spec.get("type")
    out: dict[str, Any] = {"id": spec.get("id"), "type": qtype}
    if kind == "bank":
        out["topic"] = spec.get("topic")
        out["difficulty"] = spec.get("difficulty")
        if spec.get("critical"):
            out["critical"] = True
    own: dict[str, Any] = {}
    if qtype in registry.QUESTION_TYPES:
        found = registry.get_type(qtype)
        own = found.to_file(spec, _texts, lambda part: question_to_file(part, "part"))
        out |= {key: own.pop(key) for key in found.leading_keys if key in own}
    out["prompt"] = _texts(spec.get("prompt"))
    out |= own
    out["explanation"] = _texts(spec.get("explanation"))
    if kind != "part":
        out["rule"] = _texts(spec.get("rule"))
    return {key: value for key, value in out.items() if value is not None}


def version_to_draft(course_key: str, area: str, version: Any) -> dict[str, Any]:
    """Draft data for a published ``CourseVersion`` (its lessons' HTML back to Markdown)."""
    policy = dict(version.quiz_policy or {})
    quiz = {"id": version.quiz_key, "title": _texts(version.quiz_title)} | {
        key: policy.get(key) for key in _QUIZ_ORDER if key not in ("id", "title")
    }
    quiz["draw_by_tag"] = dict(policy.get("draw_by_tag") or {})
    course = {
        "id": course_key,
        "title": _texts(version.title),
        "summary": _texts(version.summary),
        "area": area,
        "occupations": list(version.occupations or []),
        "level": version.level,
        "languages": list(version.languages or LANGUAGES),
        "quiz": quiz,
    }
    lessons = []
    for lesson in version.lessons:
        decision = lesson.decision or {}
        front = {
            "id": lesson.key,
            "title": _texts(lesson.title),
            "minutes": lesson.minutes,
            "tags": list(lesson.tags or []),
            "decision": {
                "prompt": _texts(decision.get("prompt")),
                "options": [
                    {
                        "id": option.get("id"),
                        "text": _texts(option.get("text")),
                        "consequence": _texts(option.get("consequence")),
                        "best": True if option.get("best") else None,
                    }
                    for option in decision.get("options") or []
                ],
            },
            "rule_source": _texts(lesson.rule_source),
            "check": [question_to_file(check, "check") for check in lesson.checks or []],
        }
        body = {
            section: {
                lang: html_to_markdown(
                    str((getattr(lesson, f"{section}_html") or {}).get(lang, ""))
                )
                for lang in LANGUAGES
            }
            for section in SECTIONS
        }
        lessons.append({"slug": lesson.slug, "front": _drop_none(front), "body": body})
    questions = [question_to_file(item.question.spec, "bank") for item in version.quiz_questions]
    return {"course": course, "lessons": lessons, "questions": questions}


def _drop_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_drop_none(item) for item in value]
    return value


# ----------------------------------------------------------- HTML → Markdown


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)


_VOID = {"br", "hr"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


_ESCAPE_RE = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY_RE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_BLOCK_START_RE = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])")
_BLOCK_TAGS = {"p", "ul", "ol", "blockquote", "pre", "table", "hr", "h3", "h4", "h5", "h6"}


def _escape_text(text: str) -> str:
    text = _ESCAPE_RE.sub(r"\\\1", text)
    text = _ENTITY_RE.sub(r"\\&", text)
    lines = text.split("\n")
    # A line that starts like a heading, quote or list item must stay prose.
    return "\n".join(
        _BLOCK_START_RE.sub(lambda m: m.group(1) + "\\" + m.group(2), line)
        if _BLOCK_START_RE.match(line)
        else line
        for line in lines
    )


def _inline(nodes: Iterable[_Node | str]) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(_escape_text(node))
        elif node.tag in ("strong", "b"):
            parts.append(f"**{_inline(node.children)}**")
        elif node.tag in ("em", "i"):
            parts.append(f"*{_inline(node.children)}*")
        elif node.tag == "code":
            code = "".join(child for child in node.children if isinstance(child, str))
            fence = "`"
            while fence in code:
                fence += "`"
            pad = " " if code.startswith("`") or code.endswith("`") else ""
            parts.append(f"{fence}{pad}{code}{pad}{fence}")
        elif node.tag == "a":
            href = node.attrs.get("href", "").replace(" ", "%20").replace(")", "%29")
            title = node.attrs.get("title")
            label = _inline(node.children)
            suffix = f' "{title}"' if title else ""
            parts.append(f"[{label}]({href}{suffix})" if href else label)
        elif node.tag == "br":
            parts.append("\\\n")
        else:
            parts.append(_inline(node.children))
    return "".join(parts)


def _blocks(nodes: Iterable[_Node | str]) -> list[str]:
    blocks: list[str] = []
    pending: list[_Node | str] = []

    def flush() -> None:
        text = _inline(pending).strip("\n")
        if text.strip():
            blocks.append(text)
        pending.clear()

    for node in nodes:
        if isinstance(node, str) or node.tag not in _BLOCK_TAGS:
            if isinstance(node, str) and not node.strip() and not pending:
                continue
            pending.append(node)
            continue
        flush()
        blocks.append(_block(node))
    flush()
    return blocks


def _block(node: _Node) -> str:
    if node.tag == "p":
        return _inline(node.children).strip("\n")
    if node.tag in ("h3", "h4", "h5", "h6"):
        return "#" * int(node.tag[1]) + " " + _inline(node.children).strip()
    if node.tag == "hr":
        return "***"
    if node.tag == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if node.tag == "pre":
        code_node = next((c for c in node.children if isinstance(c, _Node)), None)
        source = code_node.children if code_node is not None else node.children
        code = "".join(child for child in source if isinstance(child, str))
        fence = "```"
        while fence in code:
            fence += "`"
        return f"{fence}\n{code.rstrip(chr(10))}\n{fence}"
    if node.tag in ("ul", "ol"):
        return _list(node)
    if node.tag == "table":
        return _table(node)
    return _inline(node.children)


def _list(node: _Node) -> str:
    items = [child for child in node.children if isinstance(child, _Node) and child.tag == "li"]
    loose = any(
        isinstance(child, _Node) and child.tag == "p" for item in items for child in item.children
    )
    rendered = []
    for number, item in enumerate(items, 1):
        marker = f"{number}. " if node.tag == "ol" else "- "
        inner = "\n\n".join(_blocks(item.children)) if loose else _tight_item(item)
        pad = " " * len(marker)
        lines = inner.split("\n") if inner else [""]
        body = [marker + lines[0]] + [pad + line if line else "" for line in lines[1:]]
        rendered.append("\n".join(body))
    return ("\n\n" if loose else "\n").join(rendered)


def _tight_item(item: _Node) -> str:
    parts: list[str] = []
    pending: list[_Node | str] = []
    for child in item.children:
        if isinstance(child, _Node) and child.tag in _BLOCK_TAGS:
            if pending:
                parts.append(_inline(pending).strip("\n"))
                pending = []
            parts.append(_block(child))
        else:
            pending.append(child)
    if pending:
        parts.append(_inline(pending).strip("\n"))
    return "\n".join(part for part in parts if part)


def _table(node: _Node) -> str:
    rows: list[list[str]] = []
    for section in node.children:
        if not isinstance(section, _Node):
            continue
        for row in section.children if section.tag in ("thead", "tbody") else [section]:
            if isinstance(row, _Node) and row.tag == "tr":
                cells = [
                    _inline(cell.children).replace("\n", " ").strip()
                    for cell in row.children
                    if isinstance(cell, _Node) and cell.tag in ("th", "td")
                ]
                rows.append(cells)
    if not rows:
        return ""
    width = len(rows[0])
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] * width) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def html_to_markdown(html: str) -> str:
    """Markdown that renders back to exactly this sanitised HTML.

    When the conversion cannot reproduce the HTML (unusual nesting, emphasis
    that CommonMark reads differently), the HTML itself is returned: Markdown
    allows it and the sanitiser passes it through unchanged.
    """
    html = html.strip()
    if not html:
        return ""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    markdown = "\n\n".join(_blocks(builder.root.children))
    if render_markdown(markdown).strip() == html:
        return markdown
    return html
