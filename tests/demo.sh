#!/usr/bin/env bash
# Demo database: build it with both add-ons and their demo data, run today's
# dunning job on it, print what the job did and how to open it in a browser.
#
# Environment (all optional): ODOO_DB_HOST (localhost) ODOO_DB_PORT (5432)
#   ODOO_DB_USER (odoo) ODOO_DB_PASSWORD (odoo) DEMO_DB (dunning_demo)
#   ODOO_ADDONS_PATH (found from the installed odoo package when unset)
#   HTTP_PORT (8069)
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
py=${ODOO_PYTHON:-python3}
db_host=${ODOO_DB_HOST:-localhost}
db_port=${ODOO_DB_PORT:-5432}
db_user=${ODOO_DB_USER:-odoo}
db_password=${ODOO_DB_PASSWORD:-odoo}
db=${DEMO_DB:-dunning_demo}
http_port=${HTTP_PORT:-8069}
out=$here/.ci/out
mkdir -p "$out"

fail() { echo "ERROR: $*" >&2; exit 1; }

"$py" -c 'import odoo.release as r; assert r.version_info[0] == 18' 2>/dev/null \
  || fail "Odoo 18.0 cannot be imported by $py: install it first (README.rst, 'Installation')."
pg_isready -h "$db_host" -p "$db_port" -q 2>/dev/null \
  || fail "PostgreSQL is not answering on $db_host:$db_port (start it, e.g. pg_ctlcluster 15 main start)."
[ "$db_user" = postgres ] && fail "Odoo refuses the database user 'postgres': set ODOO_DB_USER to another role."
export PGPASSWORD=$db_password
if ! psql -h "$db_host" -p "$db_port" -U "$db_user" -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  psql -h "$db_host" -p "$db_port" -U postgres -d postgres -qc \
    "CREATE ROLE \"$db_user\" LOGIN CREATEDB PASSWORD '$db_password'" \
    || fail "cannot create the PostgreSQL role $db_user: create it (with CREATEDB) and run again."
fi

addons_path=${ODOO_ADDONS_PATH:-$("$py" - <<'PY'
import os, odoo
root = os.path.dirname(os.path.abspath(odoo.__file__))
paths = [os.path.join(root, "addons"), os.path.abspath(os.path.join(root, "..", "addons"))]
print(",".join(p for p in paths if os.path.isdir(p)))
PY
)}
conf=$out/odoo-demo.conf
cat > "$conf" <<CONF
[options]
db_host = $db_host
db_port = $db_port
db_user = $db_user
db_password = $db_password
addons_path = $addons_path,$here
data_dir = $out/data
http_port = $http_port
log_level = warn
CONF

echo "== Building the demo database '$db' (about two minutes)"
dropdb -h "$db_host" -p "$db_port" -U "$db_user" --if-exists "$db" || fail "cannot drop database $db"
"$py" -m odoo -c "$conf" -d "$db" -i l10n_es,account_dunning_es,account_dunning_es_sms \
  --stop-after-init > "$out/demo-install.log" 2>&1 \
  || { tail -30 "$out/demo-install.log"; fail "installation failed: see $out/demo-install.log"; }

echo "== Running today's dunning job"
"$py" -m odoo shell -c "$conf" -d "$db" --no-http < "$here/tests/demo_summary.py" 2> "$out/demo-run.log" \
  || { tail -30 "$out/demo-run.log"; fail "the dunning job failed: see $out/demo-run.log"; }

cat <<EOT

== Open it in a browser
  $py -m odoo -c $conf -d $db
  then http://localhost:$http_port/odoo  (login: admin, password: admin)
  Invoicing > Customers > Dunning: runs, communications, letters to post, promises.
EOT
