"""Routes of the partner portal (namespace ``portal``, under ``/portal/``)."""

from django.urls import path

from . import (
    agreements,
    changelog,
    dashboard,
    insights,
    keys,
    notifications,
    onboarding,
    payee,
    payouts,
    revenue,
    sandbox,
    scenarios,
    team,
    webhooks,
)

app_name = "portal"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("switch/", dashboard.switch_partner, name="switch"),
    path("getting-started/", dashboard.getting_started, name="getting-started"),
    # onboarding
    path("apply/", onboarding.apply_company, name="apply"),
    path("apply/contacts/", onboarding.apply_contacts, name="apply-contacts"),
    path("apply/documents/", onboarding.apply_documents, name="apply-documents"),
    path("apply/review/", onboarding.apply_review, name="apply-review"),
    path("application/", onboarding.application_status, name="application"),
    # scenarios
    path("scenarios/", scenarios.scenario_list, name="scenarios"),
    path("scenarios/<slug:code>/", scenarios.scenario_detail, name="scenario"),
    path("scenarios/<slug:code>/offers/", scenarios.scenario_offers, name="scenario-offers"),
    path("scenarios/<slug:code>/invitation/", scenarios.scenario_invitation, name="scenario-invitation"),
    path("scenarios/<slug:code>/move/", scenarios.scenario_move, name="scenario-move"),
    path("scenarios/<slug:code>/leave/", scenarios.scenario_leave, name="scenario-leave"),
    # API keys
    path("keys/", keys.key_list, name="keys"),
    path("keys/new/", keys.key_create, name="key-create"),
    path("keys/issued/<str:token>/", keys.key_issued, name="key-issued"),
    path("keys/<str:prefix>/rotate/", keys.key_rotate, name="key-rotate"),
    path("keys/<str:prefix>/revoke/", keys.key_revoke, name="key-revoke"),
    # webhooks
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/", webhooks.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/rotate/", webhooks.webhook_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/secret/<str:token>/", webhooks.webhook_secret, name="webhook-secret"),
    path("webhooks/<int:pk>/toggle/", webhooks.webhook_toggle, name="webhook-toggle"),
    path("webhooks/<int:pk>/test/", webhooks.webhook_test, name="webhook-test"),
    # revenue
    path("statements/", revenue.statement_list, name="statements"),
    path("statements/<int:pk>/", revenue.statement_detail, name="statement"),
    path("statements/<int:pk>/export.csv", revenue.statement_export, {"fmt": "csv"}, name="statement-csv"),
    path("statements/<int:pk>/export.xlsx", revenue.statement_export, {"fmt": "xlsx"}, name="statement-xlsx"),
    path("disputes/", revenue.dispute_list, name="disputes"),
    path("transactions/", revenue.transaction_list, name="transactions"),
    # agreements
    path("agreements/", agreements.agreement_list, name="agreements"),
    path("agreements/<int:pk>/", agreements.agreement_detail, name="agreement"),
    path("agreements/<int:pk>/accept/", agreements.agreement_accept, name="agreement-accept"),
    path("agreements/<int:pk>/decline/", agreements.agreement_decline, name="agreement-decline"),
    # notifications
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification-read"),
    path(
        "notifications/preferences/",
        notifications.notification_preferences_edit,
        name="notification-preferences",
    ),
    # insights
    path("insights/", insights.insights, name="insights"),
    # team
    path("team/", team.team, name="team"),
    path("team/<int:pk>/role/", team.member_role, name="member-role"),
    path("team/<int:pk>/remove/", team.member_remove, name="member-remove"),
    path("team/<int:pk>/transfer/", team.ownership_transfer, name="ownership-transfer"),
    path("team/invitations/<int:pk>/revoke/", team.invitation_revoke, name="invitation-revoke"),
    # reconcile (payouts): the partner's payouts and remittance advice
    path("payouts/", payouts.payout_list, name="payouts"),
    path("payouts/<int:pk>/", payouts.payout_detail, name="payout"),
    path("payouts/<int:pk>/remittance.pdf", payouts.payout_remittance, {"fmt": "pdf"}, name="payout-pdf"),
    path("payouts/<int:pk>/remittance.csv", payouts.payout_remittance, {"fmt": "csv"}, name="payout-csv"),
    # payee accounts and VAT invoices (payee)
    path("payee-account/", payee.payee_account, name="payee"),
    path("payee-account/change/", payee.payee_account_change, name="payee-change"),
    path("statements/<int:pk>/invoice/", payee.invoice_record, name="statement-invoice"),
    # sandbox keys (sbxkeys): a test key, from the submitted application on
    path("keys/sandbox/new/", keys.key_create_sandbox, name="key-create-sandbox"),
    # sandbox data (sbxdata): the sandbox's simulated settlement and reset
    path("sandbox/", sandbox.sandbox, name="sandbox"),
    # API lifecycle: the changelog and deprecations (docs/api-lifecycle.md)
    path("changelog/", changelog.changelog, name="changelog"),
]
