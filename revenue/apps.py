from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    name = "revenue"
    verbose_name = _("Revenue sharing")
