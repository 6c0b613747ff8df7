#!/usr/bin/env bash
# Schemathesis against a LIVE server: a fresh SQLite database under var/, the demo data, a key
# with every scope, gunicorn on a free local port, then every check of schemathesis over every
# operation of /api/schema/ with a bounded number of examples. Fails on any 5xx, any answer
# outside the schema and any other failed check; the server is stopped whatever happens.
#
#   bin/schemathesis_live.sh                 # what CI runs
#   MAX_EXAMPLES=200 bin/schemathesis_live.sh # a longer run
#
# Environment: VENV (default .venv), PORT (default 8765), MAX_EXAMPLES (default 50),
# SEED (default 20261130: the same cases every run; set another to explore).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PORT="${PORT:-8765}"
MAX_EXAMPLES="${MAX_EXAMPLES:-50}"
SEED="${SEED:-20261130}"
WORK="var/schemathesis-live"
BASE="http://127.0.0.1:${PORT}"

rm -rf "$WORK"
mkdir -p "$WORK"
# Everything this run writes stays in $WORK: its database, its key epoch file, its logs.
export DATABASE_URL="sqlite:///$PWD/$WORK/db.sqlite3"
export API_AUTH_EPOCH_FILE="$PWD/$WORK/api-auth.epoch"
# The fuzzer calls far faster than a partner may: the limits themselves have their own tests.
export API_RATE_BURST_CALLS=1000000 API_RATE_SUSTAINED_CALLS=100000000
export API_ACCESS_LOG_ASYNC=false

echo "== fresh database and demo data in $WORK"
"$VENV/bin/python" manage.py migrate --noinput >"$WORK/migrate.log"
"$VENV/bin/python" manage.py seed_demo >"$WORK/seed.log"
KEY="$("$VENV/bin/python" manage.py issue_api_key skyway-travel --name schemathesis \
  --scopes read,offers,transactions --expires-days 1 | tail -n 1)"
case "$KEY" in
  fnk_*) ;;
  *) echo "issue_api_key printed no key"; exit 1 ;;
esac

echo "== gunicorn on $BASE (log: $WORK/server.log)"
# DEBUG off, as in production: no debug page may stand in for an answer. No request-line limit
# in gunicorn: its own HTML 414 would stand in for the API's answer (in production the proxy in
# front bounds URLs).
DEBUG=false "$VENV/bin/gunicorn" portal.wsgi:application --bind "127.0.0.1:${PORT}" \
  --workers 2 --threads 2 --timeout 60 --limit-request-line 0 --access-logfile - \
  >"$WORK/server.log" 2>&1 &
SERVER=$!
stop_server() {
  kill "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
}
trap stop_server EXIT
answers() {
  "$VENV/bin/python" -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1], headers={"Authorization": "Api-Key " + sys.argv[2]})
u.urlopen(r, timeout=5)' "$BASE/api/v1/me/" "$KEY" 2>/dev/null
}
for _ in $(seq 1 60); do
  if answers; then
    break
  fi
  if ! kill -0 "$SERVER" 2>/dev/null; then
    echo "the server did not start:"
    cat "$WORK/server.log"
    exit 1
  fi
  sleep 1
done

echo "== schemathesis: every check, at most $MAX_EXAMPLES examples per operation, seed $SEED"
set +e
"$VENV/bin/schemathesis" --config-file bin/schemathesis_live.toml run "$BASE/api/schema/" \
  --checks all \
  --header "Authorization: Api-Key $KEY" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --generation-database none \
  --workers 1 \
  --no-color \
  --report junit --report-junit-path "$WORK/junit.xml"
status=$?
set -e
if grep -qE '" 5[0-9]{2} ' "$WORK/server.log"; then
  echo "the server's access log shows a 5xx:"
  grep -E '" 5[0-9]{2} ' "$WORK/server.log" | head -20
  status=1
fi
if grep -q "Traceback" "$WORK/server.log"; then
  echo "the server log shows an exception:"
  grep -A 30 "Traceback" "$WORK/server.log" | head -60
  status=1
fi
exit "$status"
