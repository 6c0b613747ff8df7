"""Staff role groups and the permissions each holds.

One place for the staff permission matrix: ``seed_demo`` (and ``sync_staff_roles``) write it to
``auth.Group`` rows, and services check the same permissions with ``user.has_perm``. Auditors
get every ``view_*`` permission and nothing else.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PARTNER_MANAGERS = "Partner managers"
PRODUCT_MANAGERS = "Product managers"
FINANCE_MAKERS = "Finance makers"
FINANCE_CHECKERS = "Finance checkers"
AUDITORS = "Auditors"

GROUP_LABELS = {
    PARTNER_MANAGERS: _("Partner managers"),
    PRODUCT_MANAGERS: _("Product managers"),
    FINANCE_MAKERS: _("Finance makers"),
    FINANCE_CHECKERS: _("Finance checkers"),
    AUDITORS: _("Auditors"),
}

# "app_label.codename" per group, beyond the view permissions every staff group gets on the
# apps it works in. Each capability adds its own permissions here.
GROUP_PERMISSIONS: dict[str, list[str]] = {
    PARTNER_MANAGERS: [
        # partners: onboarding lifecycle, KYB documents, teams, import/export
        "partners.add_industry",
        "partners.change_industry",
        "partners.add_partner",
        "partners.change_partner",
        "partners.submit_partner",
        "partners.review_partner",
        "partners.activate_partner",
        "partners.suspend_partner",
        "partners.terminate_partner",
        "partners.import_partner",
        "partners.export_partner",
        "partners.add_partnerdocument",
        "partners.verify_partnerdocument",
        "partners.add_membership",
        "partners.change_membership",
        "partners.delete_membership",
        "partners.transfer_ownership",
        "partners.add_invitation",
        "partners.change_invitation",
        # partners: open API keys and webhooks
        "partners.add_partnerapikey",
        "partners.revoke_partnerapikey",
        "partners.add_webhookendpoint",
        "partners.change_webhookendpoint",
        # scenarios: inviting partners, deciding their requests to join
        "scenarios.add_participation",
        "scenarios.change_participation",
        "scenarios.decide_participation",
        # staff console: risk signals (escalating suspends the partner)
        "console.decide_risksignal",
        # scenarios: customers' consents (PIPL) exported for an audit
        "scenarios.export_consent",
    ],
    PRODUCT_MANAGERS: [
        # products: the catalog, segment prices, import/export
        "products.add_product",
        "products.change_product",
        "products.change_product_status",
        "products.import_product",
        "products.export_product",
        "products.add_segment",
        "products.change_segment",
        "products.add_segmentprice",
        "products.change_segmentprice",
        "products.delete_segmentprice",
        # scenarios: composing, publishing, versions, participation
        "scenarios.add_scenario",
        "scenarios.change_scenario",
        "scenarios.change_scenario_status",
        "scenarios.add_bundleitem",
        "scenarios.change_bundleitem",
        "scenarios.delete_bundleitem",
        "scenarios.add_participation",
        "scenarios.change_participation",
        "scenarios.decide_participation",
    ],
    FINANCE_MAKERS: [
        # revenue: agreements drafted and submitted, statements prepared, disputes worked,
        # transaction files imported, settlement runs started
        "revenue.add_agreement",
        "revenue.change_agreement",
        "revenue.submit_agreement",
        # a partner's acceptance signed on paper (never by the checker who sent the agreement)
        "revenue.record_agreement_acceptance",
        "revenue.prepare_statement",
        "revenue.pay_statement",
        "revenue.resolve_dispute",
        "revenue.add_adjustment",
        "revenue.import_transaction",
        "revenue.export_transaction",
        "revenue.run_settlement",
        # scenarios: reward campaigns drafted, submitted, closed; budget changes proposed
        "scenarios.add_campaign",
        "scenarios.change_campaign",
        # payouts (reconcile): bank statements imported
        "payouts.reconcile_bankstatement",
        # payouts: batches built and cancelled (batches)
        "payouts.build_payoutbatch",
        "payouts.view_payoutbatch",
        "payouts.view_payout",
        "payouts.view_payoutline",
        # payouts: payee accounts and VAT invoices entered for a partner (never verified by them)
        "payouts.add_payeeaccount",
        "payouts.add_vatinvoice",
    ],
    FINANCE_CHECKERS: [
        # revenue: the checker's side of maker-checker
        "revenue.approve_agreement",
        "revenue.approve_statement",
        "revenue.approve_adjustment",
        "revenue.confirm_statement_payout",
        "revenue.export_transaction",
        # scenarios: campaigns and their budget changes approved (never one's own)
        "scenarios.approve_campaign",
        # payouts (reconcile): entries that did not match decided (never of a file one imported)
        "payouts.decide_bankstatemententry",
        # payouts: batches released (never one's own) and their files downloaded (batches)
        "payouts.release_payoutbatch",
        "payouts.view_payoutbatch",
        "payouts.view_payout",
        "payouts.view_payoutline",
        # payouts: payee accounts verified (numbers seen in full) and VAT invoices reviewed
        "payouts.verify_payeeaccount",
        "payouts.view_payee_account_number",
        "payouts.review_vatinvoice",
    ],
    AUDITORS: [
        "partners.export_partner",  # reading, in a file
        "revenue.export_transaction",
        "scenarios.export_consent",
    ],
}

# "view_" permissions that are not mere viewing: given only by name in GROUP_PERMISSIONS.
NOT_WITH_VIEWING = ("view_payee_account_number",)

# Apps whose records every staff group may view (auditors: all of them).
STAFF_VIEW_APPS = ("partners", "products", "scenarios", "revenue", "payouts")
AUDITOR_VIEW_APPS = (
    "portal",
    "console",
    "partners",
    "products",
    "scenarios",
    "revenue",
    "payouts",
    "django_celery_beat",
    "auth",
)
