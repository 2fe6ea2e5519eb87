#!/usr/bin/env bash
# Starts the local PostgreSQL (127.0.0.1:5432, database "test") and Redis (127.0.0.1:6379)
# that the distributed tests use, when they are not already running. Safe to run again: a
# service that answers is left alone. .ci/run calls it before the tests.
set -euo pipefail

WAIT_SECONDS=30

# True when something accepts connections on 127.0.0.1:$1.
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for() { # name port
  local i
  for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
    if listening "$2"; then return 0; fi
    sleep 0.1
  done
  echo "services: $1 did not start listening on 127.0.0.1:$2 within ${WAIT_SECONDS}s" >&2
  return 1
}

start_postgres() {
  if listening 5432; then
    echo "services: PostgreSQL is running"
  else
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /etc/postgresql ]; then
      echo "services: PostgreSQL is not installed (apt-get install -y postgresql)" >&2
      return 1
    fi
    # The newest installed version, when there are several.
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    echo "services: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for PostgreSQL 5432
  fi
  # The tests' database; the machines come with it, but a fresh cluster would not.
  if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
    echo "services: creating database test"
    createdb -h 127.0.0.1 -U postgres test
  fi
}

start_redis() {
  if listening 6379; then
    echo "services: Redis is running"
    return 0
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "services: Redis is not installed (apt-get install -y redis-server)" >&2
    return 1
  fi
  echo "services: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
  wait_for Redis 6379
}

start_postgres
start_redis
