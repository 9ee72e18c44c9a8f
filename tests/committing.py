# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Run a dunning run as Odoo's scheduler runs the daily job, for scripts.

The add-on never commits: the daily job processes one batch per call and
Odoo's scheduler commits after each (cron progress API). Scripts that run
in real transactions (the robustness tests, the benchmarks) do the same
here: one batch per transaction, committed; a batch that another
transaction claimed first is rolled back and taken up again in a new one.
"""

import time


def run_committing(run, timeout=600, **execute_kwargs):
    """Process ``run`` to the end, one committed batch at a time."""
    # Imported here: a script configures Odoo's addons path before it runs.
    from odoo.addons.account_dunning_es.models.dunning_run import DunningConflict

    cr = run.env.cr
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = run.partner_done
        try:
            finished = run._execute(max_batches=1, **execute_kwargs)
        except DunningConflict:
            cr.rollback()
            run.env.invalidate_all()
            continue
        cr.commit()
        if finished:
            return True
        if run.partner_done == before:  # another run holds the company
            time.sleep(0.2)
    raise TimeoutError(f"{run.display_name} did not finish in {timeout} s")
