"""The offer request counts wait in each web process and its background writer writes them
(``scenarios.services.offers.quote_counts``): beat no longer drains them, so the schedule that did
(copied into the database by django-celery-beat's scheduler) goes."""

from django.db import migrations

SCHEDULE = "scenarios-offer-quote-counts-flush"


def schedule_remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scenarios", "0008_sandbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_remove, migrations.RunPython.noop)]
