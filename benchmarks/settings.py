"""Settings for the benchmark: the production settings module, plus the floor page.

Everything else comes from the environment exactly as in production (run_benchmark.py sets
DEBUG=0, REQUIRE_2FA=1, and only what plain HTTP on 127.0.0.1 needs: no HTTPS redirect, no
secure-only cookies, no HSTS).
"""

from mdo.settings import *  # noqa: F403
from mdo.settings import BASE_DIR, TEMPLATES

# The floor: a bare view rendering a small template, only here (benchmarks/urls.py).
ROOT_URLCONF = "benchmarks.urls"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "benchmarks" / "templates"]}]

# collectstatic for the manifest storage goes under benchmarks/out/ (ignored by git).
STATIC_ROOT = BASE_DIR / "benchmarks" / "out" / "static"
