"""Load and validate ``content/levels.yaml`` (format in the comments at its top)
into frozen track specs.

Pure Python, like the course loader: the CLI, the import and the tests call it
without an app. Every error names the file and line and says how to fix it; all
errors are collected so the file can be fixed in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lms.courses.loader import (
    LANGUAGES,
    OCCUPATIONS,
    ContentError,
    ContentErrors,
    closest,
    quoted,
)

__all__ = [
    "LEVELS_FILE",
    "REQUIREMENT_KINDS",
    "CourseFacts",
    "LevelSpec",
    "Recognition",
    "Requirement",
    "TrackSpec",
    "LevelsSpec",
    "load_levels",
    "read_levels",
]

LEVELS_FILE = "levels.yaml"
REQUIREMENT_KINDS: tuple[str, ...] = (
    "course_passed",
    "lessons_completed",
    "level_held",
    "critical_questions",
    "trainer_signoff",
)
_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "course_passed": ("course", "min_score"),
    "lessons_completed": ("count", "courses"),
    "level_held": ("level",),
    "critical_questions": ("courses",),
    "trainer_signoff": ("id", "title", "description"),
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class CourseFacts:
    """What the levels file may refer to in a course: its lessons and critical questions."""

    key: str
    title: Mapping[str, str]
    lesson_keys: tuple[str, ...]
    critical_keys: tuple[str, ...]


@dataclass(frozen=True)
class Requirement:
    """One condition of a level; ``key`` is stable within the track."""

    key: str
    kind: str
    course: str | None = None
    min_score: int | None = None
    courses: tuple[str, ...] = ()
    count: int | None = None
    level: int | None = None
    title: Mapping[str, str] | None = None
    description: Mapping[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, the one stored with a track version and in evidence."""
        data: dict[str, Any] = {"key": self.key, "kind": self.kind}
        for name in ("course", "min_score", "count", "level"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.courses:
            data["courses"] = list(self.courses)
        if self.title is not None:
            data["title"] = dict(self.title)
        if self.description is not None:
            data["description"] = dict(self.description)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Requirement:
        """Rebuild a requirement stored with ``as_dict``."""
        return cls(
            key=data["key"],
            kind=data["kind"],
            course=data.get("course"),
            min_score=data.get("min_score"),
            courses=tuple(data.get("courses") or ()),
            count=data.get("count"),
            level=data.get("level"),
            title=data.get("title"),
            description=data.get("description"),
        )


@dataclass(frozen=True)
class LevelSpec:
    """One rung of a track: 5 (五级) ... 1 (一级)."""

    level: int
    title: Mapping[str, str]
    summary: Mapping[str, str]
    requirements: tuple[Requirement, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "level": self.level,
            "title": dict(self.title),
            "summary": dict(self.summary),
            "requirements": [requirement.as_dict() for requirement in self.requirements],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelSpec:
        """Rebuild a level stored with ``as_dict``."""
        return cls(
            level=int(data["level"]),
            title=data["title"],
            summary=data["summary"],
            requirements=tuple(Requirement.from_dict(item) for item in data["requirements"]),
        )


@dataclass(frozen=True)
class Recognition:
    """Where learners are pointed for official skill-level recognition."""

    from_level: int
    url: str
    note: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"from_level": self.from_level, "url": self.url, "note": dict(self.note)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recognition:
        """Rebuild from ``as_dict``."""
        return cls(int(data["from_level"]), str(data["url"]), data["note"])


@dataclass(frozen=True)
class TrackSpec:
    """A validated track: an occupation's ladder, lowest level first."""

    key: str
    occupation: str
    title: Mapping[str, str]
    official_occupation: Mapping[str, str] | None
    levels: tuple[LevelSpec, ...]
    recognition: Recognition | None = None
    position: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: what a track version stores and hashes."""
        return {
            "key": self.key,
            "occupation": self.occupation,
            "title": dict(self.title),
            "official_occupation": (
                dict(self.official_occupation) if self.official_occupation else None
            ),
            "levels": [level.as_dict() for level in self.levels],
            "recognition": self.recognition.as_dict() if self.recognition else None,
            "position": self.position,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrackSpec:
        """Rebuild a track stored with ``as_dict``."""
        recognition = data.get("recognition")
        return cls(
            key=data["key"],
            occupation=data["occupation"],
            title=data["title"],
            official_occupation=data.get("official_occupation"),
            levels=tuple(LevelSpec.from_dict(level) for level in data["levels"]),
            recognition=Recognition.from_dict(recognition) if recognition else None,
            position=int(data.get("position", 0)),
        )

    def level(self, number: int) -> LevelSpec | None:
        """The level with this number, if the track has it."""
        return next((level for level in self.levels if level.level == number), None)


@dataclass(frozen=True)
class LevelsSpec:
    """Everything in a levels file."""

    tracks: tuple[TrackSpec, ...]
    recognition: Recognition | None
    source_path: Path


# --------------------------------------------------------------- node reading


@dataclass
class _Reader:
    path: Path
    errors: list[ContentError] = field(default_factory=list)

    def error(self, node: Node | int, message: str) -> None:
        line = node if isinstance(node, int) else node.start_mark.line + 1
        self.errors.append(ContentError(self.path, line, message))

    def mapping(self, node: Node | None, line: int, what: str) -> dict[str, tuple[Node, Node]]:
        """The keys of a mapping node (first of any duplicate), or {} with an error."""
        if not isinstance(node, MappingNode):
            got = "nothing" if node is None else quoted(node)
            self.error(
                line, f"{what} must be a mapping of keys, got {got}: write 'key: value' lines"
            )
            return {}
        fields: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, "a key must be a plain name: remove the brackets")
                continue
            key = str(key_node.value)
            if key in fields:
                first = fields[key][0].start_mark.line + 1
                self.error(
                    key_node, f"duplicate key '{key}' (first at line {first}): keep only one"
                )
                continue
            fields[key] = (key_node, value_node)
        return fields

    def check_keys(
        self, fields: Mapping[str, tuple[Node, Node]], allowed: Sequence[str], where: str
    ) -> None:
        for key, (key_node, _value) in fields.items():
            if key in allowed:
                continue
            guess = closest(key, allowed)
            if guess is not None and guess not in fields:
                self.error(key_node, f"unknown key '{key}' in {where}: did you mean '{guess}'?")
            else:
                self.error(
                    key_node,
                    f"unknown key '{key}' in {where}: remove it (allowed: {', '.join(allowed)})",
                )

    def text(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        key: str,
        line: int,
        where: str,
        required: bool = True,
    ) -> dict[str, str] | None:
        """A bilingual text: a mapping with every language, none empty."""
        if key not in fields:
            if required:
                self.error(line, f"{where} has no {key}: add {key} with zh_CN and en")
            return None
        key_node, node = fields[key]
        if not isinstance(node, MappingNode):
            self.error(
                key_node,
                f"{key} in {where} must be written in both languages: put 'zh_CN: ...' and "
                f"'en: ...' on their own lines under {key}",
            )
            return None
        texts = self.mapping(node, key_node.start_mark.line + 1, key)
        self.check_keys(texts, LANGUAGES, key)
        result: dict[str, str] = {}
        for lang in LANGUAGES:
            if lang not in texts:
                self.error(key_node, f"missing '{lang}' translation in {key} of {where}")
                continue
            lang_node, value = texts[lang]
            text = str(value.value).strip() if isinstance(value, ScalarNode) else ""
            if not isinstance(value, ScalarNode) or value.tag == _NULL or not text:
                self.error(
                    lang_node, f"'{lang}' translation in {key} of {where} is empty: write it"
                )
                continue
            result[lang] = text
        return result if len(result) == len(LANGUAGES) else None

    def integer(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        key: str,
        line: int,
        where: str,
        low: int,
        high: int,
    ) -> int | None:
        wanted = f"a whole number from {low} to {high}"
        if key not in fields:
            self.error(line, f"{where} has no {key}: add {key}: {wanted}")
            return None
        key_node, node = fields[key]
        value = int(node.value) if isinstance(node, ScalarNode) and node.tag == _INT else None
        if value is None or not low <= value <= high:
            self.error(key_node, f"{key} in {where} must be {wanted}, got {quoted(node)}")
            return None
        return value

    def word(
        self, fields: Mapping[str, tuple[Node, Node]], key: str, line: int, where: str
    ) -> tuple[str, int] | None:
        """A plain scalar (an id, a url) and its line."""
        if key not in fields:
            self.error(line, f"{where} has no {key}: add {key}")
            return None
        key_node, node = fields[key]
        if not isinstance(node, ScalarNode) or node.tag != _STR or not str(node.value).strip():
            self.error(key_node, f"{key} in {where} must be plain text, got {quoted(node)}")
            return None
        return str(node.value).strip(), key_node.start_mark.line + 1

    def words(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        key: str,
        line: int,
        where: str,
        required: bool,
    ) -> list[tuple[str, int]] | None:
        """A list of plain scalars (course ids) with their lines."""
        if key not in fields:
            if required:
                self.error(line, f"{where} has no {key}: add {key}: [course-id, ...]")
            return None
        key_node, node = fields[key]
        if not isinstance(node, SequenceNode) or not node.value:
            self.error(key_node, f"{key} in {where} must be a list of course ids, e.g. [logistics]")
            return None
        found: list[tuple[str, int]] = []
        for item in node.value:
            if not isinstance(item, ScalarNode) or item.tag != _STR:
                self.error(item, f"{key} in {where} must list course ids, got {quoted(item)}")
                continue
            found.append((str(item.value).strip(), item.start_mark.line + 1))
        return found


# ------------------------------------------------------------------ the file


def _recognition(reader: _Reader, key_node: Node, node: Node) -> Recognition | None:
    line = key_node.start_mark.line + 1
    fields = reader.mapping(node, line, "recognition")
    if not fields:
        return None
    reader.check_keys(fields, ("from_level", "url", "note"), "recognition")
    from_level = reader.integer(fields, "from_level", line, "recognition", 1, 5)
    url = reader.word(fields, "url", line, "recognition")
    if url is not None and not _URL_RE.match(url[0]):
        reader.error(
            url[1], f"url in recognition must start with http:// or https://, got '{url[0]}'"
        )
        url = None
    note = reader.text(fields, "note", line, "recognition")
    if from_level is None or url is None or note is None:
        return None
    return Recognition(from_level, url[0], note)


def _course_ref(
    reader: _Reader, course: str, line: int, where: str, courses: Mapping[str, CourseFacts] | None
) -> bool:
    if courses is None or course in courses:
        return True
    guess = closest(course, courses)
    hint = f"did you mean '{guess}'?" if guess else f"use one of {', '.join(sorted(courses))}"
    reader.error(line, f"unknown course '{course}' in {where}: {hint}")
    return False


def _requirement(
    reader: _Reader,
    node: Node,
    where: str,
    lower_levels: Sequence[int],
    courses: Mapping[str, CourseFacts] | None,
) -> Requirement | None:
    line = node.start_mark.line + 1
    fields = reader.mapping(node, line, f"a requirement of {where}")
    if not fields:
        return None
    if "kind" not in fields:
        reader.error(
            line,
            f"requirement in {where} has no kind: add kind: one of {', '.join(REQUIREMENT_KINDS)}",
        )
        return None
    kind_node = fields["kind"][1]
    kind = str(kind_node.value) if isinstance(kind_node, ScalarNode) else ""
    if kind not in REQUIREMENT_KINDS:
        guess = closest(kind, REQUIREMENT_KINDS)
        hint = f"did you mean '{guess}'?" if guess else f"use one of {', '.join(REQUIREMENT_KINDS)}"
        reader.error(kind_node, f"unknown requirement kind '{kind}' in {where}: {hint}")
        return None
    label = f"{kind} requirement of {where}"
    reader.check_keys(fields, ("kind", *_KIND_KEYS[kind]), label)
    if kind == "course_passed":
        course = reader.word(fields, "course", line, label)
        score = reader.integer(fields, "min_score", line, label, 1, 100)
        if course is None or score is None or not _course_ref(reader, *course, label, courses):
            return None
        return Requirement(f"course_passed:{course[0]}", kind, course=course[0], min_score=score)
    if kind == "critical_questions":
        listed = reader.words(fields, "courses", line, label, required=True)
        if listed is None:
            return None
        ok = all(_course_ref(reader, name, at, label, courses) for name, at in listed)
        if ok and courses is not None:
            for name, at in listed:
                if not courses[name].critical_keys:
                    reader.error(
                        at,
                        f"course '{name}' has no critical questions: remove it from "
                        f"{label} or mark its safety questions critical: true",
                    )
                    ok = False
        if not ok:
            return None
        names = tuple(sorted({name for name, _at in listed}))
        return Requirement(f"critical_questions:{'+'.join(names)}", kind, courses=names)
    if kind == "lessons_completed":
        count = reader.integer(fields, "count", line, label, 1, 500)
        listed = reader.words(fields, "courses", line, label, required=False)
        if "courses" in fields and listed is None:
            return None
        listed = listed or []
        if not all(_course_ref(reader, name, at, label, courses) for name, at in listed):
            return None
        if count is None:
            return None
        names = tuple(sorted({name for name, _at in listed}))
        if courses is not None:
            pool = [courses[name] for name in names] if names else list(courses.values())
            available = sum(len(course.lesson_keys) for course in pool)
            if count > available:
                where_from = "those courses" if names else "all courses"
                reader.error(
                    fields["count"][0],
                    f"count {count} in {label} is more than the "
                    f"{available} lessons in {where_from}: lower it",
                )
                return None
        suffix = f":{'+'.join(names)}" if names else ""
        return Requirement(f"lessons_completed{suffix}", kind, count=count, courses=names)
    if kind == "level_held":
        level = reader.integer(fields, "level", line, label, 1, 5)
        if level is None:
            return None
        if level not in lower_levels:
            reader.error(
                fields["level"][0],
                f"level_held {level} in {where} must name a level listed before it in this track",
            )
            return None
        return Requirement(f"level_held:{level}", kind, level=level)
    # trainer_signoff
    signoff_id = reader.word(fields, "id", line, label)
    if signoff_id is not None and not _ID_RE.match(signoff_id[0]):
        reader.error(
            signoff_id[1],
            f"invalid id '{signoff_id[0]}' in {label}: use 2-64 lowercase letters, digits and -",
        )
        signoff_id = None
    title = reader.text(fields, "title", line, label)
    description = reader.text(fields, "description", line, label)
    if signoff_id is None or title is None or description is None:
        return None
    return Requirement(
        f"trainer_signoff:{signoff_id[0]}", kind, title=title, description=description
    )


def _level(
    reader: _Reader,
    node: Node,
    track: str,
    previous: Sequence[int],
    courses: Mapping[str, CourseFacts] | None,
) -> LevelSpec | None:
    line = node.start_mark.line + 1
    fields = reader.mapping(node, line, f"a level of track '{track}'")
    if not fields:
        return None
    reader.check_keys(fields, ("level", "title", "summary", "requirements"), "a level")
    number = reader.integer(fields, "level", line, f"a level of track '{track}'", 1, 5)
    where = f"level {number} of track '{track}'" if number else f"a level of track '{track}'"
    ok = number is not None
    if number is not None and previous:
        if number in previous:
            reader.error(fields["level"][0], f"level {number} appears twice in track '{track}'")
            ok = False
        elif number != previous[-1] - 1:
            reader.error(
                fields["level"][0],
                f"levels of track '{track}' go from the lowest up one step at a time: "
                f"after level {previous[-1]} comes level {previous[-1] - 1}, not {number}",
            )
            ok = False
    title = reader.text(fields, "title", line, where)
    summary = reader.text(fields, "summary", line, where)
    requirements: list[Requirement] = []
    if "requirements" not in fields:
        reader.error(line, f"{where} has no requirements: add at least one")
        ok = False
    else:
        key_node, seq = fields["requirements"]
        if not isinstance(seq, SequenceNode) or not seq.value:
            reader.error(key_node, f"requirements of {where} must be a list of one or more items")
            ok = False
        else:
            seen: dict[str, int] = {}
            for item in seq.value:
                requirement = _requirement(reader, item, where, previous, courses)
                if requirement is None:
                    ok = False
                    continue
                at = item.start_mark.line + 1
                if requirement.key in seen:
                    reader.error(
                        at,
                        f"the same requirement ({requirement.key}) is listed twice in "
                        f"{where} (first at line {seen[requirement.key]}): keep one",
                    )
                    ok = False
                    continue
                seen[requirement.key] = at
                requirements.append(requirement)
            if ok and previous and number is not None and f"level_held:{previous[-1]}" not in seen:
                reader.error(
                    key_node,
                    f"{where} must require the level below it: add "
                    f"'- kind: level_held' with 'level: {previous[-1]}'",
                )
                ok = False
    if not ok or title is None or summary is None or number is None:
        return None
    return LevelSpec(number, title, summary, tuple(requirements))


def _track(
    reader: _Reader,
    node: Node,
    position: int,
    recognition: Recognition | None,
    courses: Mapping[str, CourseFacts] | None,
) -> TrackSpec | None:
    line = node.start_mark.line + 1
    fields = reader.mapping(node, line, f"track {position}")
    if not fields:
        return None
    reader.check_keys(
        fields, ("id", "occupation", "title", "official_occupation", "levels"), f"track {position}"
    )
    found = reader.word(fields, "id", line, f"track {position}")
    key = None
    if found is not None:
        if _ID_RE.match(found[0]):
            key = found[0]
        else:
            reader.error(
                found[1], f"invalid track id '{found[0]}': use 2-64 lowercase letters, digits and -"
            )
    where = f"track '{key}'" if key else f"track {position}"
    occupation = reader.word(fields, "occupation", line, where)
    if occupation is not None and occupation[0] not in OCCUPATIONS:
        reader.error(
            occupation[1],
            f"unknown occupation '{occupation[0]}' in {where}: use one of {', '.join(OCCUPATIONS)}",
        )
        occupation = None
    title = reader.text(fields, "title", line, where)
    official = reader.text(fields, "official_occupation", line, where, required=False)
    levels: list[LevelSpec] = []
    ok = True
    if "levels" not in fields:
        reader.error(line, f"{where} has no levels: add levels 5, 4 and 3")
        ok = False
    else:
        key_node, seq = fields["levels"]
        if not isinstance(seq, SequenceNode) or not seq.value:
            reader.error(key_node, f"levels of {where} must be a list of one or more levels")
            ok = False
        else:
            numbers: list[int] = []
            signoffs: dict[str, int] = {}
            for item in seq.value:
                level = _level(reader, item, key or str(position), numbers, courses)
                if level is None:
                    ok = False
                    # Keep counting so later levels are checked against the right step.
                    level_fields = item.value if isinstance(item, MappingNode) else []
                    for k, v in level_fields:
                        if getattr(k, "value", None) == "level" and getattr(v, "tag", "") == _INT:
                            numbers.append(int(v.value))
                    continue
                numbers.append(level.level)
                levels.append(level)
                for requirement in level.requirements:
                    if requirement.kind == "trainer_signoff":
                        if requirement.key in signoffs:
                            reader.error(
                                item,
                                f"sign-off id '{requirement.key.split(':', 1)[1]}' "
                                f"is used twice in {where}: give each its own id",
                            )
                            ok = False
                        signoffs[requirement.key] = level.level
    if not ok or key is None or occupation is None or title is None:
        return None
    return TrackSpec(key, occupation[0], title, official, tuple(levels), recognition, position)


def read_levels(
    path: Path, courses: Mapping[str, CourseFacts] | None = None
) -> tuple[LevelsSpec | None, list[ContentError]]:
    """Validate a levels file; the spec is None when there is any error.

    ``courses`` (course id -> facts) lets the loader check course ids, lesson
    counts and critical questions; without it course references are not checked.
    """
    path = Path(path)
    reader = _Reader(path)
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except OSError as exc:
        return None, [ContentError(path, 1, f"cannot read file ({exc.strerror})")]
    except UnicodeDecodeError:
        return None, [ContentError(path, 1, "file is not valid UTF-8: save it with UTF-8 encoding")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "cannot parse"
        return None, [
            ContentError(
                path,
                line,
                f"YAML syntax error: {problem}: check the "
                "indentation and quote text that contains ': ' or ' #'",
            )
        ]
    except yaml.YAMLError as exc:
        return None, [ContentError(path, 1, f"YAML error: {exc}")]
    fields = reader.mapping(root, 1, "levels.yaml")
    if not fields:
        return None, reader.errors or [ContentError(path, 1, "file is empty: add tracks")]
    reader.check_keys(fields, ("recognition", "tracks"), "levels.yaml")
    recognition = None
    if "recognition" in fields:
        recognition = _recognition(reader, *fields["recognition"])
    tracks: list[TrackSpec] = []
    if "tracks" not in fields:
        reader.error(1, "levels.yaml has no tracks: add a list of tracks")
    else:
        key_node, seq = fields["tracks"]
        if not isinstance(seq, SequenceNode) or not seq.value:
            reader.error(key_node, "tracks must be a list of one or more tracks")
        else:
            seen: dict[str, int] = {}
            for position, item in enumerate(seq.value, start=1):
                track = _track(reader, item, position, recognition, courses)
                if track is None:
                    continue
                at = item.start_mark.line + 1
                if track.key in seen:
                    reader.error(
                        at,
                        f"duplicate track id '{track.key}' (first at line "
                        f"{seen[track.key]}): give each track its own id",
                    )
                    continue
                seen[track.key] = at
                tracks.append(track)
    errors = sorted(reader.errors, key=lambda error: error.line)
    if errors:
        return None, errors
    return LevelsSpec(tuple(tracks), recognition, path), []


def load_levels(path: Path, courses: Mapping[str, CourseFacts] | None = None) -> LevelsSpec:
    """Load a levels file; raise ContentErrors with every problem found."""
    spec, errors = read_levels(path, courses)
    if spec is None:
        raise ContentErrors(errors)
    return spec
