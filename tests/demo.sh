#!/usr/bin/env bash
# Demo database: build it with both add-ons and their demo data, run today's
# dunning job on it, print what the job did and how to open it in a browser.
#
# Environment (all optional): ODOO_DB_HOST (localhost) ODOO_DB_PORT (5432)
#   ODOO_DB_USER (odoo) ODOO_DB_PASSWORD (odoo) DEMO_DB (dunning_demo)
#   ODOO_ADDONS_PATH (found from the installed odoo package when unset)
#   HTTP_PORT (8069)
set -uo pipefail

db=${DEMO_DB:-dunning_demo}
http_port=${HTTP_PORT:-8069}
# shellcheck source=tests/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"

require_odoo
require_postgres
conf=$out/odoo-demo.conf
write_conf "$conf" "http_port = $http_port"

echo "== Building the demo database '$db' (about two minutes)"
dropdb -h "$db_host" -p "$db_port" -U "$db_user" --if-exists "$db" || fail "cannot drop database $db"
"$py" -m odoo -c "$conf" -d "$db" -i l10n_es,account_dunning_es,account_dunning_es_sms,payment_demo \
  --stop-after-init > "$out/demo-install.log" 2>&1 \
  || { tail -30 "$out/demo-install.log"; fail "installation failed: see $out/demo-install.log"; }

echo "== Running today's dunning job"
"$py" -m odoo shell -c "$conf" -d "$db" --no-http < "$here/tests/demo_summary.py" 2> "$out/demo-run.log" \
  || { tail -30 "$out/demo-run.log"; fail "the dunning job failed: see $out/demo-run.log"; }

cat <<EOT

== Open it in a browser
  $py -m odoo -c $conf -d $db
  then http://localhost:$http_port/odoo  (login: admin, password: admin)
  Invoicing > Customers > Dunning: runs, communications, letters to post, promises,
  negotiations and the customers ready for court. Each reminder's link opens the
  customer's statement page (printed above for one of them), payable with Odoo's
  demo payment provider.
EOT
