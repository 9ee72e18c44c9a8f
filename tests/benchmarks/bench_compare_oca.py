#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Our dunning run against OCA's account_credit_control on the same ledger.

    python3 tests/benchmarks/bench_compare_oca.py --extra-addons /path/to/oca_addons

OCA's add-on (odoo-addon-account-credit-control 18.0 from PyPI, unpacked in
an addons folder of its own: it is no dependency of this product) is
installed in this benchmark's own database only. Both tools work on the same
seeded ledger for the same date, in one process: ours issues the stages of
the day (communications, queued emails, activities); OCA's generates its
credit control lines with its shipped three-level policy. Printed: time,
SQL queries, peak memory and what each produced.
"""

import os
import sys
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402


def main():
    parser = common.base_parser(__doc__)
    parser.set_defaults(db="dunning_bench_oca", modules="account_dunning_es,account_credit_control")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--invoices", type=int, default=50000)
    parser.add_argument("--overdue", type=int, default=20000)
    parser.add_argument("--date", default="2026-06-15")
    args = parser.parse_args()
    common.ensure_database(args)
    registry = common.open_registry(args)
    from odoo import SUPERUSER_ID, Command, api

    today = date.fromisoformat(args.date)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"dunning_commit": True})
        common.ensure_ledger(env, args, today)
        common.reset_dunning(env)
        cr.execute("DELETE FROM credit_control_line")
        cr.execute("DELETE FROM credit_control_run")
        env.company.dunning_batch_size = 500
        policy = env.ref("account_credit_control.credit_control_3_time")
        receivable = env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", env.company.ids)]
        )
        policy.account_ids = [Command.set(receivable.ids)]
        env.company.credit_policy_id = policy
        cr.commit()
        env.invalidate_all()

        # Same work as OCA's line generation: decide and record, send nothing.
        review = env["dunning.run"].create({"date": today, "preview": True, "origin": "manual"})
        cr.commit()
        with common.measure("account_dunning_es: review run (decide and record)") as ours:
            review._execute()
        print(f"  {review.communication_count} draft communications for {review.partner_done} customers")
        common.reset_dunning(env)
        run = env["dunning.run"].create({"date": today, "preview": False, "origin": "cron"})
        cr.commit()
        with common.measure("account_dunning_es: full run (decide, record, render and queue)") as full:
            run._execute()
        print(f"  {run.communication_count} communications for {run.partner_done} customers")

        oca_run = env["credit.control.run"].create(
            {"date": today, "policy_ids": [Command.set(policy.ids)]}
        )
        cr.commit()
        with common.measure("account_credit_control: generate credit lines") as oca:
            oca_run.generate_credit_lines()
            cr.commit()
        lines = env["credit.control.line"].search_count([("run_id", "=", oca_run.id)])
        print(f"  {lines} credit control lines")
        print(
            f"ratio OCA / our review run: time {oca['seconds'] / ours['seconds']:.1f}x, "
            f"queries {oca['queries'] / max(ours['queries'], 1):.1f}x; "
            f"OCA / our full run: time {oca['seconds'] / full['seconds']:.1f}x"
        )


if __name__ == "__main__":
    main()
