#!/usr/bin/env bash
# Build Parley's Linux bundle with PyInstaller and smoke-test it.
#
#     packaging/build-linux.sh [--clean] [--fresh-venv] [--no-smoke | --no-build]
#
# Makes dist/parley/ (the one-folder app: parley, parley-server, parley-bot, install.sh, the
# desktop entry and AppStream metainfo) and dist/parley-linux-<arch>.tar.gz, then checks that
#   1. the frozen `parley --version` prints the project's version,
#   2. `parley-server --help` and `parley-bot --help` run,
#   3. `parley --frozen-self-test` loads every native piece (livekit's audio processing, VP8 and
#      Opus, aiortc + pylibsrtp, Qt Multimedia's FFmpeg backend, SVG icons, the resources),
#   4. the frozen app starts under Xvfb (synthetic devices, a throwaway HOME) and shows its start
#      window ("Parley"; screenshot in dist/parley-smoke.png); "Start a meeting on this computer"
#      (the server inside the app) leads to the lobby; SIGTERM ends the app with status 0;
#   5. install.sh installs into that throwaway HOME (menu entry, icons, parley:// handler); the
#      frozen parley-server starts, a meeting is made on it, and the installed entry's Exec line
#      run with that join link (as a desktop does on a click) shows the lobby ("Parley — Ready
#      to join?", dist/parley-smoke-lobby.png); app and server end with status 0 on SIGTERM;
#      install.sh --uninstall removes it all again.
# It prints the bundle's size and file count, and exits non-zero on any failure.
# --no-smoke only builds; --no-build only smoke-tests the bundle already in dist/; --clean
# empties PyInstaller's cache first.
#
# Python: $PARLEY_BUILD_PYTHON if set, else the repository's .venv, else a build venv made in
# build/package-venv (also with --fresh-venv) with the project and PyInstaller installed.
# PyInstaller is installed into the chosen environment when it is missing.
# Needs: Xvfb, xdotool, xprop and ImageMagick's import for the GUI check (Debian: xvfb xdotool
# x11-utils imagemagick), and Qt's xcb libraries (see .ci/run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CLEAN=()
FRESH_VENV=0
SMOKE=1
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --clean) CLEAN=(--clean) ;;
    --fresh-venv) FRESH_VENV=1 ;;
    --no-smoke) SMOKE=0 ;;
    --no-build) BUILD=0 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "build-linux.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"
BUNDLE="$DIST/parley"
ARCH="$(uname -m)"
TARBALL="$DIST/parley-linux-$ARCH.tar.gz"
VERSION="$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -n1)"
[ -n "$VERSION" ] || fail "no version in pyproject.toml"

# -- the Python that builds ----------------------------------------------------------------------
step "Python"
if [ -n "${PARLEY_BUILD_PYTHON:-}" ]; then
  PY="$PARLEY_BUILD_PYTHON"
elif [ "$FRESH_VENV" = 0 ] && [ -x "$ROOT/.venv/bin/python" ]; then
  PY="$ROOT/.venv/bin/python"
else
  VENV="$ROOT/build/package-venv"
  if [ "$FRESH_VENV" = 1 ]; then rm -rf "$VENV"; fi
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install "$ROOT"
  fi
  PY="$VENV/bin/python"
fi
"$PY" --version
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
  "$PY" -m pip install 'pyinstaller>=6.10'
fi
echo "PyInstaller $("$PY" -m PyInstaller --version)"

if [ "$BUILD" = 1 ]; then
# -- icons ----------------------------------------------------------------------------------------
step "App icons"
if [ ! -f resources/icons/app/parley-512.png ] || [ ! -f packaging/windows/parley.ico ]; then
  echo "rendering the app icons from resources/icons/app/parley.svg"
  QT_QPA_PLATFORM=offscreen "$PY" packaging/make_icons.py
elif ! QT_QPA_PLATFORM=offscreen "$PY" packaging/make_icons.py --check 2>/dev/null; then
  echo "note: the icons differ from a fresh render of parley.svg (changed SVG, or another Qt):"
  echo "      run packaging/make_icons.py if the SVG changed; the bundle uses the files as they are"
else
  echo "up to date"
fi

