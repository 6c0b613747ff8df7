"""The WSGI application (gunicorn: ``portal.wsgi:application``).

Once Django is set up, everything loaded so far (modules, settings, every view through the URL
patterns: about a quarter of a million objects) lives as long as the process. ``gc.freeze()``
moves it out of the cyclic garbage collector's reach: a full collection then walks only what
requests created since, instead of pausing a request for ~150 ms to walk the whole process. The
open API's buffered log rows, which outlive a request until the background writer takes them,
would otherwise trigger such a full collection every few hundred calls (docs/architecture.md,
*Memory*).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

get_resolver().resolve("/")  # import every view now (Django would on the first request)
gc.collect()
gc.freeze()
