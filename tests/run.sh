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

db=${ODOO_TEST_DB:-dunning_test}
# shellcheck source=tests/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"

require_odoo
require_postgres
fetch_queue_job
fetch_axe_core
conf=$out/odoo-test.conf
write_conf "$conf"

# A fresh database with both add-ons and demo data; their Odoo tests run
#    while they install (at_install and post_install).
dropdb -h "$db_host" -p "$db_port" -U "$db_user" --if-exists "$db" || fail "cannot drop database $db"
echo "== Installing account_dunning_es and account_dunning_es_sms in a fresh database '$db' with their tests"
"$py" -m odoo -c "$conf" -d "$db" -i l10n_es,account_dunning_es,account_dunning_es_sms,payment_demo \
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

# The pytest-odoo suite (cross-module and end-to-end tests) on that database.
echo "== pytest-odoo suite"
(cd "$here" && "$py" -m pytest tests --ignore=tests/benchmarks -p no:cacheprovider \
  --odoo-config="$conf" --odoo-database="$db" --odoo-http -q)
pytest_rc=$?
if [ "$pytest_rc" -eq 5 ]; then
  fail "pytest collected no test."
fi
[ "${KEEP_DB:-0}" = 1 ] || dropdb -h "$db_host" -p "$db_port" -U "$db_user" --if-exists "$db"
exit $pytest_rc
