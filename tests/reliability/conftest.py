"""Reliability tests reuse the revenue fixtures (personas, finance staff, a joined scenario)."""

from tests.revenue.conftest import (  # noqa: F401
    agreement,
    alice,
    checker,
    joined,
    maker,
    other_partner,
    partner,
    products,
    scenario,
    scenario_products,
)
