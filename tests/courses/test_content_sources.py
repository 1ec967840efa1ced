"""Every checkable fact the shipped content states has a source: each article number
(第70条 / Art. 70), hotline (12351, 120 ...), figure (15公里 / 15 km, 30%, 3,980元 ...)
and year (2024年) found in content/ must be listed in the Tokens column of a table
in content/SOURCES.md, beside its source address and trust label.

Both languages are read and brought to one form, so 第七十条, 第70条, Article 70 and
"Arts. 57, 58 and 89" all name articles by number; 3,980元, ¥3,980 and 3,980 yuan
are the same figure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CONTENT_DIR

SOURCES = CONTENT_DIR / "SOURCES.md"
#: the brief's labels, and [ILLUSTRATIVE] for made-up numbers of a case or a wrong option
TRUST_LABELS = ("[VERIFIED-2]", "[3P]", "[CONFLICT]", "[UNVERIFIED]", "[ILLUSTRATIVE]")

Token = tuple[str, str]

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
POWERS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int:
    """第七十二条 -> 72: a Chinese numeral below ten thousand as an integer."""
    total, digit = 0, 0
    for char in text:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in POWERS:
            total += (digit or 1) * POWERS[char]
            digit = 0
    return total + digit


# Citations that hold digits but are not facts to source here: document numbers
# (人社部发〔2021〕56号, No. 56 [2021]), standards (GB 17761-2024), occupation codes,
# statute sub-items (第（七）项), list markers and clock times.
NOT_FACTS = [
    re.compile(pattern)
    for pattern in (
        r"〔\d{4}〕\d+号",
        r"\d+号文?",
        r"No\.\s*\d+\s*(?:\[\d{4}\]|\(\d{4}\)|,?\s*\d{4})?",
        r"GB\s*\d+(?:-\d{4})?",
        r"\d-\d{2}-\d{2}-\d{2}",
        r"[（(]\s*[一二三四五六七八九十\d]+\s*[)）]",
        r"items?\s*\(\d+\)(?:\s*and\s*\(\d+\))?",
        r"\d{1,2}(?::\d{2})?\s*(?:a\.m\.|p\.m\.)",
        r"\d{1,2}:\d{2}",
        r"\d{1,2}月(?:\d{1,2}日)?",
        r"\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|"
        r"October|November|December)",
        r"(?:Lesson|Level|level|L)\s*\d",
        r"[1-5]级",
    )
]

ARTICLE_ZH = re.compile(r"第([0-9]+|[零〇一二两三四五六七八九十百千]+)条")
ARTICLE_RANGE_ZH = re.compile(r"第([0-9]+)条至第([0-9]+)条")
ARTICLE_EN = re.compile(
    r"\b(?:Articles?|Arts?\.)\s+(\d+(?:\s*(?:,|and|to|–|-)\s*\d+)*)", re.IGNORECASE
)
YEAR = re.compile(r"(?<![\d.,])((?:19|20)\d{2})(?![\d.,%])\s*(年(?!龄)|s\b)?")
# A number with its unit: the unit decides what kind of figure it is.
UNITS = {
    "yuan": r"元|yuan|块",
    "km/h": r"km/h|公里每小时|公里/小时",
    "km": r"公里|km|kilometres?",
    "hour": r"个?小时|hours?|h\b",
    "minute": r"分钟|minutes?|min\b",
    "second": r"秒|seconds?",
    "percent": r"%|％|percent",
    "cm": r"厘米|cm",
    "m": r"米|m\b|metres?",
    "kg": r"公斤|千克|kg",
    "jin": r"斤",
    "gram": r"克|g\b|grams?",
    "age": r"周岁|years? old",
    "day": r"天|日|days?|working days",
    "month": r"个月|months?",
    "year": r"年|years?",
    "times": r"倍|×|times",
    "people": r"人|people|riders|drivers|workers|victims|person-times|人次",
    "count": r"个|家|省|单|件|份|条|名|批|项|辆|台|次|orders|parcels|platforms|provinces|"
    r"stations|cases|lessons|questions|items",
}
UNIT_PATTERN = "|".join(f"(?P<{name.replace('/', '_')}>{rx})" for name, rx in UNITS.items())
NUMBER = r"(?P<number>\d+(?:[.,]\d+)*)\s*(?P<scale>万|千|百|million|thousand)?"
FIGURE = re.compile(rf"(?P<yen>¥)?{NUMBER}\s*(?:多|余|more|plus|\+)?\s*(?:{UNIT_PATTERN})")
BARE_YEN = re.compile(rf"¥\s*{NUMBER}")
HOTLINE = re.compile(r"(?<![\d.,¥])(1[12]\d|999|12\d{3})(?![\d.,%])")
SCALES = {"万": 10_000, "千": 1000, "百": 100, "million": 1_000_000, "thousand": 1000}


def _amount(number: str, scale: str | None) -> str:
    value = float(number.replace(",", "")) if number.count(",") != 1 or "." in number else None
    if value is None:  # 12,5 is a decimal comma only without three digits after it
        whole, part = number.split(",")
        value = float(number.replace(",", "")) if len(part) == 3 else float(f"{whole}.{part}")
    value *= SCALES.get(scale or "", 1)
    return f"{value:g}" if value < 1e15 else str(int(value))


def _articles(text: str) -> Iterator[Token]:
    for first, last in ARTICLE_RANGE_ZH.findall(text):
        for number in range(int(first), int(last) + 1):
            yield ("article", str(number))
    for raw in ARTICLE_ZH.findall(text):
        yield ("article", str(int(raw) if raw.isdigit() else chinese_number(raw)))
    for group in ARTICLE_EN.findall(text):
        numbers = [int(n) for n in re.findall(r"\d+", group)]
        if re.search(r"\bto\b|–|-", group) and len(numbers) == 2:
            numbers = list(range(numbers[0], numbers[1] + 1))
        for number in numbers:
            yield ("article", str(number))


def fact_tokens(text: str) -> set[Token]:
    """The article numbers, hotlines, figures and years a text states, in one form."""
    text = unicodedata.normalize("NFKC", text)
    found = set(_articles(text))
    text = ARTICLE_EN.sub(" ", ARTICLE_ZH.sub(" ", text))
    for pattern in NOT_FACTS:
        text = pattern.sub(" ", text)
    # 12333人社热线: a hotline followed by the name of its service, not a head count
    text = text.replace("人社", " 人社")
    for match in FIGURE.finditer(text):
        unit = next(name for name in UNITS if match.group(name.replace("/", "_")))
        if unit == "year" and YEAR.fullmatch(match["number"]):
            found.add(("year", match["number"]))  # 2024年: a date, not a duration
        elif HOTLINE.fullmatch(match["number"]) and len(match["number"]) == 5:
            found.add(("hotline", match["number"]))  # 12333人社热线
        else:
            found.add(("figure", f"{_amount(match['number'], match['scale'])} {unit}"))
    for match in BARE_YEN.finditer(text):
        found.add(("figure", f"{_amount(match['number'], match['scale'])} yuan"))
    text = FIGURE.sub(" ", BARE_YEN.sub(" ", text))
    for match in YEAR.finditer(text):
        found.add(("year", match.group(1)))
    text = YEAR.sub(" ", text)
    for match in HOTLINE.finditer(text):
        found.add(("hotline", match.group(1)))
    return found


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in ("id", "match_id"):
                yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def content_texts(root: Path) -> Iterator[tuple[Path, str]]:
    """Every text of every shipped course file: front matter, body, banks, course files."""
    for path in sorted((root / "courses").rglob("*")):
        if path.suffix == ".md":
            raw = path.read_text(encoding="utf-8")
            _, front, body = raw.split("---\n", 2)
            for text in _strings(yaml.safe_load(front)):
                yield path, text
            yield path, body
        elif path.suffix in (".yaml", ".yml"):
            for text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
                yield path, text


def listed_tokens(sources: str) -> set[Token]:
    """The tokens the Tokens column of SOURCES.md's tables lists (each in backticks)."""
    listed: set[Token] = set()
    for header, rows in _tables(sources):
        column = header.index("Tokens")
        for row in rows:
            for token in re.findall(r"`([^`]+)`", row[column]):
                listed |= fact_tokens(token)
    return listed


