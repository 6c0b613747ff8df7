"""The console's roll-up and risk tables move to the ``console`` app (console.0001_initial):
here they leave portal's state only. The tables stay as they are, with their data."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('console', '0001_initial'),
        ('portal', '0005_daily_amount_sized_from_transaction_limit'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='risksignalchange',
                    name='signal',
                ),
                migrations.RemoveField(
                    model_name='risksignalchange',
                    name='changed_by',
                ),
                migrations.RemoveField(
                    model_name='scenariocustomersmonthly',
                    name='partner',
                ),
                migrations.RemoveField(
                    model_name='transactiondaily',
                    name='partner',
                ),
                migrations.RemoveField(
                    model_name='transactiondaily',
                    name='product',
                ),
                migrations.DeleteModel(
                    name='RiskSignal',
                ),
                migrations.DeleteModel(
                    name='RiskSignalChange',
                ),
                migrations.DeleteModel(
                    name='ScenarioCustomersMonthly',
                ),
                migrations.DeleteModel(
                    name='TransactionDaily',
                ),
            ],
        ),
    ]
