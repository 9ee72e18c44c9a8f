#!/usr/bin/env bash
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
# The figures of README.rst ("Benchmarks"), in one command:
#
#   OCA_ADDONS=/path/to/oca_addons bash tests/benchmarks/run_all.sh [--fresh] [--all]
#
# Dunning runs on the 5,000 / 200,000 invoice ledgers, and the comparison
# with OCA's account_credit_control on the 50,000 invoice ledger (skipped,
# with a message, without OCA_ADDONS: the folder where its 18.0 wheel from
# PyPI is unpacked). --all adds the large customer, letters and reports
# benchmarks and the 1,000,000-move ledger (about 25 minutes). With
# QUEUE_JOB_ADDONS (the folder holding queue_job 18.0), also 1 and 2 job
# workers on the 200,000 ledger. --fresh rebuilds the databases. Output:
# .ci/out/benchmarks.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .ci/out
log=.ci/out/benchmarks.log
fresh=""
all=""
for arg in "$@"; do
    case "$arg" in
        --fresh) fresh="--fresh" ;;
        --all) all=1 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done
bench() {
    echo "== $*" | tee -a "$log"
    python3 "tests/benchmarks/$@" $fresh 2>&1 | grep -v "^Running as user" | tee -a "$log"
}
: > "$log"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB," \
     "$(psql --version | head -1)" | tee -a "$log"
bench bench_dunning_run.py --db dunning_bench_small --customers 500 --invoices 5000 --overdue 2000
bench bench_email_bodies.py --db dunning_bench_small
if [ -n "${OCA_ADDONS:-}" ]; then
    bench bench_compare_oca.py --extra-addons "$OCA_ADDONS"
else
    echo "== bench_compare_oca.py skipped: set OCA_ADDONS to the folder holding" \
         "account_credit_control 18.0 (unpacked from its PyPI wheel)" | tee -a "$log"
fi
echo "== bench_prediction.py" | tee -a "$log"
python3 tests/benchmarks/bench_prediction.py 2>&1 | tee -a "$log"
bench bench_dunning_run.py --db dunning_bench_200k --customers 20000 --invoices 200000 --overdue 80000
if [ -n "${QUEUE_JOB_ADDONS:-}" ]; then
    bench bench_job_workers.py --extra-addons "$QUEUE_JOB_ADDONS" --db dunning_bench_jobs \
        --customers 20000 --invoices 200000 --overdue 80000
else
    echo "== bench_job_workers.py skipped: set QUEUE_JOB_ADDONS to the folder holding" \
         "queue_job 18.0 (unpacked from its PyPI wheel; tests/run.sh puts one in .ci/out/oca_addons)" \
        | tee -a "$log"
fi
if [ -n "$all" ]; then
    bench bench_dunning_run.py --db dunning_bench_1m --customers 100000 --invoices 1000000 --overdue 400000
    bench bench_large_customer.py --invoices 5000
    bench bench_letters.py --letters 500
    bench bench_reports.py --runs 12
fi
