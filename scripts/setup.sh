#!/bin/sh
# POSIX sh on purpose, not zx like the other scripts: this runs before any dependency is installed
# (it installs pnpm itself, then the dependencies that bring zx), on a machine with only Node and npm.
# One-time (and idempotent) set-up for a fresh machine that has only Node 20 and npm.
#   sh scripts/setup.sh                 pnpm + dependencies (compiles better-sqlite3 on first run)
#   sh scripts/setup.sh --with-test-tools  also installs what the tests talk to (PostgreSQL, socat,
#                                       iproute2, bubblewrap, keyutils, systemd-analyze, python3-dotenv,
#                                       chromium) when missing
#   sh scripts/setup.sh --with-bench-tools  the test tools, plus redis-server (the BullMQ reference row
#                                       of `pnpm bench`; started on loopback by the bench itself)
set -eu
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 COREPACK_ENABLE_DOWNLOAD_PROMPT=0
# better-sqlite3's prebuilt download is unreachable here; it compiles against Node's own headers.
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi

say() { printf 'setup: %s\n' "$*" >&2; }

# Options may be combined in any order; --with-bench-tools implies the test tools.
test_tools=no
bench_tools=no
for option in "$@"; do
  case "$option" in
    --with-test-tools | --with-postgres) test_tools=yes ;;
    --with-bench-tools) test_tools=yes bench_tools=yes ;;
    *)
      say "unknown option '$option': use --with-test-tools or --with-bench-tools (or none); nothing was changed"
      exit 2
      ;;
  esac
done

have_pnpm() { command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; }

if ! have_pnpm; then
  say "installing pnpm $PNPM_VERSION (corepack, else npm -g)"
  corepack enable pnpm >/dev/null 2>&1 || true
  if ! have_pnpm; then
    npm install --global --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || true
  fi
  if ! have_pnpm; then
    say "could not install pnpm $PNPM_VERSION: run 'npm install -g pnpm@$PNPM_VERSION' (may need sudo) and retry"
    exit 1
  fi
fi

# The tests talk to real things: PostgreSQL, socat bridges between network namespaces, bwrap
# sandboxes (keyctl for their keyring tests), systemd-analyze to verify the unit files, python-dotenv (a
# .env reader) and chromium (the board's browser tests). Install what is missing (Debian, root).
if [ "$test_tools" = yes ]; then
  missing=""
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    missing="$missing postgresql"
  fi
  command -v socat >/dev/null 2>&1 || missing="$missing socat"
  command -v ip >/dev/null 2>&1 || missing="$missing iproute2"
  command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
  # keyctl: the jail tests plant keys in session keyrings to prove a sandbox cannot reach them.
  command -v keyctl >/dev/null 2>&1 || missing="$missing keyutils"
  command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
  # python-dotenv: the .env codec's round-trip test reads the rendered file with it (packages/env-file).
  python3 -c 'import dotenv' >/dev/null 2>&1 || missing="$missing python3-dotenv"
  # The board's browser tests drive Debian's chromium headless (puppeteer-core, no browser download).
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  # The benchmark's BullMQ reference row runs against Debian's redis-server (loopback, started by the bench).
  if [ "$bench_tools" = yes ]; then
    command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
  fi
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing test tools from Debian:$missing"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      # shellcheck disable=SC2086 # word splitting of the package list is intended
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
      say "missing test tools:$missing — install them (Debian: 'sudo apt-get install$missing'), then retry"
      exit 1
    fi
  fi
fi

say "installing dependencies (first run compiles better-sqlite3, about a minute)"
pnpm install --frozen-lockfile --reporter=silent
