"""The house rules of docs/architecture.md, checked on the source and on a real interpreter.

- Who may import whom: the import-linter contracts in pyproject.toml ([tool.importlinter]), run
  here one by one with ``lint-imports`` from the repository root.
- What import-linter cannot see, because it knows an external package only as a whole: which
  aiortc submodules are its public API, and that wire/ uses the standard library only. And that
  one module, in rtcseam, owns the patch of aioice's host addresses.
- No import circle inside wire/, server/ or desktop/, deferred imports in functions included.
- No class over 400 lines, no module over 700 lines there.
- The headless bot, and every module it may reach, loads without Qt (a real interpreter).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CONTRACTS = PYPROJECT["tool"]["importlinter"]["contracts"]

#: the packages the house rules are about
HOUSE = ("wire", "server", "desktop")
#: where reaching into aiortc's or aioice's internals is allowed: the two seams and the shared
#: package that owns the aioice patch (the server and the app both gather ICE candidates)
SEAMS = ("server.sfu.seam", "desktop.media.seam", "rtcseam")
#: where Qt may be imported: the views, the Qt adapter packages and the composition root
QT_ALLOWED = ("desktop.app", "desktop.ui", "desktop.media.qt", "desktop.idle.qt")

MAX_CLASS_LINES = 400
MAX_MODULE_LINES = 700


def run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


# --- who may import whom: import-linter ----------------------------------------------------------


@pytest.mark.parametrize("contract", [c["id"] for c in CONTRACTS])
def test_import_contract_is_kept(contract: str) -> None:
    lint = ("from importlinter.cli import lint_imports_command; "
            "lint_imports_command(prog_name='lint-imports')")
    result = run([sys.executable, "-c", lint, "--no-cache", "--contract", contract])
    banner = set("╔╗╚╝═║╠╣╦╩╬▶◀─┐┘└▲│")
    said = "\n".join(line for line in (result.stdout + result.stderr).splitlines() if not banner & set(line))
    assert result.returncode == 0, said.strip()[-8000:]


def test_the_contracts_cover_every_package_of_the_house() -> None:
    roots = PYPROJECT["tool"]["importlinter"]["root_packages"]
    assert set(HOUSE) | {"rtcseam"} <= set(roots)
    assert PYPROJECT["tool"]["importlinter"]["include_external_packages"] is True


# --- what import-linter cannot see -------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources(*packages: str) -> list[Path]:
    return sorted(path for package in packages if (REPO / package).is_dir()
                  for path in (REPO / package).rglob("*.py"))


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def imports_of(path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """Every import in a file, deferred ones included: (line, absolute module, names taken)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            found.append((node.lineno, base, tuple(alias.name for alias in node.names)))
    return found


def test_wire_uses_the_standard_library_only() -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__", "wire"}
    found = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for path in sources("wire") for line, name, _ in imports_of(path)
             if name.split(".")[0] not in allowed]
    assert found == [], "\n".join(found)


def aiortc_public_api() -> dict[str, frozenset[str] | None]:
    """aiortc's public API as Parley uses it: module -> the names that may be taken from it
    (None: any). Everything else under aiortc is an internal, for the seams only.

    - ``aiortc``: the names it exports (``aiortc.__all__``), not its submodules (``clock``...).
    - ``aiortc.mediastreams``: the track API every media source implements.
    - ``aiortc.rtcconfiguration``, ``aiortc.rtcrtpparameters``: plain parameter types.
    - ``aiortc.rtp``: only ``RtpPacket``, the packet the forwarding unit's up and down tracks
      pass along (server/sfu/forwarding.py). Its helpers (``unwrap_rtx``...) are internals.

    Found by grepping every aiortc import in wire/, server/ and desktop/ (2026-12-05).
    """
    import aiortc

    return {
        "aiortc": frozenset(aiortc.__all__),
        "aiortc.mediastreams": None,
        "aiortc.rtcconfiguration": None,
        "aiortc.rtcrtpparameters": None,
        "aiortc.rtp": frozenset({"RtpPacket"}),
    }


def test_aiortc_and_aioice_internals_only_in_the_seams() -> None:
    public = aiortc_public_api()
    found = []
    for path in sources(*HOUSE, "rtcseam"):
        module = module_name(path)
        if within(module, SEAMS):
            continue
        tree = ast.parse(path.read_text(), str(path))
        for line, name, names in imports_of(path):
            top = name.split(".")[0]
            if top == "aioice":
                found.append(f"{module}:{line} imports {name}")
            elif top == "aiortc":
                if name not in public:
                    found.append(f"{module}:{line} imports {name}")
                elif not names and name != "aiortc" and public[name] is not None:
                    found.append(f"{module}:{line} imports all of {name}, not only {sorted(public[name])}")
                elif names and public[name] is not None and not set(names) <= public[name]:
                    found.append(f"{module}:{line} takes {sorted(set(names) - public[name])} from {name}")
        # import aiortc, then aiortc.<internal>.something
        reachable = public["aiortc"] | {name.split(".")[1] for name, names in public.items()
                                        if "." in name and names is None}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "aiortc" and node.attr not in reachable):
                found.append(f"{module}:{node.lineno} uses aiortc.{node.attr}")
    assert found == [], "\n".join(sorted(set(found)))