# -- build ----------------------------------------------------------------------------------------
step "PyInstaller"
rm -rf "$BUNDLE" "$TARBALL"
started=$SECONDS
"$PY" -m PyInstaller --noconfirm "${CLEAN[@]}" --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" packaging/parley.spec
echo "built in $((SECONDS - started)) s"
for program in parley parley-server parley-bot install.sh org.parley.Parley.desktop \
               org.parley.Parley.metainfo.xml; do
  [ -e "$BUNDLE/$program" ] || fail "missing from the bundle: $program"
done
LIVEKIT_LIB="$BUNDLE/_internal/livekit/rtc/resources/liblivekit_ffi.so"
[ -f "$LIVEKIT_LIB" ] || fail "livekit's native library is not in the bundle ($LIVEKIT_LIB)"
ls "$BUNDLE"/_internal/PySide6/Qt/plugins/multimedia/*ffmpeg* >/dev/null 2>&1 \
  || fail "Qt Multimedia's FFmpeg plugin is not in the bundle"
ls "$BUNDLE"/_internal/PySide6/Qt/plugins/platforms/libqxcb.so >/dev/null 2>&1 \
  || fail "Qt's xcb platform plugin is not in the bundle"
[ -f "$BUNDLE/_internal/resources/icons/app/parley.svg" ] || fail "resources/ is not in the bundle"

step "Archive"
tar -C "$DIST" -czf "$TARBALL" parley
echo "$TARBALL ($(du -h "$TARBALL" | cut -f1))"
fi  # BUILD
[ -x "$BUNDLE/parley" ] || fail "no bundle in $BUNDLE"

report_size() {
  step "Bundle"
  echo "size:  $(du -sh "$BUNDLE" | cut -f1)  ($BUNDLE)"
  echo "files: $(find "$BUNDLE" -type f | wc -l)"
  echo "largest:"
  find "$BUNDLE" -type f -printf '%s %P\n' | sort -rn \
    | awk 'NR <= 8 { printf "  %6.1f MB  %s\n", $1 / 1048576, $2 }'
}

if [ "$SMOKE" = 0 ]; then
  report_size
  exit 0
fi

# -- smoke test: the programs run -----------------------------------------------------------------
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/parley-smoke.XXXXXX")"
XVFB_PID=""
APP_PID=""
SERVER_PID=""
cleanup() {
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then kill -KILL "$APP_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$XVFB_PID" ] && kill -0 "$XVFB_PID" 2>/dev/null; then kill "$XVFB_PID" 2>/dev/null || true; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# Nothing the frozen app does may touch the builder's own settings.
mkdir -p "$SCRATCH/home" "$SCRATCH/runtime" "$SCRATCH/tmp"
chmod 0700 "$SCRATCH/runtime"
SMOKE_ENV=(env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV -u QT_PLUGIN_PATH -u QT_QPA_PLATFORM_PLUGIN_PATH
           HOME="$SCRATCH/home" XDG_CONFIG_HOME="$SCRATCH/home/.config"
           XDG_DATA_HOME="$SCRATCH/home/.local/share" XDG_CACHE_HOME="$SCRATCH/home/.cache"
           XDG_RUNTIME_DIR="$SCRATCH/runtime" TMPDIR="$SCRATCH/tmp" PARLEY_INSTANCE="smoke-$$"
           PARLEY_FAKE_DEVICES=1 PARLEY_SCREEN=synthetic)
# (TMPDIR and PARLEY_INSTANCE: the single-instance socket, so a Parley already running for this
# user never receives the smoke test's launches)

step "Smoke test: parley --version"
version_line="$("${SMOKE_ENV[@]}" "$BUNDLE/parley" --version 2>&1)" || fail "parley --version exited $?: $version_line"
echo "$version_line"
[ "$version_line" = "parley $VERSION" ] || fail "expected 'parley $VERSION', got '$version_line'"

step "Smoke test: parley-server --help, parley-bot --help"
"${SMOKE_ENV[@]}" "$BUNDLE/parley-server" --help >"$SCRATCH/server-help.txt" 2>&1 \
  || { cat "$SCRATCH/server-help.txt"; fail "parley-server --help"; }
head -n1 "$SCRATCH/server-help.txt"
"${SMOKE_ENV[@]}" "$BUNDLE/parley-bot" --help >"$SCRATCH/bot-help.txt" 2>&1 \
  || { cat "$SCRATCH/bot-help.txt"; fail "parley-bot --help"; }
head -n1 "$SCRATCH/bot-help.txt"

step "Smoke test: the native pieces load (parley --frozen-self-test)"
"${SMOKE_ENV[@]}" QT_QPA_PLATFORM=offscreen "$BUNDLE/parley" --frozen-self-test \
  2>"$SCRATCH/self-test.err" || { cat "$SCRATCH/self-test.err"; fail "the frozen self-test"; }

# -- smoke test: the app reaches its start window under Xvfb --------------------------------------
step "Smoke test: the app starts under Xvfb"
for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is needed for the GUI smoke test"
done
# Xvfb picks a free display itself and writes its number to the -displayfd descriptor.
exec 5>"$SCRATCH/display"
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp >"$SCRATCH/xvfb.log" 2>&1 &
XVFB_PID=$!
exec 5>&-
for _ in $(seq 100); do
  [ -s "$SCRATCH/display" ] && break
  kill -0 "$XVFB_PID" 2>/dev/null || { cat "$SCRATCH/xvfb.log"; fail "Xvfb did not start"; }
  sleep 0.1
done
DISPLAY_NUMBER="$(head -n1 "$SCRATCH/display")"
[ -n "$DISPLAY_NUMBER" ] || fail "Xvfb did not report its display"
export DISPLAY=":$DISPLAY_NUMBER"
echo "Xvfb on $DISPLAY"
GUI_ENV=("${SMOKE_ENV[@]}" DISPLAY="$DISPLAY" QT_QPA_PLATFORM=xcb)

# wait_for_window PID TITLE LOG: the id of PID's visible window titled exactly TITLE (60 s at most).
wait_for_window() {
  local pid=$1 title=$2 log=$3 started=$SECONDS window="" pattern
  pattern="^$(printf '%s' "$title" | sed 's/[][\\.*^$?+(){}|]/\\&/g')\$"  # the title, literally
  while [ $((SECONDS - started)) -lt 60 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the app exited before showing '$title'"; }
    window="$(xdotool search --onlyvisible --name "$pattern" 2>/dev/null | head -n1 || true)"
    if [ -n "$window" ]; then
      echo "window '$title' (0x$(printf '%x' "$window")) after $((SECONDS - started)) s:" \
           "$(xdotool getwindowgeometry "$window" | tail -n +2 | xargs)" >&2
      printf '%s\n' "$window"
      return 0
    fi
    sleep 0.5
  done
  cat "$log" >&2
  fail "no window '$title' within 60 s"
}

# stop PID NAME LOG: SIGTERM, then the exit status must be 0 within 20 s.
stop() {
  local pid=$1 name=$2 log=$3 status=""
  kill -TERM "$pid"
  for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      set +e; wait "$pid"; status=$?; set -e
      break
    fi
    sleep 0.1
  done
  [ -n "$status" ] || { cat "$log"; fail "$name did not exit within 20 s of SIGTERM"; }
  echo "$name: exit status after SIGTERM: $status"
  [ "$status" = 0 ] || { cat "$log"; fail "$name exited with status $status"; }
  if grep -E "Traceback|CRITICAL|Could not load the Qt platform plugin" "$log" >/dev/null; then
    cat "$log"
    fail "$name's log shows an error"
  fi
}

APP_LOG="$DIST/parley-smoke.log"
"${GUI_ENV[@]}" "$BUNDLE/parley" >"$APP_LOG" 2>&1 &
APP_PID=$!
WINDOW="$(wait_for_window "$APP_PID" "Parley" "$APP_LOG")"
if command -v xprop >/dev/null 2>&1; then
  xprop -id "$WINDOW" WM_CLASS
fi
sleep 2  # let it paint
SCREENSHOT="$DIST/parley-smoke.png"
import -display "$DISPLAY" -window root "$SCREENSHOT"
echo "screenshot: $SCREENSHOT"
# "Start a meeting on this computer" runs the meeting server inside the app, then shows the
# lobby. It is reached by keyboard, never by a pixel (fonts move the button): the start window's
# shortcut Ctrl+N, typed into the window once it has the input focus.
xdotool windowfocus --sync "$WINDOW"
xdotool key --clearmodifiers ctrl+n
wait_for_window "$APP_PID" "Parley — Ready to join?" "$APP_LOG" >/dev/null \
  || fail "'Start a meeting on this computer' did not lead to the lobby"
echo "'Start a meeting on this computer' (the in-app server) reached the lobby"
stop "$APP_PID" "parley" "$APP_LOG"
APP_PID=""
echo "log: $APP_LOG"

# -- smoke test: a parley:// link, opened the way the desktop opens it, shows the lobby ---------
step "Smoke test: install.sh, then a parley:// link opens the lobby"
"${SMOKE_ENV[@]}" PATH="/usr/bin:/bin" "$BUNDLE/install.sh" >"$SCRATCH/install.txt" 2>&1 \
  || { cat "$SCRATCH/install.txt"; fail "install.sh"; }
DESKTOP_FILE="$SCRATCH/home/.local/share/applications/org.parley.Parley.desktop"
[ -f "$DESKTOP_FILE" ] || fail "install.sh did not install $DESKTOP_FILE"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$DESKTOP_FILE" || fail "the installed desktop entry does not validate"
fi
grep -q "^x-scheme-handler/parley=org.parley.Parley.desktop" "$SCRATCH/home/.config/mimeapps.list" \
  "$SCRATCH/home/.local/share/applications/mimeinfo.cache" 2>/dev/null \
  || fail "install.sh did not register the parley:// scheme"
echo "installed: $(grep '^Exec=' "$DESKTOP_FILE")"

SERVER_LOG="$DIST/parley-smoke-server.log"
API_KEY="smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
"${SMOKE_ENV[@]}" PARLEY_API_KEY="$API_KEY" "$BUNDLE/parley-server" --host 127.0.0.1 --port 0 \
  --data-dir "$SCRATCH/server" --ice-address 127.0.0.1 >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
BASE_URL=""
for _ in $(seq 300); do
  BASE_URL="$(sed -n 's/^parley-server listening on \(http[^ ]*\).*/\1/p' "$SERVER_LOG" | head -n1)"
  [ -n "$BASE_URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVER_LOG"; fail "parley-server exited"; }
  sleep 0.1
