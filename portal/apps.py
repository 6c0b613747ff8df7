from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from partners.models import PartnerStatusChange

        from .notifications import on_status_change

        # Applicants hear of staff decisions by e-mail (the lifecycle writes one row per move).
        post_save.connect(on_status_change, sender=PartnerStatusChange, dispatch_uid="portal-decision-mail")
