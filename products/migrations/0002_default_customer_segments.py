"""The customer segments every deployment prices by; staff can add more in the admin."""

from django.db import migrations

SEGMENTS = [
    # code, English name, Chinese name
    ("standard", "Standard", "标准客户"),
    ("new_customer", "New customer", "新客户"),
    ("vip", "VIP", "VIP 客户"),
    ("small_business", "Small business", "小微企业"),
]


def add_segments(apps, schema_editor):
    Segment = apps.get_model("products", "Segment")
    for position, (code, name, name_zh) in enumerate(SEGMENTS):
        Segment.objects.get_or_create(code=code, defaults={"name": name, "name_zh": name_zh, "position": position})


def remove_segments(apps, schema_editor):
    Segment = apps.get_model("products", "Segment")
    Segment.objects.filter(code__in=[code for code, _name, _zh in SEGMENTS], prices__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("products", "0001_catalog_products_segments")]

    operations = [migrations.RunPython(add_segments, remove_segments)]
