#!/usr/bin/env bash
# The job benchmark (not a test; not part of `make test` or CI): BENCH_JOBS (default 100,000)
# due notification-delivery jobs — each a real notification, signed with the demo app's key and
# POSTed to a local endpoint — drained by two `juhe worker` processes sharing one PostgreSQL
# database. Reports jobs/s and proves from the database that no job ran twice. See
# bench/README.md; results in bench/RESULTS.md.
#
# Needs: PostgreSQL (trust auth) up, psql, jq, curl. Everything it starts it stops.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
JOBS="${BENCH_JOBS:-100000}"
SINK_PORT="${BENCH_SINK_PORT:-18092}"
CONCURRENCY="${BENCH_JOB_CONCURRENCY:-32}"   # jobs each worker runs at once
TIMEOUT="${BENCH_TIMEOUT:-1800}"             # seconds before giving up
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/juhe-bench-target}"

RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)"
DB="juhe_jobs_bench_${RUN_ID,,}"
OUT="bench/out/jobs-$RUN_ID"
mkdir -p "$OUT"
log() { printf '==> %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
die() { echo "bench: $*" >&2; exit 1; }
for tool in psql pg_isready jq curl; do command -v "$tool" >/dev/null || die "$tool is missing"; done
pg_isready -q -d "$PG_URL/postgres" || die "PostgreSQL is not up at $PG_URL"

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  log "release build (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  cargo build --release -q -p juhe-api --bin juhe
fi
JUHE="${BENCH_JUHE:-$CARGO_TARGET_DIR/release/juhe}"

DATA="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT

psql -q "$PG_URL/postgres" -c "CREATE DATABASE \"$DB\"" >/dev/null
export JUHE_DATABASE_URL="$PG_URL/$DB" JUHE_DATA_DIR="$DATA" JUHE_LOG_LEVEL=warn JUHE_PASSWORD_HASH_MEMORY_KIB=1024
SQL() { psql -qAt "$JUHE_DATABASE_URL" -c "$1"; }

log "demo data (a merchant and its app) and $JOBS due notifications with their delivery jobs"
"$JUHE" demo --json > "$OUT/demo.json"
MERCHANT_NO="$(jq -r .merchant.merchant_no "$OUT/demo.json")"
APP_ID="$(jq -r .merchant.app_id "$OUT/demo.json")"
SINK="http://127.0.0.1:$SINK_PORT/sandbox/inbox/bench"
SQL "
WITH m AS (SELECT id, platform_id, path FROM merchants WHERE merchant_no = '$MERCHANT_NO'),
n AS (
  INSERT INTO notifications (id, platform_id, merchant_id, path, app_id, event_type, resource_no, url, payload,
                             status, attempts, next_attempt_at, created_at)
  SELECT 'evt_' || lpad(to_hex(g), 32, '0'), m.platform_id, m.id, m.path, '$APP_ID', 'order.paid',
         'B' || lpad(g::text, 29, '0'), '$SINK',
         '{\"id\":\"evt_' || lpad(to_hex(g), 32, '0') || '\",\"type\":\"order.paid\",\"data\":{}}',
         'pending', 0, now(), now()
  FROM m, generate_series(1, $JOBS) g
  RETURNING id, platform_id)
INSERT INTO jobs (id, platform_id, kind, key, state, attempts, failures, next_run_at, created_at, updated_at)
SELECT 'job_' || substr(n.id, 5), n.platform_id, 'notification.delivery', n.id, 'pending', 0, 0, now(), now(), now()
FROM n" >/dev/null
SQL "ANALYZE jobs; ANALYZE notifications" >/dev/null

log "the endpoint: juhe sandbox's inbox on :$SINK_PORT"
"$JUHE" sandbox --bind "127.0.0.1:$SINK_PORT" >"$OUT/sink.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf -X POST "$SINK" -d '{}' >/dev/null && break; sleep 0.1; done

log "two workers, $CONCURRENCY jobs at once each"
START=$(date +%s.%N)
for w in 1 2; do
  JUHE_JOB_CONCURRENCY="$CONCURRENCY" "$JUHE" worker >"$OUT/worker$w.log" 2>&1 &
  PIDS+=($!)
done
DEADLINE=$(( $(date +%s) + TIMEOUT ))
while :; do
  LEFT="$(SQL "SELECT count(*) FROM jobs WHERE state <> 'succeeded'")"
  [ "$LEFT" = 0 ] && break
  [ "$(date +%s)" -lt "$DEADLINE" ] || die "$LEFT jobs left after ${TIMEOUT}s"
  sleep 0.2
done
END=$(date +%s.%N)

RUNS="$(SQL "SELECT count(*) FROM job_attempts WHERE result = 'succeeded'")"
TWICE="$(SQL "SELECT count(*) FROM (SELECT job_id FROM job_attempts WHERE result = 'succeeded' GROUP BY job_id HAVING count(*) > 1) t")"
SENT="$(SQL "SELECT count(*) FROM notification_attempts")"
DELIVERED="$(SQL "SELECT count(*) FROM notifications WHERE status = 'delivered' AND attempts = 1")"
SPLIT="$(SQL "SELECT string_agg(n::text, ' / ' ORDER BY n DESC) FROM (SELECT count(*) n FROM job_attempts GROUP BY worker) t")"
SECS="$(echo "$END - $START" | bc -l)"
RATE="$(echo "$JOBS / $SECS" | bc -l)"
{
  printf 'jobs: %s, seconds: %.1f, jobs/s: %.0f\n' "$JOBS" "$SECS" "$RATE"
  printf 'successful runs: %s (jobs run twice: %s); delivery attempts: %s; delivered on the first attempt: %s\n' \
    "$RUNS" "$TWICE" "$SENT" "$DELIVERED"
  printf 'runs per worker: %s\n' "$SPLIT"
} | tee "$OUT/result.txt"
[ "$RUNS" = "$JOBS" ] && [ "$TWICE" = 0 ] && [ "$SENT" = "$JOBS" ] || die "a job ran twice or not at all"
