"""Regenerate Parley's translation files from the source and compile them.

    python resources/translations/update.py           # after changing user-visible strings
    python resources/translations/update.py --check   # exit 1 if parley.ts is out of date

Runs ``pyside6-lupdate`` over ``desktop/`` (every ``tr()``, ``QCoreApplication.translate()`` and
``QT_TRANSLATE_NOOP()``, the core's Qt-free marker included) into:

* ``parley.ts``: the template, every source string, nothing translated (start a new language
  from it: copy it to ``parley_<lang>.ts`` and run this script, or open it in Qt Linguist);
* ``parley_en.ts``: English plural forms only ("%n seconds" -> "1 second"), the fallback
  installed for every language;
* every other ``parley_<lang>.ts``: merged, keeping what translators wrote;

then compiles each ``parley_<lang>.ts`` to ``parley_<lang>.qm`` with ``pyside6-lrelease``.
The tools come with PySide6 (``.venv/bin``); they are looked for next to this Python first.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCES = REPO / "desktop"
TEMPLATE = HERE / "parley.ts"


def tool(name: str) -> str:
    """``pyside6-lupdate`` / ``pyside6-lrelease``: beside this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / name
    for candidate in (beside, beside.with_suffix(".exe")):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: install PySide6 (pip install -e .) and run this with its Python")
    return found


def sources() -> list[str]:
    """Every Python file of the app (lupdate does not find .py files when given a directory)."""
    return sorted(path.relative_to(REPO).as_posix() for path in SOURCES.rglob("*.py"))


def lupdate(ts: Path, *options: str) -> None:
    subprocess.run([tool("pyside6-lupdate"), *sources(), "-locations", "relative", "-silent", *options,
                    "-ts", str(ts)], check=True, cwd=REPO)


def messages(ts: Path) -> set[tuple[str, str, str, bool]]:
    """(context, source, comment, numerus) of every current message of a .ts file."""
    found = set()
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is not None and translation.get("type") in ("obsolete", "vanished"):
                continue
            found.add((name, message.findtext("source") or "", message.findtext("comment") or "",
                       message.get("numerus") == "yes"))
    return found


def fresh_template(directory: Path) -> Path:
    """The template as the source says it should be now (written under ``directory``)."""
    ts = directory / "parley.ts"
    lupdate(ts, "-source-language", "en", "-no-obsolete")
    return ts


def languages() -> list[Path]:
    return sorted(p for p in HERE.glob("parley_*.ts"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that parley.ts is up to date")
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            wanted = messages(fresh_template(Path(tmp)))
        have = messages(TEMPLATE) if TEMPLATE.exists() else set()
        for context, source, _comment, _numerus in sorted(wanted - have):
            print(f"missing from parley.ts: [{context}] {source!r}")
        for context, source, _comment, _numerus in sorted(have - wanted):
            print(f"no longer in the source: [{context}] {source!r}")
        return 0 if wanted == have else 1

    lupdate(TEMPLATE, "-source-language", "en", "-no-obsolete")
    english = HERE / "parley_en.ts"
    lupdate(english, "-source-language", "en", "-target-language", "en", "-pluralonly", "-no-obsolete")
    for ts in languages():
        if ts != english:
            lang = ts.stem.removeprefix("parley_")
            lupdate(ts, "-source-language", "en", "-target-language", lang)
    for ts in languages():
        subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))],
                       check=True, cwd=REPO)
        print(f"{ts.relative_to(REPO)} -> {ts.with_suffix('.qm').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
