# Shared set-up of tests/run.sh and tests/demo.sh (sourced, not run).
#
# Environment (all optional): ODOO_DB_HOST (localhost) ODOO_DB_PORT (5432)
#   ODOO_DB_USER (odoo) ODOO_DB_PASSWORD (odoo) ODOO_PYTHON (python3)
#   ODOO_ADDONS_PATH  Odoo's addons folders, comma separated (found from the
#                     installed odoo package when unset)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=${ODOO_PYTHON:-python3}
db_host=${ODOO_DB_HOST:-localhost}
db_port=${ODOO_DB_PORT:-5432}
db_user=${ODOO_DB_USER:-odoo}
db_password=${ODOO_DB_PASSWORD:-odoo}
out=${TEST_OUT:-$here/.ci/out}
mkdir -p "$out"
export PGPASSWORD=$db_password

fail() { echo "ERROR: $*" >&2; exit 1; }

# Odoo 18.0 must be importable: untested Odoo code must not pass.
require_odoo() {
  "$py" -c 'import odoo.release as r; assert r.version_info[0] == 18' 2>/dev/null \
    || fail "Odoo 18.0 cannot be imported by $py. Install Odoo 18.0 Community (see README.rst,
'Installation') so that 'import odoo' works, then run this command again."
}

# PostgreSQL must be up (the local cluster is started if needed), with a role
# Odoo accepts (it refuses 'postgres').
require_postgres() {
  if ! pg_isready -h "$db_host" -p "$db_port" -q 2>/dev/null; then
    echo "PostgreSQL is not answering on $db_host:$db_port; trying to start the local cluster"
    if command -v pg_ctlcluster >/dev/null; then
      local version
      version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
      [ -n "$version" ] && pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    for _ in $(seq 1 20); do pg_isready -h "$db_host" -p "$db_port" -q && break; sleep 1; done
    pg_isready -h "$db_host" -p "$db_port" -q || fail "PostgreSQL is not running on $db_host:$db_port."
  fi
  [ "$db_user" = postgres ] && fail "Odoo refuses the database user 'postgres': set ODOO_DB_USER to another role."
  if ! psql -h "$db_host" -p "$db_port" -U "$db_user" -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    echo "Creating PostgreSQL role $db_user"
    psql -h "$db_host" -p "$db_port" -U postgres -d postgres -qc \
      "CREATE ROLE \"$db_user\" LOGIN CREATEDB PASSWORD '$db_password'" \
      || fail "cannot create the PostgreSQL role $db_user: create it (with CREATEDB) and run again."
  fi
}

# write_conf FILE [EXTRA_LINE...]: an Odoo configuration for this repository.
write_conf() {
  local conf=$1
  shift
  local addons_path=${ODOO_ADDONS_PATH:-$("$py" - <<'PY'
import os, odoo
root = os.path.dirname(os.path.abspath(odoo.__file__))
paths = [os.path.join(root, "addons"), os.path.abspath(os.path.join(root, "..", "addons"))]
print(",".join(p for p in paths if os.path.isdir(p)))
PY
)}
  {
    echo "[options]"
    echo "db_host = $db_host"
    echo "db_port = $db_port"
    echo "db_user = $db_user"
    echo "db_password = $db_password"
    echo "addons_path = $addons_path,$here${extra_addons:+,$extra_addons}"
    echo "data_dir = $out/data"
    echo "log_level = warn"
    for line in "$@"; do echo "$line"; done
  } > "$conf"
}

# fetch_queue_job: OCA's queue_job (an optional companion of the product, not
# a dependency) unpacked into an addons folder of its own, for the test of
# several job workers. Its wheel requires odoo==18.0.*, which pip cannot find
# on PyPI: downloaded without dependencies and unpacked (installed beside an
# editable Odoo, it would hide it from `import odoo`).
fetch_queue_job() {
  local folder=$out/oca_addons
  if [ ! -d "$folder/queue_job" ]; then
    rm -rf "$out/wheels" && mkdir -p "$out/wheels" "$folder"
    "$py" -m pip download --no-deps -q -d "$out/wheels" "odoo-addon-queue-job==18.0.*" \
      || fail "cannot download odoo-addon-queue-job 18.0 from PyPI (needed by tests/test_job_workers.py)"
    "$py" - "$out/wheels" "$folder" <<'PY' || fail "cannot unpack queue_job"
import glob, os, shutil, sys, tempfile, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
with tempfile.TemporaryDirectory() as tmp:
    zipfile.ZipFile(wheel).extractall(tmp)
    shutil.copytree(os.path.join(tmp, "odoo", "addons", "queue_job"), os.path.join(sys.argv[2], "queue_job"))
PY
  fi
  extra_addons=$folder
}

# axe-core, the accessibility engine the statement page's browser test runs
# (account_dunning_es/tests/test_dunning_statement.py), from the npm registry.
AXE_CORE_VERSION=4.14.1
fetch_axe_core() {
  local folder=$out/npm
  if [ ! -f "$folder/node_modules/axe-core/axe.min.js" ]; then
    command -v npm >/dev/null || fail "npm is needed to fetch axe-core for the accessibility test"
    npm install --silent --no-save --no-audit --no-fund --prefix "$folder" \
      "axe-core@$AXE_CORE_VERSION" >/dev/null || fail "cannot install axe-core@$AXE_CORE_VERSION from npm"
  fi
  export DUNNING_AXE_CORE_JS=$folder/node_modules/axe-core/axe.min.js
}
