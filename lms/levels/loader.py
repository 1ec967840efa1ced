"""Load and validate ``content/levels.yaml`` (format in the comments at its top)
into frozen track specs.

Pure Python, like the course loader: the CLI, the import and the tests call it
without an app. Every error names the file and line and says how to fix it; all
errors are collected so the file can be fixed in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lms.content.errors import ContentError, ContentErrors
from lms.content.messages import Message, msg
from lms.content.reader import (
    INT_TAG,
    YamlProblem,
    closest,
    parse_yaml,
)
from lms.content.schema import ID_RE, OCCUPATIONS
from lms.levels import session_requirement
from lms.levels.specs import (
    CourseFacts,
    LevelSpec,
    LevelsSpec,
    Recognition,
    Requirement,
    TrackSpec,
)
from lms.levels.yaml_reader import LevelsReader

__all__ = [
    "REQUIREMENT_KINDS",
    "CourseFacts",
    "LevelSpec",
    "LevelsSpec",
    "Recognition",
    "Requirement",
    "TrackSpec",
    "load_levels",
    "read_levels",
]

REQUIREMENT_KINDS: tuple[str, ...] = (
    "course_passed",
    "lessons_completed",
    "level_held",
    "critical_questions",
    "trainer_signoff",
    session_requirement.KIND,
)
_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "course_passed": ("course", "min_score"),
    "lessons_completed": ("count", "courses"),
    "level_held": ("level",),
    "critical_questions": ("courses",),
    "trainer_signoff": ("id", "title", "description"),
    session_requirement.KIND: session_requirement.KEYS,
}
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


# ------------------------------------------------------------------ the file


def _recognition(reader: LevelsReader, key_node: Node, node: Node) -> Recognition | None:
    line = key_node.start_mark.line + 1
    fields = reader.mapping(node, line, "recognition")
    if not fields:
        return None
    reader.check_keys(fields, ("from_level", "url", "note"), "recognition")
    from_level = reader.integer(fields, "from_level", line, "recognition", 1, 5)
    url = reader.word(fields, "url", line, "recognition")
    if url is not None and not _URL_RE.match(url[0]):
        reader.error(
            url[1],
            msg(
                "url in recognition must start with http:// or https://, got '%(url)s'",
                url=url[0],
            ),
        )
        url = None
    note = reader.text(fields, "note", line, "recognition")
    if from_level is None or url is None or note is None:
        return None
    return Recognition(from_level, url[0], note)


def _course_ref(
    reader: LevelsReader,
    course: str,
    line: int,
    where: Message | str,
    courses: Mapping[str, CourseFacts] | None,
) -> bool:
    if courses is None or course in courses:
        return True
    guess = closest(course, courses)
    hint = (
        msg("did you mean '%(guess)s'?", guess=guess)
        if guess
        else msg("use one of %(choices)s", choices=", ".join(sorted(courses)))
    )
    reader.error(
        line,
        msg(
            "unknown course '%(course)s' in %(where)s: %(hint)s",
            course=course,
            where=where,
            hint=hint,
        ),
    )
    return False


def _requirement(
    reader: LevelsReader,
    node: Node,
    where: Message | str,
    lower_levels: Sequence[int],
    courses: Mapping[str, CourseFacts] | None,
) -> Requirement | None:
    line = node.start_mark.line + 1
    fields = reader.mapping(node, line, msg("a requirement of %(where)s", where=where))
    if not fields:
        return None
    if "kind" not in fields:
        reader.error(
            line,
            msg(
                "requirement in %(where)s has no kind: add kind: one of %(choices)s",
                where=where,
                choices=", ".join(REQUIREMENT_KINDS),
            ),
        )
        return None
    kind_node = fields["kind"][1]
    kind = str(kind_node.value) if isinstance(kind_node, ScalarNode) else ""
    if kind not in REQUIREMENT_KINDS:
        guess = closest(kind, REQUIREMENT_KINDS)
        hint = (
            msg("did you mean '%(guess)s'?", guess=guess)
            if guess
            else msg("use one of %(choices)s", choices=", ".join(REQUIREMENT_KINDS))
        )
        reader.error(
            kind_node,
            msg(
                "unknown requirement kind '%(kind)s' in %(where)s: %(hint)s",
                kind=kind,
                where=where,
                hint=hint,
            ),
        )
        return None
    label = msg("%(kind)s requirement of %(where)s", kind=kind, where=where)
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
                        msg(
                            "course '%(name)s' has no critical questions: remove it from "
                            "%(label)s or mark its safety questions critical: true",
                            name=name,
                            label=label,
                        ),
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
                where_from = msg("those courses") if names else msg("all courses")
                reader.error(
                    fields["count"][0],
                    msg(
                        "count %(count)d in %(label)s is more than the %(available)d lessons in "
                        "%(where_from)s: lower it",
                        count=count,
                        label=label,
                        available=available,
                        where_from=where_from,
                    ),
                )
                return None
        suffix = f":{'+'.join(names)}" if names else ""
        return Requirement(f"lessons_completed{suffix}", kind, count=count, courses=names)
    if kind == session_requirement.KIND:
        return session_requirement.read_session_attended(
            reader, fields, line, label, courses, _course_ref
        )
    if kind == "level_held":
        level = reader.integer(fields, "level", line, label, 1, 5)
        if level is None:
            return None
        if level not in lower_levels:
            reader.error(
                fields["level"][0],
                msg(
                    "level_held %(level)d in %(where)s must name a level listed before it in "
                    "this track",
                    level=level,
                    where=where,
                ),
            )
            return None
        return Requirement(f"level_held:{level}", kind, level=level)
    # trainer_signoff
    signoff_id = reader.word(fields, "id", line, label)
    if signoff_id is not None and not ID_RE.match(signoff_id[0]):
        reader.error(
            signoff_id[1],
            msg(
                "invalid id '%(id)s' in %(label)s: use 2-64 lowercase letters, digits and -",
                id=signoff_id[0],
                label=label,
            ),
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
    reader: LevelsReader,
    node: Node,
    track: str,
    previous: Sequence[int],
    courses: Mapping[str, CourseFacts] | None,
) -> LevelSpec | None:
    line = node.start_mark.line + 1
    a_level = msg("a level of track '%(track)s'", track=track)
    fields = reader.mapping(node, line, a_level)
    if not fields:
        return None
    reader.check_keys(fields, ("level", "title", "summary", "requirements"), msg("a level"))
    number = reader.integer(fields, "level", line, a_level, 1, 5)
    where = (
        msg("level %(number)d of track '%(track)s'", number=number, track=track)
        if number
        else a_level
    )
    ok = number is not None
    if number is not None and previous:
        if number in previous:
            reader.error(
                fields["level"][0],
                msg(
                    "level %(number)d appears twice in track '%(track)s'",
                    number=number,
                    track=track,
                ),
            )
            ok = False
        elif number != previous[-1] - 1:
            reader.error(
                fields["level"][0],
                msg(
                    "levels of track '%(track)s' go from the lowest up one step at a time: "
                    "after level %(previous)d comes level %(next)d, not %(number)d",
                    track=track,
                    previous=previous[-1],
                    next=previous[-1] - 1,
                    number=number,
                ),
            )
            ok = False
    title = reader.text(fields, "title", line, where)
    summary = reader.text(fields, "summary", line, where)
    requirements: list[Requirement] = []
    if "requirements" not in fields:
        reader.error(line, msg("%(where)s has no requirements: add at least one", where=where))
        ok = False
    else:
        key_node, seq = fields["requirements"]
        if not isinstance(seq, SequenceNode) or not seq.value:
            reader.error(
                key_node,
                msg("requirements of %(where)s must be a list of one or more items", where=where),
            )
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
                        msg(
                            "the same requirement (%(key)s) is listed twice in %(where)s (first "
                            "at line %(first)d): keep one",
                            key=requirement.key,
                            where=where,
                            first=seen[requirement.key],
                        ),
                    )
                    ok = False
                    continue
                seen[requirement.key] = at
                requirements.append(requirement)
            if ok and previous and number is not None and f"level_held:{previous[-1]}" not in seen:
                reader.error(
                    key_node,
                    msg(
                        "%(where)s must require the level below it: add '- kind: level_held' "
                        "with 'level: %(level)d'",
                        where=where,
                        level=previous[-1],
                    ),
                )
                ok = False
    if not ok or title is None or summary is None or number is None:
        return None
    return LevelSpec(number, title, summary, tuple(requirements))


def _track(
    reader: LevelsReader,
    node: Node,
    position: int,
    recognition: Recognition | None,
    courses: Mapping[str, CourseFacts] | None,
) -> TrackSpec | None:
    line = node.start_mark.line + 1
    numbered = msg("track %(position)d", position=position)
    fields = reader.mapping(node, line, numbered)
    if not fields:
        return None
    reader.check_keys(
        fields, ("id", "occupation", "title", "official_occupation", "levels"), numbered
    )
    found = reader.word(fields, "id", line, numbered)
    key = None
    if found is not None:
        if ID_RE.match(found[0]):
            key = found[0]
        else:
            reader.error(
                found[1],
                msg(
                    "invalid track id '%(id)s': use 2-64 lowercase letters, digits and -",
                    id=found[0],
                ),
            )
    where = msg("track '%(key)s'", key=key) if key else numbered
    occupation = reader.word(fields, "occupation", line, where)
    if occupation is not None and occupation[0] not in OCCUPATIONS:
        reader.error(
            occupation[1],
            msg(
                "unknown occupation '%(value)s' in %(where)s: use one of %(choices)s",
                value=occupation[0],
                where=where,
                choices=", ".join(OCCUPATIONS),
            ),
        )
        occupation = None
    title = reader.text(fields, "title", line, where)
    official = reader.text(fields, "official_occupation", line, where, required=False)
    levels: list[LevelSpec] = []
    ok = True
    if "levels" not in fields:
        reader.error(line, msg("%(where)s has no levels: add levels 5, 4 and 3", where=where))
        ok = False
    else:
        key_node, seq = fields["levels"]
        if not isinstance(seq, SequenceNode) or not seq.value:
            reader.error(
                key_node,
                msg("levels of %(where)s must be a list of one or more levels", where=where),
            )
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
                        if (
                            getattr(k, "value", None) == "level"
                            and getattr(v, "tag", "") == INT_TAG
                        ):
                            numbers.append(int(v.value))
                    continue
                numbers.append(level.level)
                levels.append(level)
                for requirement in level.requirements:
                    if requirement.kind == "trainer_signoff":
                        if requirement.key in signoffs:
                            reader.error(
                                item,
                                msg(
                                    "sign-off id '%(id)s' is used twice in %(where)s: give each "
                                    "its own id",
                                    id=requirement.key.split(":", 1)[1],
                                    where=where,
                                ),
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
    reader = LevelsReader(path)
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except OSError as exc:
        return None, [
            ContentError(path, 1, msg("cannot read file (%(reason)s)", reason=exc.strerror))
        ]
    except UnicodeDecodeError:
        return None, [
            ContentError(path, 1, msg("file is not valid UTF-8: save it with UTF-8 encoding"))
        ]
    # The pure-Python parser, as this file has always been read: libyaml words
    # some syntax errors differently.
    parsed = parse_yaml(text, loader=yaml.SafeLoader)
    if isinstance(parsed, YamlProblem):
        if not parsed.is_syntax:
            return None, [
                ContentError(path, 1, msg("YAML error: %(problem)s", problem=parsed.problem))
            ]
        return None, [
            ContentError(
                path,
                parsed.line,
                msg(
                    "YAML syntax error: %(problem)s: check the indentation and quote text that "
                    "contains ': ' or ' #'",
                    problem=parsed.problem,
                ),
            )
        ]
    root = parsed
    fields = reader.mapping(root, 1, "levels.yaml")
    if not fields:
        return None, reader.errors or [ContentError(path, 1, msg("file is empty: add tracks"))]
    reader.check_keys(fields, ("recognition", "tracks"), "levels.yaml")
    recognition = None
    if "recognition" in fields:
        recognition = _recognition(reader, *fields["recognition"])
    tracks: list[TrackSpec] = []
    if "tracks" not in fields:
        reader.error(1, msg("levels.yaml has no tracks: add a list of tracks"))
    else:
        key_node, seq = fields["tracks"]
        if not isinstance(seq, SequenceNode) or not seq.value:
            reader.error(key_node, msg("tracks must be a list of one or more tracks"))
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
                        msg(
                            "duplicate track id '%(key)s' (first at line %(first)d): give each "
                            "track its own id",
                            key=track.key,
                            first=seen[track.key],
                        ),
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
