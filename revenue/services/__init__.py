"""Every write of the revenue app. One module per concern; import from here."""

from .agreements import (
    agreement_accept,
    agreement_acceptance_record,
    agreement_approve,
    agreement_create,
    agreement_decline,
    agreement_return,
    agreement_revise,
    agreement_submit,
    agreement_update,
    terms_clean,
)
from .disputes import (
    adjustment_approve,
    adjustment_reject,
    dispute_propose_adjustment,
    dispute_raise,
    dispute_reject,
)
from .ledger import RecordResult, customer_reference, partner_catalog, transactions_record
from .rewards import reward_cost, reward_grant_for_sales, reward_split
from .sandbox import (
    sandbox_catalog,
    sandbox_purge,
    sandbox_reset,
    sandbox_settlement_simulate,
    sandbox_simulated_agreement,
    sandbox_transactions_record,
)
from .settlement import (
    settlement_period_settle,
    settlement_plan,
    settlement_run_fail,
    settlement_run_resume,
    settlement_start,
    statement_generate,
)
from .statements import (
    statement_approve,
    statement_pay,
    statement_payout_confirm,
    statement_payout_return,
    statement_prepare,
)

__all__ = [
    "RecordResult",
    "adjustment_approve",
    "adjustment_reject",
    "agreement_accept",
    "agreement_acceptance_record",
    "agreement_approve",
    "agreement_create",
    "agreement_decline",
    "agreement_return",
    "agreement_revise",
    "agreement_submit",
    "agreement_update",
    "customer_reference",
    "dispute_propose_adjustment",
    "dispute_raise",
    "dispute_reject",
    "partner_catalog",
    "reward_cost",
    "reward_grant_for_sales",
    "reward_split",
    "sandbox_catalog",
    "sandbox_purge",
    "sandbox_reset",
    "sandbox_settlement_simulate",
    "sandbox_simulated_agreement",
    "sandbox_transactions_record",
    "settlement_period_settle",
    "settlement_plan",
    "settlement_run_fail",
    "settlement_run_resume",
    "settlement_start",
    "statement_approve",
    "statement_generate",
    "statement_pay",
    "statement_payout_confirm",
    "statement_payout_return",
    "statement_prepare",
    "terms_clean",
    "transactions_record",
]
