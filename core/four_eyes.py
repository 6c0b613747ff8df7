"""Four eyes: whoever made a thing never checks it — not a superuser either.

The *makers* of a maker-checker object are everyone who shaped what the checker decides on:
who drafted or submitted it, who edited its terms, who verified its evidence, who recorded a
payout. Each app says who the makers of its objects are (a selector returning ``Makers``, in
bulk so a list costs a fixed number of queries); this module answers the one question every
service, admin action and inbox row asks, the same way everywhere. It imports no app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# user id → the parts that user played in making the object, as short translated phrases
# ("submitted it", "verified its credit code"): a refusal names them.
Makers = Mapping[int, Sequence[str]]


def makers_add(makers: dict[int, list[str]], user_id: int | None, part: str) -> None:
    """Record that ``user_id`` played ``part``; ``None`` (the system) is nobody's maker."""
    if user_id is None:
        return
    parts = makers.setdefault(user_id, [])
    if part not in parts:
        parts.append(part)


def maker_parts(user, makers: Makers) -> list[str]:
    """What ``user`` made of the object (empty when they are not one of its makers)."""
    pk = getattr(user, "pk", None)
    return list(makers.get(pk, ())) if pk is not None else []


def is_maker(user, makers: Makers) -> bool:
    """Is ``user`` one of the makers? A maker never approves, confirms or decides the object."""
    return bool(maker_parts(user, makers))


def may_check(user, makers: Makers) -> bool:
    """May ``user`` approve, confirm or decide the object? A person who made none of it: the
    system (``None``) checks nothing, whatever permission checks let it do elsewhere."""
    return user is not None and not is_maker(user, makers)
