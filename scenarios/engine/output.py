"""The open API's JSON shape of an offer (docs/api.md): money as 2-decimal strings, rates as
decimal-fraction strings with 6 places, optional keys left out when they do not apply."""

from __future__ import annotations

from .money import money_str, rate_str
from .types import Offer, Price, Reward, ScheduleRow

_RATES = ("annual_rate", "fee_rate", "apr", "premium_rate")
_MONEY = ("fee", "premium", "expected_return")


def price_as_dict(price: Price) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in (*_RATES, *_MONEY):
        value = getattr(price, name)
        if value is not None:
            out[name] = rate_str(value) if name in _RATES else money_str(value)
    return out


def reward_as_dict(reward: Reward) -> dict[str, object]:
    out: dict[str, object] = {"kind": reward.kind}
    if reward.amount is not None:
        out["amount"] = money_str(reward.amount)
    if reward.points is not None:
        out["points"] = reward.points
    if reward.description:
        out["description"] = reward.description
    return out


def row_as_dict(row: ScheduleRow) -> dict[str, object]:
    return {
        "period": row.period,
        "principal": money_str(row.principal),
        "interest": money_str(row.interest),
        "fee": money_str(row.fee),
        "payment": money_str(row.payment),
    }


def offer_as_dict(offer: Offer) -> dict[str, object]:
    """``{"product", "category", "price", "reward"?, "schedule"?}`` exactly as the API answers."""
    out: dict[str, object] = {
        "product": offer.product,
        "category": offer.category,
        "price": price_as_dict(offer.price),
    }
    if offer.reward is not None:
        out["reward"] = reward_as_dict(offer.reward)
    if offer.schedule is not None:
        out["schedule"] = [row_as_dict(row) for row in offer.schedule]
    return out
