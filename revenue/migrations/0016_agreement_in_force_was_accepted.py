"""Only accepted agreements settle: the database refuses one in force without its acceptance
(after ``0015`` recorded the acceptance of those in force before acceptance existed)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0015_agreements_accepted_before_acceptance_existed"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='agreement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['active', 'superseded']), _negated=True), models.Q(('accepted_at__isnull', False), models.Q(('acceptance', ''), _negated=True), models.Q(('terms_sha256', ''), _negated=True)), _connector='OR'), name='agreement_in_force_was_accepted'),
        ),
    ]
