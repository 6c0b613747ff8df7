"""Writes of the scenarios app (a package: bundles, participation, offers).

Import from here: ``from scenarios.services import offer_quote, offer_as_dict,
scenario_publish, participation_request, ...``.
"""

from scenarios.engine import offer_as_dict

from .bundles import (
    ALLOWED_MOVES,
    ITEM_VALUES,
    SCENARIO_FIELDS,
    bundle_item_add,
    bundle_item_errors,
    bundle_item_remove,
    bundle_item_save,
    bundle_items_save,
    parse_trigger_events,
    scenario_clone,
    scenario_create,
    scenario_new_version,
    scenario_publish,
    scenario_publish_problems,
    scenario_retire,
    scenario_save_draft,
    scenario_status_change,
    scenario_update,
    trigger_events_errors,
)
from .offer_log import offer_log_flush, offer_log_maintain
from .offers import (
    OfferQuote,
    QuotedOffer,
    offer_quote,
    offer_quote_as_dict,
    offer_quote_count,
    offer_quote_counts_flush,
)
from .participation import (
    participation_accept,
    participation_approve,
    participation_decline,
    participation_end,
    participation_invite,
    participation_move,
    participation_reject_invitation,
    participation_request,
    participation_status_change,
)

__all__ = [
    "ALLOWED_MOVES",
    "ITEM_VALUES",
    "SCENARIO_FIELDS",
    "OfferQuote",
    "QuotedOffer",
    "bundle_item_add",
    "bundle_item_errors",
    "bundle_item_remove",
    "bundle_item_save",
    "bundle_items_save",
    "offer_as_dict",
    "offer_log_flush",
    "offer_log_maintain",
    "offer_quote",
    "offer_quote_as_dict",
    "offer_quote_count",
    "offer_quote_counts_flush",
    "parse_trigger_events",
    "participation_accept",
    "participation_approve",
    "participation_decline",
    "participation_end",
    "participation_invite",
    "participation_move",
    "participation_reject_invitation",
    "participation_request",
    "participation_status_change",
    "scenario_clone",
    "scenario_create",
    "scenario_new_version",
    "scenario_publish",
    "scenario_publish_problems",
    "scenario_retire",
    "scenario_save_draft",
    "scenario_status_change",
    "scenario_update",
    "trigger_events_errors",
]
