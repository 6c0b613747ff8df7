"""The cluster test's settings (``bin/cluster_test.py``): production, with one relaxation.

Every host of ``make cluster-test`` runs production settings from the environment, exactly as
deploy/ starts them; only this module is named instead (``DJANGO_SETTINGS_MODULE``) so that
webhooks may reach the test's receiver. That receiver is on a private address, which the SSRF
guard rightly refuses; each worker host reaches it through a forwarder on its own loopback,
and ``WEBHOOK_ALLOW_LOOPBACK`` (otherwise only in the test suite) lets a delivery go to
127.0.0.1 over plain HTTP. Never use this module outside the cluster test.
"""

from .production import *

WEBHOOK_ALLOW_LOOPBACK = True

# Beat writes each periodic task's last run to the database after every task it sends (not
# every 3 minutes, Celery's default): /readyz reads it, and the test's fresh hosts are ready
# once beat has sent its first task.
CELERY_BEAT_SYNC_EVERY = 1
