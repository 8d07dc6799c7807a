"""The packaging files (packaging/, resources/icons/app/): valid, consistent, and install.sh works.

Building the bundle takes minutes and stays outside the suite (packaging/build-linux.sh); these
checks are what can go stale without anyone running it: the desktop entry and AppStream
metainfo validate, the spec names what the app needs (every Qt module desktop/ imports, the
resources, livekit's library), the icons are the sizes they claim, the macOS plists hold the
URL schemes, usage descriptions and entitlements, and install.sh puts the desktop entry, icons
and scheme handler where desktops look, and takes them away again.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
LINUX = PACKAGING / "linux"
APP_ID = "org.parley.Parley"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
INSTALL_SH = LINUX / "install.sh"
SPEC = PACKAGING / "parley.spec"
APP_ICONS = ROOT / "resources" / "icons" / "app"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SCHEMES = ("parley", "parleys")


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, **kwargs)


def desktop_entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group's keys (no locale handling: we have none)."""
    entry: dict[str, str] = {}
    group = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            group = line.strip()
        elif "=" in line and group == "[Desktop Entry]" and not line.startswith("#"):
            key, value = line.split("=", 1)
            entry[key.strip()] = value.strip()
    return entry


# -- Linux: desktop entry and AppStream metainfo ----------------------------------------------------


