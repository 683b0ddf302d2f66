#!/usr/bin/env bash
# Shared helpers of ./run, ./test and bench/run: install and start the servers the project needs,
# bound to 127.0.0.1, with data under the git-ignored .data/ folder.

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_postgres_owner() {
  # PostgreSQL refuses to run as root; as root we run it as the `postgres` system user.
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

apt_install() {
  if [ "$(id -u)" != "0" ]; then die "missing $*; install it (apt-get install -y $*) or run as root"; fi
  if [ -z "${APT_UPDATED:-}" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_tools() {
  command -v redis-server >/dev/null || apt_install redis-server
  [ -x "$PG_BIN/postgres" ] || apt_install postgresql
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  command -v curl >/dev/null || apt_install curl
  command -v dotnet >/dev/null || die "the .NET SDK is required (dotnet on PATH)"
}

# start_postgres DIR PORT [extra postgres -c options...]
start_postgres() {
  local dir="$1" port="$2"; shift 2
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ "$(id -u)" = "0" ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initializing PostgreSQL in $dir"
    as_postgres_owner "$PG_BIN/initdb" -D "$dir" -U controlplane --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_postgres_owner "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    log "stopping a PostgreSQL left running in $dir"
    as_postgres_owner "$PG_BIN/pg_ctl" -D "$dir" stop -m fast >/dev/null
  fi
  local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=512MB"
  for o in "$@"; do opts="$opts -c $o"; done
  log "starting PostgreSQL on 127.0.0.1:$port"
  as_postgres_owner "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null \
    || { tail -20 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  as_postgres_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U controlplane -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname='controlplane'" | grep -q 1 \
    || as_postgres_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U controlplane controlplane
}

stop_postgres() {
  local dir="$1"
  [ -f "$dir/PG_VERSION" ] && as_postgres_owner "$PG_BIN/pg_ctl" -D "$dir" stop -m fast >/dev/null 2>&1 || true
}

# start_redis DIR PORT
start_redis() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  log "starting Redis on 127.0.0.1:$port"
  # Records are 80 to 300 bytes; above zset-max-listpack-value (64 by default) every one-member sorted set
  # becomes a skiplist plus hashtable, several times the memory (README, "Redis key layout").
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" --save "" --appendonly no --protected-mode yes \
    --zset-max-listpack-value 1024 >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "Redis on port $port did not start"
}

stop_redis() {
  redis-cli -h 127.0.0.1 -p "$1" shutdown nosave >/dev/null 2>&1 || true
}

wait_http() {
  local url="$1" seconds="${2:-60}"
  for _ in $(seq 1 $((seconds * 5))); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# An S3-compatible server for the cold tier's tests (npm package s3rver, installed under .data/tools).
S3RVER_VERSION="3.7.1"
S3RVER="$(pwd)/.data/tools/node_modules/s3rver/bin/s3rver.js"

ensure_s3rver() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -f "$S3RVER" ] || ! grep -q "\"version\": \"$S3RVER_VERSION\"" "$(dirname "$S3RVER")/../package.json"; then
    log "installing s3rver $S3RVER_VERSION (npm)"
    npm install --prefix .data/tools --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >/dev/null
  fi
}

# start_s3rver DIR PORT: runs in the background; its pid goes to DIR/s3rver.pid.
start_s3rver() {
  local dir="$1" port="$2"
  stop_s3rver "$dir"
  mkdir -p "$dir/data"
  log "starting s3rver on 127.0.0.1:$port"
  node "$S3RVER" -d "$dir/data" -a 127.0.0.1 -p "$port" --silent >"$dir/s3rver.log" 2>&1 &
  echo $! >"$dir/s3rver.pid"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  cat "$dir/s3rver.log" >&2
  die "s3rver on port $port did not start"
}

stop_s3rver() {
  local pidfile="$1/s3rver.pid"
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}
