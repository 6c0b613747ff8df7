"""Settings for the Finance+N partner-ecosystem portal: ``DJANGO_ENV`` picks the module.

``local`` (the default: the embedded default, no server needed) or ``production`` (real
services; refuses to start without them). Both build on ``base``; the test suite uses ``test``
(``portal.settings.test``). Importing settings has no side effects.
"""

import os

if os.environ.get("DJANGO_ENV", "local") == "production":
    from .production import *
else:
    from .local import *