def test_one_module_owns_the_aioice_patch() -> None:
    """aioice's host address list is a process-wide function both the server (its ICE
    addresses) and the app (loopback for tests) replace: one module in rtcseam owns that patch,
    so an app that hosts a meeting and joins another cannot change the server's ICE."""
    patchers = set()
    for path in sources(*HOUSE, "rtcseam"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Attribute) and t.attr == "get_host_addresses" for t in targets):
                patchers.add(module_name(path))
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr"
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                    and node.args[1].value == "get_host_addresses"):
                patchers.add(module_name(path))
    assert len(patchers) == 1 and all(within(m, ("rtcseam",)) for m in patchers), sorted(patchers)


def test_shiboken_only_where_qt_is_allowed() -> None:
    """import-linter checks PySide6 and qasync; shiboken6 is not imported anywhere today, and a
    contract cannot protect a package missing from the graph, so this one is checked here."""
    found = [f"{module_name(path)}:{line} imports {name}"
             for path in sources(*HOUSE, "rtcseam") for line, name, _ in imports_of(path)
             if name.split(".")[0] == "shiboken6" and not within(module_name(path), QT_ALLOWED)]
    assert found == [], "\n".join(found)


# --- no import circles --------------------------------------------------------------------------


def cycles(graph, modules: set[str]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


@pytest.mark.parametrize("package", HOUSE)
def test_no_import_circle(package: str) -> None:
    import grimp

    sys.path.insert(0, str(REPO))
    try:
        graph = grimp.build_graph(package, cache_dir=None)  # deferred and TYPE_CHECKING imports too
    finally:
        sys.path.remove(str(REPO))
    modules = set(graph.modules)
    report = []
    for component in cycles(graph, modules):
        members = set(component)
        edges = []
        for importer in component:
            for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
                lines = sorted(d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported))
                edges.append(f"    {importer} -> {imported} (l.{', '.join(map(str, lines))})")
        report.append(f"a circle of {len(component)} modules: {', '.join(component)}\n" + "\n".join(edges))
    assert report == [], "\n".join(report)


# --- small rooms --------------------------------------------------------------------------------


def test_no_module_over_700_lines() -> None:
    found = [f"{path.relative_to(REPO)}: {lines} lines"
             for path in sources(*HOUSE)
             if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES]
    assert found == [], f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(found)


def test_no_class_over_400_lines() -> None:
    found = []
    for path in sources(*HOUSE):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef) and (lines := node.end_lineno - node.lineno + 1) > MAX_CLASS_LINES:
                found.append(f"{path.relative_to(REPO)}:{node.lineno} class {node.name}: {lines} lines")
    assert found == [], f"classes over {MAX_CLASS_LINES} lines:\n" + "\n".join(found)


# --- a real interpreter ------------------------------------------------------------------------


def test_headless_bot_never_imports_qt() -> None:
    """The bot, and every module of the layers under it, load without Qt: the bot runs on
    machines without a display server or Qt's libraries."""
    code = r"""
import importlib, pkgutil, sys
ADAPTERS = ("desktop.media.qt", "desktop.idle.qt")
import desktop.bot
names = ["desktop.bot"]
for package in ("desktop.bot", "desktop.session", "desktop.signalling", "desktop.media", "desktop.idle", "wire"):
    module = importlib.import_module(package)
    if hasattr(module, "__path__"):
        names += [m.name for m in pkgutil.walk_packages(module.__path__, package + ".")
                  if not m.name.endswith(".__main__")  # runs the program
                  and not any(m.name == qt or m.name.startswith(qt + ".") for qt in ADAPTERS)]
def qt():
    return sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync", "shiboken6"))
culprits = [] if not qt() else ["desktop.bot"]
for name in names:
    before = set(qt())
    importlib.import_module(name)
    if set(qt()) - before:
        culprits.append(name)
print(f"{len(names)} modules imported; these brought Qt in: {culprits}; Qt modules loaded: {qt()[:8]}")
sys.exit(1 if qt() else 0)
"""
    result = run([sys.executable, "-c", code], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_every_package_is_installed() -> None:
    """pip install . ships every package of the tree (pyproject lists them explicitly)."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in (*HOUSE, "rtcseam")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert found <= listed, found - listed
