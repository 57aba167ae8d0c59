"""scripts/run-demo points the demo's mail links at the address it runs on (issue 12 item 17)."""

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "run-demo"


@pytest.mark.parametrize(("port", "url"), [("8123", "http://127.0.0.1:8123"), ("0.0.0.0:9000", "http://0.0.0.0:9000"),
                                           (None, "http://127.0.0.1:8000")])
def test_the_site_url_follows_the_port(port, url):
    # Run only the address lines of the script (the rest installs and migrates).
    lines = SCRIPT.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ADDRESS="))
    snippet = "\n".join(lines[start:start + 3]) + '\necho "$SITE_URL"\n'
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "SITE_URL")}
    if port:
        env["PORT"] = port
    out = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == url
