"""The backup drill reuses the revenue fixtures (personas, finance staff, a joined scenario)."""

from tests.revenue.conftest import (  # noqa: F401
    agreement,
    checker,
    joined,
    maker,
    partner,
    scenario,
    scenario_products,
)