def test_desktop_entry_validates() -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    result = run([tool, str(DESKTOP)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()


def test_desktop_entry_opens_meeting_links() -> None:
    entry = desktop_entry(DESKTOP)
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "parley %u"  # %u: the clicked link arrives as the join_url argument
    assert entry["Icon"] == APP_ID
    mime_types = [m for m in entry["MimeType"].split(";") if m]
    assert mime_types == [f"x-scheme-handler/{scheme}" for scheme in SCHEMES]
    assert "VideoConference" in entry["Categories"].split(";")
    # Qt's xcb class is the application name (desktop/app.py: setApplicationName("Parley"))
    assert entry["StartupWMClass"] == "Parley"


def test_metainfo_validates() -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed (Debian: appstream)")
    result = run([tool, "validate", "--no-net", str(METAINFO)])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    problems = [line for line in output.splitlines() if re.match(r"\s*[EW]:", line)]
    assert not problems, output


def test_metainfo_matches_the_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "MIT"
    launchable = root.find("launchable")
    assert launchable is not None and launchable.text == DESKTOP.name
    assert root.find("content_rating") is not None
    releases = [r.get("version") for r in root.iter("release")]
    assert releases and releases[0] == project_version(), "add a <release> for the new version"
    provided = {m.text for m in root.iter("mediatype")}
    assert provided == {f"x-scheme-handler/{scheme}" for scheme in SCHEMES}


# -- the PyInstaller spec ---------------------------------------------------------------------------


def spec_assignment(name: str):
    """The literal value assigned to ``name`` at the spec's top level."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned in {SPEC.name}")


def test_spec_parses_and_names_what_the_app_needs() -> None:
    text = SPEC.read_text(encoding="utf-8")
    ast.parse(text, filename=str(SPEC))
    assert "parley_main.py" in text and (PACKAGING / "parley_main.py").is_file()
    assert 'RESOURCES = ROOT / "resources"' in text  # bundled as "resources": see desktop/assets.py
    assert 'collect_dynamic_libs("livekit")' in text  # livekit.rtc's ctypes-loaded library
    assert 'collect_submodules("server")' in text  # "Start a meeting on this computer"
    for platform_file in ("windows/parley.ico", "macos/parley.icns", "macos/Info.plist",
                          "macos/entitlements.plist", f"linux/{APP_ID}.desktop"):
        assert (PACKAGING / platform_file).is_file(), platform_file
    for name in ("parley", "parley-server", "parley-bot"):
        assert f'program("{name}"' in text


def test_spec_keeps_every_qt_module_desktop_imports() -> None:
    """Every other PySide6 module is excluded from the bundle: one imported but not listed in
    QT_MODULES_USED would be missing from the frozen app."""
    kept = spec_assignment("QT_MODULES_USED")
    imported: set[str] = set()
    for path in (ROOT / "desktop").rglob("*.py"):
        imported.update(re.findall(r"\bPySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
        imported.update(m for line in re.findall(r"from PySide6 import ([\w, ()]+)", path.read_text(encoding="utf-8"))
                        for m in re.findall(r"Qt\w+", line))
    assert imported, "no PySide6 imports found under desktop/"
    assert imported <= kept, f"add to QT_MODULES_USED in parley.spec: {sorted(imported - kept)}"


def load_launcher():
    spec = importlib.util.spec_from_file_location("parley_main_under_test", PACKAGING / "parley_main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("executable", "program"), [
    ("/opt/parley/parley", "parley"),
    ("/opt/parley/parley-server", "parley-server"),
    ("/opt/parley/parley-bot", "parley-bot"),
    ("C:\\Parley\\parley-server.exe", "parley-server"),
    ("/Applications/Parley.app/Contents/MacOS/parley", "parley"),
])
def test_launcher_picks_the_program_by_its_name(monkeypatch, executable: str, program: str) -> None:
    launcher = load_launcher()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", executable.replace("\\", "/"))
    assert launcher._program() == program


# -- icons ------------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) from a PNG's IHDR."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour


def test_app_icon_svg_is_square() -> None:
    root = ET.parse(APP_ICONS / "parley.svg").getroot()
    _x, _y, width, height = (float(v) for v in root.get("viewBox", "").split())
    assert width == height


@pytest.mark.parametrize("size", ICON_SIZES)
def test_app_icon_png_is_the_size_it_claims(size: int) -> None:
    width, height, colour = png_size((APP_ICONS / f"parley-{size}.png").read_bytes())
    assert (width, height) == (size, size)
    assert colour == 6, "RGBA, so the rounded corners stay transparent"


def test_windows_icon_holds_every_size() -> None:
    data = (PACKAGING / "windows" / "parley.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        w, h, _colours, _r, _planes, _bits, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * index)
        width, height, _colour = png_size(data[offset:offset + length])
        assert (width, height) == (w or 256, h or 256)
        sizes.append(width)
    assert sorted(sizes) == [16, 24, 32, 48, 64, 128, 256]


def test_macos_icon_family_is_well_formed() -> None:
    data = (PACKAGING / "macos" / "parley.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    expected = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512,
                b"ic10": 1024, b"ic11": 32, b"ic12": 64, b"ic13": 256, b"ic14": 512}
    found = {}
    offset = 8
    while offset < len(data):
        kind, length = data[offset:offset + 4], struct.unpack(">I", data[offset + 4:offset + 8])[0]
        found[kind] = png_size(data[offset + 8:offset + length])[0]
        offset += length
    assert found == expected


# -- macOS ------------------------------------------------------------------------------------------


def test_info_plist_has_url_schemes_and_usage_descriptions() -> None:
    with open(PACKAGING / "macos" / "Info.plist", "rb") as fh:
        info = plistlib.load(fh)
    schemes = {s for url_type in info["CFBundleURLTypes"] for s in url_type["CFBundleURLSchemes"]}
    assert schemes == set(SCHEMES)
    for key in ("NSCameraUsageDescription", "NSMicrophoneUsageDescription"):
        assert len(info[key]) > 20, f"{key}: say why Parley needs it"
    assert info["LSBackgroundOnly"] is False  # console EXEs in the same bundle must not make it an agent


def test_entitlements_allow_camera_microphone_and_pyinstaller() -> None:
    with open(PACKAGING / "macos" / "entitlements.plist", "rb") as fh:
        entitlements = plistlib.load(fh)
    for key in ("com.apple.security.device.camera", "com.apple.security.device.audio-input",
                "com.apple.security.cs.allow-unsigned-executable-memory",
                "com.apple.security.cs.disable-library-validation"):
        assert entitlements.get(key) is True, key


def test_windows_installer_registers_both_schemes() -> None:
    text = (PACKAGING / "windows" / "parley.iss").read_text(encoding="utf-8")
    for scheme in SCHEMES:
        assert f'Subkey: "Software\\Classes\\{scheme}"; ValueType: string; ValueName: "URL Protocol"' in text
        assert f'Subkey: "Software\\Classes\\{scheme}\\shell\\open\\command"' in text
    assert '""{app}\\{#AppExe}"" ""%1""' in text


# -- scripts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [INSTALL_SH, PACKAGING / "build-linux.sh"])
def test_shell_scripts_parse(script: Path) -> None:
    result = run(["bash", "-n", str(script)])
    assert result.returncode == 0, result.stderr
    assert os.access(script, os.X_OK), f"{script.name} is not executable"


def test_ci_installs_the_validators() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "desktop-file-utils" in ci and "appstream" in ci


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    """A folder laid out like dist/parley/ (a stand-in program; the real icons and files)."""
    bundle = tmp_path / "Parley apps" / "parley"  # a space: the Exec line must quote it
    icons = bundle / "_internal" / "resources" / "icons" / "app"
    icons.mkdir(parents=True)
    for icon in APP_ICONS.iterdir():
        shutil.copy2(icon, icons / icon.name)
    for source in (INSTALL_SH, DESKTOP, METAINFO):
        shutil.copy2(source, bundle / source.name)
    for program in ("parley", "parley-server", "parley-bot"):
        (bundle / program).write_text("#!/bin/sh\necho \"$0 $*\"\n")
        (bundle / program).chmod(0o755)
    return bundle


def install_env(tmp_path: Path, path_dirs: list[Path]) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "PATH": os.pathsep.join(str(p) for p in [*path_dirs, "/usr/bin", "/bin"]),
            "LANG": "C.UTF-8"}


def test_install_sh_installs_and_uninstalls_for_the_user(tmp_path: Path, fake_bundle: Path) -> None:
    if shutil.which("xdg-mime", path="/usr/bin:/bin"):
        pytest.skip("this machine has xdg-mime: the mimeapps.list fallback is not what runs")
    env = install_env(tmp_path, [])
    home = Path(env["HOME"])
    config = home / ".config" / "mimeapps.list"
    config.parent.mkdir(parents=True)
    config.write_text("[Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/parley=old.desktop;\n")

    result = run(["bash", str(fake_bundle / "install.sh")], env=env)
    assert result.returncode == 0, result.stdout + result.stderr

    data = home / ".local" / "share"
    assert (home / ".local" / "bin" / "parley").resolve() == (fake_bundle / "parley").resolve()
    assert (home / ".local" / "bin" / "parley-server").resolve() == (fake_bundle / "parley-server").resolve()
    installed = data / "applications" / f"{APP_ID}.desktop"
    entry = desktop_entry(installed)
    assert entry["Exec"] == f'"{fake_bundle / "parley"}" %u'
    assert entry["TryExec"] == str(fake_bundle / "parley")
    if shutil.which("desktop-file-validate"):
        check = run(["desktop-file-validate", str(installed)])
        assert check.returncode == 0, check.stdout + check.stderr
    for size in ICON_SIZES:
        icon = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png_size(icon.read_bytes())[:2] == (size, size)
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (data / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    mimeapps = config.read_text()
    assert "text/html=firefox.desktop" in mimeapps
    assert "old.desktop" not in mimeapps
    for scheme in SCHEMES:
        assert f"x-scheme-handler/{scheme}={APP_ID}.desktop;" in mimeapps
    if shutil.which("update-desktop-database"):
        cache = (data / "applications" / "mimeinfo.cache").read_text()
        assert f"x-scheme-handler/parley={APP_ID}.desktop;" in cache

    # running it again (an update) changes nothing
    again = run(["bash", str(fake_bundle / "install.sh")], env=env)
    assert again.returncode == 0, again.stderr
    assert config.read_text() == mimeapps

    result = run(["bash", str(fake_bundle / "install.sh"), "--uninstall"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not installed.exists()
    assert not (home / ".local" / "bin" / "parley").is_symlink()
    assert not list((data / "icons").rglob(f"{APP_ID}.*"))
    assert not (data / "metainfo" / f"{APP_ID}.metainfo.xml").exists()
    mimeapps = config.read_text()
    assert "text/html=firefox.desktop" in mimeapps and APP_ID not in mimeapps
    assert fake_bundle.is_dir(), "the bundle itself stays"


def test_install_sh_uses_xdg_mime_when_there_is_one(tmp_path: Path, fake_bundle: Path) -> None:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    calls = tmp_path / "xdg-mime-calls"
    (stubs / "xdg-mime").write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\n')
    (stubs / "xdg-mime").chmod(0o755)
    result = run(["bash", str(fake_bundle / "install.sh")], env=install_env(tmp_path, [stubs]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls.read_text().splitlines() == [f"default {APP_ID}.desktop x-scheme-handler/{s}" for s in SCHEMES]


def test_install_sh_refuses_a_folder_without_parley(tmp_path: Path) -> None:
    lonely = tmp_path / "not-a-bundle"
    lonely.mkdir()
    shutil.copy2(INSTALL_SH, lonely / "install.sh")
    result = run(["bash", str(lonely / "install.sh")], env=install_env(tmp_path, []))
    assert result.returncode != 0
    assert "no 'parley' program" in result.stderr
    assert not (tmp_path / "home" / ".local" / "share" / "applications").exists()


def test_one_version_everywhere() -> None:
    """The version the app reports is the one the package, the metainfo and the installers carry."""
    import tomllib

    import desktop

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    metainfo = (ROOT / "packaging" / "linux" / "org.parley.Parley.metainfo.xml").read_text()
    assert desktop.__version__ == project
    assert f'<release version="{project}"' in metainfo
    assert f'#define AppVersion "{project}"' in (ROOT / "packaging" / "windows" / "parley.iss").read_text()
