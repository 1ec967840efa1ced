"""The shipped needs survey: the three groups of urgent needs a district's staff
found when they visited riders (rest and supplies, policy advice, skills).

Plain data, no statistics: each option names a concrete need riders and the
stations they use talk about (water, charging, a place to rest at night, first
aid; occupational injury protection, contracts and pay, where to get help;
road safety, scams, safe loading). ``topics`` are lesson tags (``tags:`` in a
lesson's front matter): the results page lists the lessons that carry them.
"""

from __future__ import annotations

from typing import Any

TEMPLATE_KEY = "urgent-needs"


def _option(key: str, zh: str, en: str, *topics: str) -> dict[str, Any]:
    return {"id": key, "zh": zh, "en": en, "topics": list(topics)}


NEEDS_TEMPLATE: dict[str, Any] = {
    "key": TEMPLATE_KEY,
    "title_zh": "骑手急需调查：休息补给、政策咨询、技能培训",
    "title_en": "What riders need most: rest and supplies, policy advice, skills",
    "questions": [
        {
            "kind": "multiple",
            "need_group": "rest",
            "text_zh": "在站点，哪些对你帮助最大？（可多选）",
            "text_en": "What would help you most at a station? (choose any)",
            "options": [
                _option("water", "饮用水", "Drinking water", "help"),
                _option("charging", "手机和电池充电", "Charging a phone or battery", "help"),
                _option("night-rest", "夜间能休息的地方", "A place to rest at night", "help"),
                _option("first-aid", "急救药品和防暑用品", "First aid and heat relief", "health"),
                _option("meal", "热饭和吃饭的地方", "A place to heat and eat a meal", "food"),
            ],
        },
        {
            "kind": "multiple",
            "need_group": "policy",
            "text_zh": "你最想了解哪些政策和权益？（可多选）",
            "text_en": "Which rules and rights would you like explained? (choose any)",
            "options": [
                _option(
                    "injury-cover",
                    "职业伤害保障和工伤",
                    "Occupational injury protection",
                    "injury",
                    "insurance",
                ),
                _option(
                    "contract-pay", "合同、计酬和扣款", "Contracts, pay and deductions", "labour"
                ),
                _option(
                    "where-help",
                    "遇到纠纷去哪里求助",
                    "Where to get help in a dispute",
                    "help",
                ),
                _option(
                    "skill-level",
                    "职业技能等级认定",
                    "Official skill-level recognition",
                    "skills",
                ),
            ],
        },
        {
            "kind": "multiple",
            "need_group": "skills",
            "text_zh": "你想参加哪些技能培训？（可多选）",
            "text_en": "Which skills would you like training in? (choose any)",
            "options": [
                _option(
                    "road-safety", "交通安全和头盔", "Road safety and helmets", "traffic", "road"
                ),
                _option("after-crash", "出了事故怎么办", "What to do after a crash", "accident"),
                _option("scams", "识别诈骗", "Spotting scams", "scams"),
                _option("safe-load", "安全装载和电动车", "Safe loading and e-bikes", "safety"),
            ],
        },
        {
            "kind": "rating",
            "need_group": "rest",
            "text_zh": "跑单途中，找到休息和充电的地方有多容易？（1 很难，5 很容易）",
            "text_en": "How easy is it to find a place to rest and charge on a shift? "
            "(1 very hard, 5 very easy)",
            "options": [],
        },
        {
            "kind": "text",
            "need_group": None,
            "text_zh": "还有什么需要？（只有培训师能看到）",
            "text_en": "Anything else you need? (only trainers see this)",
            "options": [],
        },
    ],
}
