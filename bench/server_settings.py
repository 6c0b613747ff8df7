"""Settings of the web server ``bench_api_me`` starts: the product's own, with the bench's
URLconf (the bare view next to the real routes) and rate limits out of the way."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_api_me"
