#!/bin/sh
# One-time (and idempotent) set-up for a fresh machine that has only Node 20 and npm.
#   sh scripts/setup.sh                 pnpm + dependencies (compiles better-sqlite3 on first run)
#   sh scripts/setup.sh --with-postgres also makes sure PostgreSQL server binaries exist (for the tests)
set -eu
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 COREPACK_ENABLE_DOWNLOAD_PROMPT=0
# better-sqlite3's prebuilt download is unreachable here; it compiles against Node's own headers.
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi

say() { printf 'setup: %s\n' "$*" >&2; }

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

if [ "${1:-}" = "--with-postgres" ]; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing PostgreSQL server binaries from Debian (the store's contract suite runs on PostgreSQL too)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
      say "PostgreSQL server binaries (initdb, pg_ctl) are missing: install them (Debian: 'sudo apt-get install postgresql') or set PG_BIN to their directory"
      exit 1
    fi
  fi
fi

say "installing dependencies (first run compiles better-sqlite3, about a minute)"
pnpm install --frozen-lockfile --reporter=silent