done
[ -n "$BASE_URL" ] || { cat "$SERVER_LOG"; fail "parley-server did not start within 30 s"; }
echo "frozen parley-server at $BASE_URL"
JOIN_URL="$(BASE_URL="$BASE_URL" API_KEY="$API_KEY" "$PY" - <<'PYEOF'
import json, os, urllib.request

def call(path, body):
    request = urllib.request.Request(
        os.environ["BASE_URL"] + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + os.environ["API_KEY"], "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)

meeting = call("/v1/meetings", {})["meeting"]
print(call(f"/v1/meetings/{meeting['id']}/attendees", {"user_id": "smoke", "name": "Smoke Test"})["join_url"])
PYEOF
)" || fail "could not create a meeting on the frozen server"
echo "join link: $JOIN_URL"

# What a desktop does with a clicked link: the handler's Exec line, %u replaced by the link.
mapfile -t EXEC_ARGV < <(DESKTOP_FILE="$DESKTOP_FILE" JOIN_URL="$JOIN_URL" "$PY" - <<'PYEOF'
import os, shlex
for line in open(os.environ["DESKTOP_FILE"], encoding="utf-8"):
    if line.startswith("Exec="):
        # desktop entry quoting: the string's own escapes, then shell-like words
        value = line[len("Exec="):].strip().replace("\\\\", "\\")
        for word in shlex.split(value):
            print(os.environ["JOIN_URL"] if word == "%u" else word.replace("%%", "%"))
        break
PYEOF
)
[ "${#EXEC_ARGV[@]}" -ge 2 ] || fail "no Exec line in the installed desktop entry"
LOBBY_LOG="$DIST/parley-smoke-lobby.log"
"${GUI_ENV[@]}" "${EXEC_ARGV[@]}" >"$LOBBY_LOG" 2>&1 &
APP_PID=$!
wait_for_window "$APP_PID" "Parley — Ready to join?" "$LOBBY_LOG" >/dev/null
sleep 2  # let the camera preview start
LOBBY_SCREENSHOT="$DIST/parley-smoke-lobby.png"
import -display "$DISPLAY" -window root "$LOBBY_SCREENSHOT"
echo "screenshot: $LOBBY_SCREENSHOT"
stop "$APP_PID" "parley (lobby)" "$LOBBY_LOG"
APP_PID=""
stop "$SERVER_PID" "parley-server" "$SERVER_LOG"
"${SMOKE_ENV[@]}" PATH="/usr/bin:/bin" "$BUNDLE/install.sh" --uninstall >/dev/null \
  || fail "install.sh --uninstall"
[ ! -e "$DESKTOP_FILE" ] || fail "install.sh --uninstall left $DESKTOP_FILE"

report_size
step "OK: $BUNDLE and $TARBALL"
