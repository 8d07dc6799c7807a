#!/usr/bin/env bash
# Install Parley from this folder for the current user, or remove it again.
#
#     ./install.sh               install (or update) for this user
#     ./install.sh --uninstall   remove what install.sh put in place
#
# What it does, all under your home directory (nothing needs root):
#   ~/.local/bin/parley, parley-server, parley-bot   symlinks to the programs in this folder
#   $XDG_DATA_HOME/applications/org.parley.Parley.desktop   the menu entry, which also makes
#       Parley the handler of parley:// and parleys:// meeting links
#   $XDG_DATA_HOME/icons/hicolor/<size>/apps/org.parley.Parley.png (and scalable/…svg)
#   $XDG_DATA_HOME/metainfo/org.parley.Parley.metainfo.xml   for software centres
# then makes Parley the default for those links (xdg-mime, or mimeapps.list directly when
# xdg-mime is missing) and refreshes the desktop and icon caches when their tools exist.
# $XDG_DATA_HOME defaults to ~/.local/share. The folder must stay where it is: the menu entry
# and the symlinks point into it (run ./install.sh again after moving it).
set -euo pipefail

APP_ID=org.parley.Parley
SCHEMES=(parley parleys)
PROGRAMS=(parley parley-server parley-bot)
ICON_SIZES=(16 24 32 48 64 128 256 512)

