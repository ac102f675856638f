# Shared by scripts/test and scripts/bench (sourced, not run): puts Swift on
# PATH and installs Lua 5.4 (and luacheck) with apt-get when they are missing, so the commands
# work on a fresh Debian machine.

say() { printf '==> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# Swift
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || die "swift not found (looked on PATH and in /opt/swift/usr/bin)"

# System packages: Lua 5.4 for the CLua target (found through pkg-config)
#    and the lua5.4 interpreter (benchmark and tests); luacheck (Debian's
#    lua-check), which `tickwire check` runs and the editor-file tests
#    drive; git too if it is missing, since SwiftPM needs it to fetch
#    package dependencies.
need_lua=false
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists lua5.4; then need_lua=true; fi
if ! command -v lua5.4 >/dev/null 2>&1; then need_lua=true; fi
extra=()
if ! command -v git >/dev/null 2>&1; then extra=(git ca-certificates); fi
if ! command -v luacheck >/dev/null 2>&1; then extra+=(lua-check); fi
if $need_lua || [ "${#extra[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "Lua 5.4, luacheck or git is missing and apt-get is not available to install it"
  say "installing liblua5.4-dev lua5.4 pkg-config ${extra[*]-}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    liblua5.4-dev lua5.4 pkg-config ${extra[@]+"${extra[@]}"}
  pkg-config --exists lua5.4 || die "pkg-config still does not know lua5.4 after the install"
  command -v lua5.4 >/dev/null 2>&1 || die "the lua5.4 interpreter is still missing after the install"
  command -v luacheck >/dev/null 2>&1 || die "luacheck is still missing after installing lua-check"
fi
say "using $(swift --version 2>&1 | head -n 1), Lua $(pkg-config --modversion lua5.4)"

