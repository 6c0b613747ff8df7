"""Demo data of the partners app (idempotent)."""

from __future__ import annotations

from .models import Industry

# code, English name, Chinese name
INDUSTRIES = [
    ("travel", "Travel", "旅游出行"),
    ("ecommerce", "E-commerce", "电子商务"),
    ("community", "Community & property", "社区物业"),
    ("education", "Education", "教育培训"),
    ("healthcare", "Healthcare", "医疗健康"),
    ("logistics", "Logistics", "物流"),
    ("transport", "Transport", "交通"),
    ("manufacturing", "Manufacturing", "制造业"),
    ("auto", "Automotive", "汽车"),
    ("housing", "Housing & rent", "住房租赁"),
    ("wedding", "Wedding", "婚庆"),
    ("maternal-infant", "Maternal & infant", "母婴"),
    ("home-decoration", "Home decoration", "家装"),
    ("social", "Social", "社交"),
]


def seed_industries() -> dict[str, Industry]:
    industries = {}
    for position, (code, name, name_zh) in enumerate(INDUSTRIES):
        industry, _created = Industry.objects.get_or_create(
            code=code, defaults={"name": name, "name_zh": name_zh, "position": position}
        )
        industries[code] = industry
    return industries


def seed(*, password: str, stdout) -> None:
    industries = seed_industries()
    stdout.write(f"industries: {len(industries)}")
