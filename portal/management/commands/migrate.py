"""``migrate`` as the tables' owner: with ``MIGRATION_DATABASE_URL`` set, the migrations run on
that connection (the owner's role, on the same database) instead of the app's (``DATABASE_URL``),
and then the app's role is granted its privileges (``grant_app_role``). Without it, Django's
``migrate`` as is."""

from __future__ import annotations

import environ
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

# The owner's login and where to reach the server; the database's name stays the app's (the
# test runner renames it to the test database, which must be what gets migrated).
CONNECTION_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


class Command(MigrateCommand):
    def handle(self, *args, **options):
        if not settings.MIGRATION_DATABASE_URL:
            return super().handle(*args, **options)
        alias = options["database"]
        connection = connections[alias]
        owner = environ.Env.db_url_config(settings.MIGRATION_DATABASE_URL)
        app_role = connection.settings_dict.get("USER") or ""
        saved = {key: connection.settings_dict.get(key) for key in CONNECTION_KEYS}
        connection.close()
        connection.settings_dict.update({key: owner.get(key) for key in CONNECTION_KEYS})
        try:
            super().handle(*args, **options)
            if connection.vendor == "postgresql" and app_role and app_role != owner.get("USER"):
                call_command("grant_app_role", app_role, database=alias, stdout=self.stdout)
        finally:
            connection.close()
            connection.settings_dict.update(saved)
