#!/usr/bin/env python3
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Run the dunning of some invoices in a process of its own, slowly.

Used by test_robustness.py, which kills this process at random moments:
    python3 tests/robustness_run.py CONFIG DB MOVE_IDS_FILE
Each batch (two customers) is followed by a short pause, so that a kill
lands in the middle of a run.
"""

import sys
import time

from committing import run_committing

import odoo
from odoo import SUPERUSER_ID, api, fields


def main(config, db, ids_file):
    odoo.tools.config.parse_config(["-c", config, "-d", db])
    registry = odoo.modules.registry.Registry(db)
    move_ids = [int(x) for x in open(ids_file).read().split()]
    Run = registry["dunning.run"]
    original = Run._process_batch

    def slow_batch(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        time.sleep(0.5)
        return result

    Run._process_batch = slow_batch
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        run = env["dunning.run"].create(
            {"date": fields.Date.context_today(env.user), "preview": False, "origin": "manual"}
        )
        cr.commit()
        run_committing(run, move_ids=move_ids)
    print("completed")


if __name__ == "__main__":
    main(*sys.argv[1:4])
