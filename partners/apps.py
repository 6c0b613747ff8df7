from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        # Register the app's Celery tasks in every process (web too): services start them by
        # name (``core.jobs``), and tasks import services, so services cannot import them.
        from . import tasks  # noqa: F401, PLC0415 - models must be loaded first
