#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a manager and a collector wait for on a large ledger, after its run.

    python3 tests/benchmarks/bench_screens.py --db dunning_bench_1m

On a database where bench_dunning_run.py has run (the 1,000,000-move one,
say): the management figures of the year before --date (by contact method)
and the analysis view grouped by month and method; the worklist rebuilt by
the daily job, then opened as its list (first page, as the web client asks
it) and counted.
"""

import os
import sys
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--date", default="2026-06-15")
    args = parser.parse_args()
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, api

    end = date.fromisoformat(args.date)
    start = end - timedelta(days=364)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        companies = common.ledger_companies(env)
        print(
            f"{env['account.move'].search_count([('move_type', '=', 'out_invoice')])} invoices, "
            f"{env['dunning.communication'].search_count([])} communications"
        )
        with common.measure("management figures of the year (by contact method)"):
            env["dunning.effectiveness"]._compute(start, end, companies, 30, "channel")
        with common.measure("analysis view, grouped by month and method"):
            env["dunning.effectiveness.report"]._read_group(
                [("date", ">=", start), ("date", "<=", end)],
                ["date:month", "channel"],
                ["__count"],
            )
        Worklist = env["dunning.worklist"]
        with common.measure("worklist rebuilt (daily job, both companies)"):
            Worklist._cron_rebuild()
        cr.commit()
        env.invalidate_all()
        for company in companies:
            worklist = Worklist.with_company(company).with_context(allowed_company_ids=company.ids)
            with common.measure(f"worklist opened ({company.name}: first 80 rows and count)"):
                worklist.web_search_read(
                    [("company_id", "=", company.id)],
                    {"partner_id": {"fields": {"display_name": {}}}, "score": {}},
                    limit=80,
                    count_limit=10001,
                )
                count = worklist.search_count([("company_id", "=", company.id)])
            print(f"  {count} customers on the worklist")


if __name__ == "__main__":
    main()