def _tables(text: str) -> Iterator[tuple[list[str], list[list[str]]]]:
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].startswith("|") and index + 1 < len(lines) and "---" in lines[index + 1]:
            header = _cells(lines[index])
            rows = []
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                rows.append(_cells(lines[index]))
                index += 1
            yield header, rows
        else:
            index += 1


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _missing(texts: Iterable[tuple[Path, str]], listed: set[Token]) -> dict[Token, str]:
    missing: dict[Token, str] = {}
    for path, text in texts:
        for token in fact_tokens(text):
            if token not in listed:
                missing.setdefault(token, str(path.relative_to(CONTENT_DIR)))
    return missing


def test_every_article_hotline_figure_and_year_in_content_is_in_sources():
    listed = listed_tokens(SOURCES.read_text(encoding="utf-8"))
    missing = _missing(content_texts(CONTENT_DIR), listed)
    assert missing == {}, "add these to a Tokens cell of content/SOURCES.md: " + "; ".join(
        f"{kind} {value} ({where})" for (kind, value), where in sorted(missing.items())
    )


def test_every_sources_row_has_an_address_and_a_trust_label():
    for header, rows in _tables(SOURCES.read_text(encoding="utf-8")):
        assert {"Fact", "Tokens", "Source", "Trust"} <= set(header), header
        for row in rows:
            source = row[header.index("Source")]
            trust = row[header.index("Trust")]
            made_up = "illustrative" in trust.lower()
            assert made_up or any(label in trust for label in TRUST_LABELS), row
            # A few facts the brief states without an address of its own: the row
            # names the brief's section and says so, rather than pointing anywhere.
            from_brief_alone = re.search(r"brief §\d+(\.\d+)?, which gives no address", source)
            assert made_up or from_brief_alone or re.search(r"https?://", source), row


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("《道路交通安全法》第70条", {("article", "70")}),
        ("第三十七条", {("article", "37")}),
        (
            "Road Traffic Safety Law, Arts. 57, 58 and 89",
            {("article", n) for n in ("57", "58", "89")},
        ),
        ("第72条至第74条", {("article", n) for n in ("72", "73", "74")}),
        ("Arts. 72 to 74", {("article", n) for n in ("72", "73", "74")}),
        ("拨打12351或110", {("hotline", "12351"), ("hotline", "110")}),
        ("每小时15公里", {("figure", "15 km")}),
        ("15 km/h", {("figure", "15 km/h")}),
        ("3,980元", {("figure", "3980 yuan")}),
        ("¥3,980", {("figure", "3980 yuan")}),
        ("1万元以上3万元以下", {("figure", "10000 yuan"), ("figure", "30000 yuan")}),
        ("280多人", {("figure", "280 people")}),
        ("10%", {("figure", "10 percent")}),
        ("2024年3月1日", {("year", "2024")}),
        ("人社部发〔2021〕56号", set()),
        ("MOHRSS Document No. 24 [2025]", set()),
        ("GB 17761-2024", set()),
        ("下午3点", set()),
    ],
)
def test_facts_are_found_in_either_language(text, tokens):
    found = fact_tokens(text)
    assert tokens <= found, found
    if not tokens:
        assert {t for t in found if t[0] != "year"} == set(), found


def test_a_fact_missing_from_sources_is_reported_with_its_file(tmp_path):
    listed = listed_tokens(
        "| Fact | Tokens | Source | Trust |\n|---|---|---|---|\n"
        "| x | `第70条` `122` | https://example.org | [3P] |\n"
    )
    texts = [(CONTENT_DIR / "courses" / "x.md", "第70条：拨打122；罚款50元，热线12348。")]
    assert _missing(texts, listed) == {
        ("figure", "50 yuan"): "courses/x.md",
        ("hotline", "12348"): "courses/x.md",
    }
