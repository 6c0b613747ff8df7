"""Demo data of the portal shell. Each capability's ``demo`` module adds its own part;
``seed_demo`` calls them in order. Everything here is idempotent."""

from __future__ import annotations

from . import roles, services

DEMO_STAFF = [
    # email, full name, groups, superuser
    ("admin@demo.local", "Demo Admin", [], True),
    (
        "maker@demo.local",
        "Mia Maker",
        [roles.FINANCE_MAKERS, roles.PARTNER_MANAGERS, roles.PRODUCT_MANAGERS],
        False,
    ),
    ("checker@demo.local", "Chen Checker", [roles.FINANCE_CHECKERS, roles.PARTNER_MANAGERS], False),
    ("auditor@demo.local", "Ada Auditor", [roles.AUDITORS], False),
]


def seed_staff(*, password: str) -> dict:
    services.staff_roles_sync()
    users = {}
    for email, full_name, groups, superuser in DEMO_STAFF:
        users[email] = services.staff_user_ensure(
            email=email, password=password, full_name=full_name, groups=groups, superuser=superuser
        )
    return users


def seed(*, password: str, stdout) -> None:
    users = seed_staff(password=password)
    stdout.write(f"staff users: {len(users)}")
