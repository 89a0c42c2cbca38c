#!/usr/bin/env bash
# Make sure the local Postgres and Redis answer; start them if they are installed but stopped.
set -u

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    echo "Starting the local PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 30); do pg_up && break; sleep 1; done
  fi
fi
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Starting the local Redis..."
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
    for _ in $(seq 30); do redis_up && break; sleep 0.5; done
  fi
fi

ok=1
pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432. Install and start it (Debian: apt-get install postgresql), or set DATABASE_URL." >&2; ok=0; }
redis_up || { echo "Redis is not reachable on 127.0.0.1:6379. Install and start it (Debian: apt-get install redis-server), or set REDIS_URL." >&2; ok=0; }
[ "$ok" = 1 ] || exit 1
echo "PostgreSQL and Redis are up."
