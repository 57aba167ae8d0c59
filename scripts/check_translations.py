"""Check the Dutch translation: every string of the code is in the .po file, translated, not
fuzzy, and the committed .mo file is the compiled .po. Exit 1 with a list when not.

Run from the project root: python scripts/check_translations.py [--update]
With --update it runs makemessages and msgfmt and rewrites the files instead of checking.
"""

import ast
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "nl" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
MAKEMESSAGES = [sys.executable, "manage.py", "makemessages", "-l", "nl", "--no-obsolete",
                "--no-location", "--ignore=.venv/*", "--ignore=static/vendor/*",
                "--ignore=tests/*", "--ignore=benchmarks/*", "--ignore=scripts/*"]


def parse_po(path):
    """{(msgctxt, msgid): {"str": [msgstr...], "fuzzy": bool}} for a .po file."""
    entries = {}
    current = None
    key = None
    fuzzy = False

    def finish():
        if current is not None and current.get("msgid", "") != "":
            entries[(current.get("msgctxt"), current["msgid"])] = {
                "str": current.get("msgstr", []), "fuzzy": current["fuzzy"]}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
            continue
        if not line or line.startswith("#"):
            if not line and current is not None:
                finish()
                current = None
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgstr":
                current["msgstr"][-1] += value
            else:
                current[key] += value
            continue
        word, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if current is None or (word in ("msgid", "msgctxt") and "msgstr" in current):
            finish()
            current = {"fuzzy": fuzzy}
            fuzzy = False
        if word.startswith("msgstr"):
            current.setdefault("msgstr", []).append(value)
            key = "msgstr"
        else:
            current[word] = value
            key = word
    finish()
    return entries


def main():
    update = "--update" in sys.argv
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                   "mdo.settings_test")}
    if update:
        subprocess.run(MAKEMESSAGES, cwd=ROOT, check=True, env=env)
        subprocess.run(["msgfmt", "--check", "-o", str(MO), str(PO)], check=True)
        return 0

    problems = []
    committed = parse_po(PO)
    backup = tempfile.NamedTemporaryFile(delete=False)
    backup.close()
    shutil.copy(PO, backup.name)
    try:
        subprocess.run(MAKEMESSAGES, cwd=ROOT, check=True, env=env, capture_output=True)
        wanted = parse_po(PO)
    finally:
        shutil.copy(backup.name, PO)
        os.unlink(backup.name)
    for key in wanted:
        if key not in committed:
            problems.append(f"not in django.po (run scripts/check_translations.py --update): {key[1]!r}")
    for key, entry in committed.items():
        if entry["fuzzy"]:
            problems.append(f"fuzzy: {key[1]!r}")
        elif not all(entry["str"]) or not entry["str"]:
            problems.append(f"untranslated: {key[1]!r}")
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "django.mo"
        subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
        if not MO.exists() or compiled.read_bytes() != MO.read_bytes():
            problems.append("django.mo is not the compiled django.po (run with --update)")
    for problem in problems:
        print(problem)
    print(f"{len(committed)} strings in the Dutch translation; {len(problems)} problems.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
