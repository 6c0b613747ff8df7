"""The console's roll-up and risk tables, created by portal.0002 and sized by portal.0005, join
this app in state only: they keep their ``portal_*`` names and their data. Their content types
(and so their permissions, held by the staff groups, and admin log entries) move with them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = ("risksignal", "risksignalchange", "scenariocustomersmonthly", "transactiondaily")


def _move_content_types(apps, *, source, target):
    """Relabel the models' content types rather than leave them behind: the permission rows
    (``decide_risksignal`` held by the partner managers' group) and the admin's log entries point
    at them. On a fresh database there are none yet; post_migrate creates them in ``console``."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if content_type.objects.filter(app_label=target, model=model).exists():
            continue
        content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_to_console(apps, schema_editor):
    _move_content_types(apps, source="portal", target="console")


def content_types_to_portal(apps, schema_editor):
    _move_content_types(apps, source="console", target="portal")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('portal', '0005_daily_amount_sized_from_transaction_limit'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('partners', '0003_api_keys_usage_access_log_webhooks'),
        ('products', '0002_default_customer_segments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='RiskSignal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rule', models.CharField(choices=[('velocity', 'Velocity spike'), ('repeated_amount', 'Repeated amount for one customer'), ('refund_ratio', 'Refunds above the ratio'), ('out_of_range', "Outside the scenario's product range"), ('out_of_hours', 'Out-of-hours burst')], max_length=20, verbose_name='rule')),
                        ('severity', models.CharField(choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High')], max_length=10, verbose_name='severity')),
                        ('subject', models.CharField(help_text='What the signal is about within the partner.', max_length=200, verbose_name='subject')),
                        ('window_start', models.DateField(verbose_name='window start')),
                        ('window_end', models.DateField(verbose_name='window end')),
                        ('evidence', models.JSONField(default=dict, verbose_name='evidence')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('escalated', 'Escalated: partner suspended'), ('dismissed', 'Dismissed')], default='open', editable=False, max_length=15, verbose_name='status')),
                        ('detected_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='detected at')),
                        ('decided_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='decided at')),
                        ('reason', models.TextField(blank=True, editable=False, verbose_name='reason')),
                        ('decided_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                        ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='risk_signals', to='partners.partner', verbose_name='partner')),
                    ],
                    options={
                        'verbose_name': 'risk signal',
                        'verbose_name_plural': 'risk signals',
                        'db_table': 'portal_risksignal',
                        'ordering': ('-detected_at', '-id'),
                        'permissions': [('decide_risksignal', 'Can acknowledge, escalate and dismiss risk signals')],
                    },
                ),
                migrations.CreateModel(
                    name='RiskSignalChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('from_status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('escalated', 'Escalated: partner suspended'), ('dismissed', 'Dismissed')], max_length=15, verbose_name='from')),
                        ('to_status', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('escalated', 'Escalated: partner suspended'), ('dismissed', 'Dismissed')], max_length=15, verbose_name='to')),
                        ('changed_at', models.DateTimeField(auto_now_add=True, verbose_name='changed at')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
                        ('signal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='console.risksignal', verbose_name='risk signal')),
                    ],
                    options={
                        'verbose_name': 'risk signal change',
                        'verbose_name_plural': 'risk signal changes',
                        'db_table': 'portal_risksignalchange',
                        'ordering': ('-changed_at', '-id'),
                    },
                ),
                migrations.CreateModel(
                    name='ScenarioCustomersMonthly',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(help_text='The first day of the month.', verbose_name='month')),
                        ('scenario_code', models.SlugField(max_length=60, verbose_name='scenario code')),
                        ('customers', models.PositiveIntegerField(default=0, verbose_name='customers')),
                        ('cross_sell_customers', models.PositiveIntegerField(default=0, verbose_name='customers with several products')),
                        ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner', verbose_name='partner')),
                    ],
                    options={
                        'verbose_name': 'scenario customers per month',
                        'verbose_name_plural': 'scenario customers per month',
                        'db_table': 'portal_scenariocustomersmonthly',
                    },
                ),
                migrations.CreateModel(
                    name='TransactionDaily',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(verbose_name='business date')),
                        ('scenario_code', models.SlugField(max_length=60, verbose_name='scenario code')),
                        ('kind', models.CharField(max_length=10, verbose_name='kind')),
                        ('count', models.PositiveIntegerField(default=0, verbose_name='transactions')),
                        ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=22, verbose_name='amount')),
                        ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.partner', verbose_name='partner')),
                        ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='products.product', verbose_name='product')),
                    ],
                    options={
                        'verbose_name': 'transactions per day',
                        'verbose_name_plural': 'transactions per day',
                        'db_table': 'portal_transactiondaily',
                    },
                ),
                migrations.AddIndex(
                    model_name='risksignal',
                    index=models.Index(fields=['status', '-detected_at'], name='risk_signal_status_idx'),
                ),
                migrations.AddConstraint(
                    model_name='risksignal',
                    constraint=models.UniqueConstraint(fields=('rule', 'partner', 'subject', 'window_start', 'window_end'), name='risk_signal_once'),
                ),
                migrations.AddConstraint(
                    model_name='risksignal',
                    constraint=models.CheckConstraint(condition=models.Q(('window_end__gte', models.F('window_start'))), name='risk_signal_window_ordered'),
                ),
                migrations.AddConstraint(
                    model_name='risksignal',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'dismissed'), _negated=True), models.Q(('reason', ''), _negated=True), _connector='OR'), name='risk_signal_dismissal_has_reason'),
                ),
                migrations.AddConstraint(
                    model_name='scenariocustomersmonthly',
                    constraint=models.UniqueConstraint(fields=('month', 'partner', 'scenario_code'), name='scenario_customers_monthly_unique'),
                ),
                migrations.AddConstraint(
                    model_name='scenariocustomersmonthly',
                    constraint=models.CheckConstraint(condition=models.Q(('cross_sell_customers__lte', models.F('customers'))), name='scenario_customers_cross_sell_le_customers'),
                ),
                migrations.AddIndex(
                    model_name='transactiondaily',
                    index=models.Index(fields=['day', 'scenario_code'], name='transaction_daily_day_idx'),
                ),
                migrations.AddConstraint(
                    model_name='transactiondaily',
                    constraint=models.UniqueConstraint(fields=('day', 'partner', 'scenario_code', 'product', 'kind'), name='transaction_daily_unique'),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_console, content_types_to_portal),
    ]