BUNDLE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
CONFIG_HOME="${XDG_CONFIG_HOME:-$HOME/.config}"
BIN_DIR="${PARLEY_BIN_DIR:-$HOME/.local/bin}"
APPLICATIONS="$DATA_HOME/applications"
ICONS="$DATA_HOME/icons/hicolor"
METAINFO="$DATA_HOME/metainfo"

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# The bundle's app icon folder: resources/icons/app inside PyInstaller's contents directory.
icon_dir() {
  local candidate
  for candidate in "$BUNDLE/_internal/resources/icons/app" "$BUNDLE/resources/icons/app"; do
    if [ -d "$candidate" ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# A path quoted for a desktop entry's Exec key (spec: "Exec key", quoting rules).
desktop_exec_quote() {
  local value=$1
  value=${value//\\/\\\\\\\\}  # a backslash is escaped twice: once for quoting, once for the string
  value=${value//\"/\\\\\"}
  value=${value//\`/\\\\\`}
  value=${value//\$/\\\\\$}
  value=${value//%/%%}  # field codes start with %
  printf '"%s"' "$value"
}

# Set or remove "<scheme handler>=<desktop id>" in the [Default Applications] group of mimeapps.list.
mimeapps_set() {  # mimeapps_set add|remove
  local action=$1 file="$CONFIG_HOME/mimeapps.list" tmp
  if [ "$action" = remove ] && [ ! -f "$file" ]; then
    return 0
  fi
  mkdir -p "$CONFIG_HOME"
  [ -f "$file" ] || : >"$file"
  tmp="$(mktemp "$file.XXXXXX")"
  awk -v action="$action" -v desktop="$APP_ID.desktop" -v schemes="${SCHEMES[*]}" '
    BEGIN { n = split(schemes, list, " "); for (i = 1; i <= n; i++) keys["x-scheme-handler/" list[i]] = 1 }
    function emit_ours() { if (action == "add") for (i = 1; i <= n; i++) print "x-scheme-handler/" list[i] "=" desktop ";" }
    /^\[/ {
      if (in_default && !done) { emit_ours(); done = 1 }
      in_default = ($0 == "[Default Applications]")
      print; next
    }
    {
      split($0, kv, "=")
      if (kv[1] in keys) {
        # adding: the default for our schemes is replaced below; removing: only lines naming us go
        if (in_default && action == "add") next
        if (action == "remove" && $0 == (kv[1] "=" desktop ";")) next
        if (action == "remove" && $0 == (kv[1] "=" desktop)) next
      }
      print
    }
    END {
      if (in_default && !done) { emit_ours(); done = 1 }
      if (!done && action == "add") { print "[Default Applications]"; emit_ours() }
    }
  ' "$file" >"$tmp"
  mv "$tmp" "$file"
}

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$APPLICATIONS" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -d "$ICONS" ]; then
    gtk-update-icon-cache -q -t -f "$ICONS" 2>/dev/null || true
  fi
}

install_parley() {
  [ -x "$BUNDLE/parley" ] || die "no 'parley' program in $BUNDLE: run install.sh from the unpacked Parley folder"
  local icons
  icons="$(icon_dir)" || die "no app icons in $BUNDLE (resources/icons/app): the folder is incomplete"

  mkdir -p "$BIN_DIR" "$APPLICATIONS" "$METAINFO"
  local program
  for program in "${PROGRAMS[@]}"; do
    if [ -x "$BUNDLE/$program" ]; then
      if [ -e "$BIN_DIR/$program" ] && [ ! -L "$BIN_DIR/$program" ]; then
        say "Left $BIN_DIR/$program as it is (not a link: another install of $program?)."
        continue
      fi
      ln -sfn "$BUNDLE/$program" "$BIN_DIR/$program"
    fi
  done

  # The menu entry, pointing at this folder's parley (not whatever "parley" is on PATH).
  local exec_path desktop_file="$APPLICATIONS/$APP_ID.desktop" template="$BUNDLE/$APP_ID.desktop"
  [ -f "$template" ] || die "missing $template"
  exec_path="$(desktop_exec_quote "$BUNDLE/parley")"
  # through the environment: awk -v would take one level of backslashes off the quoted path
  EXEC_PATH="$exec_path" TRY_PATH="$BUNDLE/parley" awk '
    /^Exec=/    { print "Exec=" ENVIRON["EXEC_PATH"] " %u"; next }
    /^TryExec=/ { print "TryExec=" ENVIRON["TRY_PATH"]; next }
    { print }
  ' "$template" >"$desktop_file.tmp"
  mv "$desktop_file.tmp" "$desktop_file"
  chmod 0644 "$desktop_file"

  local size
  for size in "${ICON_SIZES[@]}"; do
    if [ -f "$icons/parley-$size.png" ]; then
      mkdir -p "$ICONS/${size}x${size}/apps"
      cp -f "$icons/parley-$size.png" "$ICONS/${size}x${size}/apps/$APP_ID.png"
    fi
  done
  if [ -f "$icons/parley.svg" ]; then
    mkdir -p "$ICONS/scalable/apps"
    cp -f "$icons/parley.svg" "$ICONS/scalable/apps/$APP_ID.svg"
  fi
  if [ -f "$BUNDLE/$APP_ID.metainfo.xml" ]; then
    cp -f "$BUNDLE/$APP_ID.metainfo.xml" "$METAINFO/$APP_ID.metainfo.xml"
  fi

  refresh_caches
  local scheme
  if command -v xdg-mime >/dev/null 2>&1; then
    for scheme in "${SCHEMES[@]}"; do
      xdg-mime default "$APP_ID.desktop" "x-scheme-handler/$scheme" || mimeapps_set add
    done
  else
    mimeapps_set add
  fi

  say "Parley is installed for $(id -un 2>/dev/null || echo you): find it in your applications menu,"
  say "or run $BIN_DIR/parley. parley:// and parleys:// links now open it."
  case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) say "(Add $BIN_DIR to your PATH to type 'parley' in a terminal.)" ;;
  esac
}

uninstall_parley() {
  local program target
  for program in "${PROGRAMS[@]}"; do
    if [ -L "$BIN_DIR/$program" ]; then
      target="$(readlink "$BIN_DIR/$program")"
      # ours: a link into this Parley folder, or into another (moved or replaced) Parley folder
      # — one with its install.sh beside the program — never, say, a developer's venv
      if [ "$target" = "$BUNDLE/$program" ] || [ -f "$(dirname "$target")/install.sh" ]; then
        rm -f "$BIN_DIR/$program"
      fi
    fi
  done
  rm -f "$APPLICATIONS/$APP_ID.desktop" "$METAINFO/$APP_ID.metainfo.xml"
  local size
  for size in "${ICON_SIZES[@]}"; do
    rm -f "$ICONS/${size}x${size}/apps/$APP_ID.png"
  done
  rm -f "$ICONS/scalable/apps/$APP_ID.svg"
  mimeapps_set remove
  refresh_caches
  say "Parley is uninstalled for this user (this folder, $BUNDLE, is left as it is)."
}

case "${1:-}" in
  "") install_parley ;;
  --uninstall) uninstall_parley ;;
  -h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
