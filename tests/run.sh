#!/usr/bin/env bash
# Test command of the project (README.rst, "Running the tests").
#
# Builds a fresh database with both add-ons and demo data, runs the add-ons'
# Odoo tests while installing them, then the pytest-odoo suite of tests/.
#
# Environment (all optional):
#   ODOO_DB_HOST (localhost) ODOO_DB_PORT (5432) ODOO_DB_USER (odoo)
#   ODOO_DB_PASSWORD (odoo)  ODOO_TEST_DB (dunning_test)
#   ODOO_ADDONS_PATH  Odoo's addons folders, comma separated (found from the
#                     installed odoo package when unset)
#   KEEP_DB=1         keep the test database afterwards
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
py=${ODOO_PYTHON:-python3}
db_host=${ODOO_DB_HOST:-localhost}
db_port=${ODOO_DB_PORT:-5432}
db_user=${ODOO_DB_USER:-odoo}
db_password=${ODOO_DB_PASSWORD:-odoo}
db=${ODOO_TEST_DB:-dunning_test}
out=${TEST_OUT:-$here/.ci/out}
mkdir -p "$out"

fail() { echo "ERROR: $*" >&2; exit 1; }

# 1. Odoo 18.0 must be importable: untested Odoo code must not pass.
if ! "$py" -c 'import odoo.release as r; assert r.version_info[0] == 18' 2>/dev/null; then
  fail "Odoo 18.0 cannot be imported by $py. Install Odoo 18.0 Community (see README.rst,
'Installation') so that 'import odoo' works, then run this command again."
fi

# 2. PostgreSQL must be up, with a role Odoo accepts (it refuses 'postgres').
if ! pg_isready -h "$db_host" -p "$db_port" -q 2>/dev/null; then
  echo "PostgreSQL is not answering on $db_host:$db_port; trying to start the local cluster"
  if command -v pg_ctlcluster >/dev/null; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 20); do pg_isready -h "$db_host" -p "$db_port" -q && break; sleep 1; done
  pg_isready -h "$db_host" -p "$db_port" -q || fail "PostgreSQL is not running on $db_host:$db_port."
fi
[ "$db_user" = postgres ] && fail "Odoo refuses the database user 'postgres': set ODOO_DB_USER to another role."
export PGPASSWORD=$db_password
if ! psql -h "$db_host" -p "$db_port" -U "$db_user" -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "Creating PostgreSQL role $db_user"
  psql -h "$db_host" -p "$db_port" -U postgres -d postgres -qc \
    "CREATE ROLE \"$db_user\" LOGIN CREATEDB PASSWORD '$db_password'" \
    || fail "cannot create the PostgreSQL role $db_user: create it (with CREATEDB) and run again."
fi

# 3. A configuration file for Odoo and pytest-odoo.
addons_path=${ODOO_ADDONS_PATH:-$("$py" - <<'PY'
import os, odoo
root = os.path.dirname(os.path.abspath(odoo.__file__))
paths = [os.path.join(root, "addons"), os.path.abspath(os.path.join(root, "..", "addons"))]
print(",".join(p for p in paths if os.path.isdir(p)))
PY
)}
conf=$out/odoo-test.conf
cat > "$conf" <<CONF
[options]
db_host = $db_host
db_port = $db_port
db_user = $db_user
db_password = $db_password
addons_path = $addons_path,$here
data_dir = $out/data
log_level = warn
CONF

# 4. A fresh database with both add-ons and demo data; their Odoo tests run
#    while they install (at_install and post_install).
dropdb -h "$db_host" -p "$db_port" -U "$db_user" --if-exists "$db" || fail "cannot drop database $db"
echo "== Installing account_dunning_es and account_dunning_es_sms in a fresh database '$db' with their tests"
"$py" -m odoo -c "$conf" -d "$db" -i l10n_es,account_dunning_es,account_dunning_es_sms \
  --test-enable --test-tags /account_dunning_es,/account_dunning_es_sms \
  --stop-after-init --log-level=test > "$out/odoo-tests.log" 2>&1
odoo_rc=$?
grep -E "(ERROR|CRITICAL)" "$out/odoo-tests.log" | grep -v "security risk" | head -50
summary=$(grep -E "odoo.tests.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$out/odoo-tests.log" | tail -1)
grep -E "odoo.tests.stats: account_dunning" "$out/odoo-tests.log"
if [ -z "$summary" ]; then
  tail -40 "$out/odoo-tests.log"
  fail "the Odoo test run printed no result (exit code $odoo_rc): see $out/odoo-tests.log"
fi
# A browser test that cannot start its browser is skipped by Odoo: here that
# is a failure, or screens would go untested unseen.
skipped_browser=$(grep -E "skipped .*(websocket-client|Chrome|chrom)" "$out/odoo-tests.log" | head -3)
if [ -n "$skipped_browser" ]; then
  echo "$skipped_browser"
  fail "browser tests were skipped (see above): install chromium and websocket-client."
fi
failed=$(echo "$summary" | sed -E 's/.*: ([0-9]+) failed, ([0-9]+) error.* of ([0-9]+) tests.*/\1 \2 \3/')
read -r n_failed n_errors n_total <<<"$failed"
n_bad=$((n_failed + n_errors))
echo "odoo: $((n_total - n_bad)) passed, $n_bad failed"
if [ "$odoo_rc" -ne 0 ] || [ "$n_bad" -ne 0 ] || [ "$n_total" -eq 0 ]; then
  fail "Odoo tests failed (exit code $odoo_rc): see $out/odoo-tests.log"
fi

# 5. The pytest-odoo suite (cross-module and end-to-end tests) on that database.
echo "== pytest-odoo suite"
(cd "$here" && "$py" -m pytest tests --ignore=tests/benchmarks -p no:cacheprovider \
  --odoo-config="$conf" --odoo-database="$db" --odoo-http -q)
pytest_rc=$?
if [ "$pytest_rc" -eq 5 ]; then
  fail "pytest collected no test."
fi
[ "${KEEP_DB:-0}" = 1 ] || dropdb -h "$db_host" -p "$db_port" -U "$db_user" --if-exists "$db"
exit $pytest_rc
