#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Time and memory of the daily dunning run on a large ledger.

    python3 tests/benchmarks/bench_dunning_run.py --customers 5000 --invoices 50000 --overdue 20000

Builds (once) a database without demo data, a seeded ledger (two companies,
foreign currency, credit notes: see ledger.py), then runs the dunning of one
day in each company as the daily job does (commit per batch) and prints the
figures. With ``--days N``, the following days too: the first run reminds
most overdue invoices, the next ones only those whose next stage has come
(the steady state). Run it again with --fresh to rebuild everything; with
--waits, it also prints where the run's process waited.
"""

import contextlib
import os
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    common.add_ledger_arguments(parser)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--days", type=int, default=1, help="consecutive daily runs")
    parser.add_argument(
        "--waits",
        action="store_true",
        help="also print where the run waited (SQL statements, helpers)",
    )
    args = parser.parse_args()
    common.ensure_database(args)
    common.machine_speed()
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api

    today = date.fromisoformat(args.date)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        common.ensure_ledger(env, args, today)
        common.reset_dunning(env)
        companies = common.ledger_companies(env)
        companies.dunning_batch_size = args.batch_size
        cr.commit()
        for day in range(args.days):
            on_date = today + timedelta(days=day)
            runs = common.create_runs(env, on_date)
            with (
                common.waits() if args.waits else contextlib.nullcontext(),
                common.measure(f"dunning run of {on_date}", args.trace_memory) as figures,
            ):
                common.execute_runs(runs)
            cr.execute(
                "SELECT count(*), count(DISTINCT move_id) FROM dunning_communication_line "
                "WHERE date = %s",
                [on_date],
            )
            lines, moves = cr.fetchone()
            print(
                f"  {sum(runs.mapped('partner_done'))} customers reviewed in {len(companies)} "
                f"companies, {sum(runs.mapped('communication_count'))} communications "
                f"({sum(runs.mapped('sent_count'))} issued, {sum(runs.mapped('failed_count'))} "
                f"failed), {lines} invoice lines on {moves} invoices; "
                f"{figures['seconds'] / max(args.invoices / 1000, 1):.2f} s per 1,000 open moves"
            )
            for run in runs:
                print(f"  [{run.company_id.name}]\n  " + run.log.strip().replace("\n", "\n  "))


if __name__ == "__main__":
    main()
