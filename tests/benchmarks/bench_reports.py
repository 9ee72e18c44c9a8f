#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Time of the effectiveness reports over a year of dunning history.

    python3 tests/benchmarks/bench_reports.py --runs 12

On the seeded ledger (built first if the database lacks it, see
common.ensure_ledger), first company: the dunning is run on
--runs dates spread over the year before --date (each run issues the next
stage of every invoice, as the daily job would), a share of the claimed
invoices is paid after each run, then the management figures and the
analysis view are computed over the year and their times printed.
"""

import os
import random
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--runs", type=int, default=12)
    common.add_ledger_arguments(parser)
    parser.add_argument(
        "--keep-history", action="store_true", help="reuse the history built before"
    )
    args = parser.parse_args()
    common.ensure_database(args)
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api

    end = date.fromisoformat(args.date)
    start = end - timedelta(days=364)
    rng = random.Random(3)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        common.ensure_ledger(env, args, end)
        if not args.keep_history:
            common.reset_dunning(env)
            with common.measure(f"history: {args.runs} runs over the year, with payments"):
                for n in range(args.runs):
                    day = start + timedelta(days=round(n * 364 / max(args.runs - 1, 1)))
                    run = env["dunning.run"].create({"date": day, "preview": False})
                    common.execute_committed(run)
                    claimed = run.communication_ids.line_ids.move_id
                    paid = claimed.filtered(lambda m: rng.random() < 0.15)
                    # A payment a few days after the reminder: the residual
                    # drops and a partial reconcile row records the date.
                    for move in paid[:150]:
                        pay_day = day + timedelta(days=rng.randint(1, 40))
                        env["account.payment.register"].with_context(
                            active_model="account.move", active_ids=move.ids
                        ).create({"payment_date": pay_day})._create_payments()
                    cr.commit()
        companies = env.company
        print(f"{env['dunning.communication'].search_count([])} communications in the history")
        with common.measure("management figures of the year (by contact method)"):
            figures = env["dunning.effectiveness"]._compute(start, end, companies, 30, "channel")
        print(f"  {len(figures['rows'])} month x method rows")
        with common.measure("analysis view, grouped by month and method"):
            groups = env["dunning.effectiveness.report"]._read_group(
                [("date", ">=", start)],
                ["date:month", "channel"],
                ["contact_count:sum", "paid_count:sum", "amount_recovered:sum"],
            )
        print(f"  {len(groups)} groups")
        wizard = env["dunning.report.wizard"].create({"date_from": start, "date_to": end})
        with common.measure("XLSX export of the year"):
            content = wizard._xlsx_content()
        print(f"  {len(content) / 1024:.0f} KiB")
        cr.rollback()


if __name__ == "__main__":
    main()
