# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A run's batches handed to OCA's queue_job workers, when it is installed.

Without queue_job the daily job processes a run's batches one after the other
(``dunning_run._execute``). With it, the daily job hands each batch of
customers to a job, and one last job, run once all the batches are done,
finishes the run: any number of job workers on one or several Odoo servers
share the work. The lifecycle is the run's own (``_start``,
``_process_batch``, ``_finish``); this file only hands batches to jobs. The
guarantees are the same:

* a batch is one transaction: a worker killed in the middle leaves nothing,
  and queue_job's runner puts its job back in the queue (its lock is gone);
* the batches of one run share the company's advisory lock with one another,
  never with a run working alone (taken exclusively), and work on disjoint
  customers; a reminder issued twice is refused by the unique index and an
  invoice locked or changed by another transaction makes the batch start
  again later (``RetryableJobError``).
"""

from odoo import api, models
from odoo.tools import split_every

from .dunning_run import DunningConflict

JOB_CHANNEL = "root.dunning"


class DunningRun(models.Model):
    _inherit = "dunning.run"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _dunning_job_queue(self):
        """True when OCA's queue_job is installed (and not disabled for tests
        that run the daily job directly)."""
        return "queue.job" in self.env and not self.env.context.get("dunning_no_job_queue")

    def _enqueue_batches(self):
        """Start each run and hand its customers to job workers, one job per
        batch, and a last job that finishes it."""
        # queue_job is optional: imported only where it is installed.
        from odoo.addons.queue_job.delay import group  # noqa: PLC0415

        for each in self:
            run = each.with_company(each.company_id)
            todo = run._start()
            if todo is False:
                continue  # another run holds the company: the next call
            if todo is None:
                todo = run._candidate_partner_ids(run._claim_domain(), after=run.last_partner_id)
            run.job_batches = True
            batch_size = max(run.company_id.dunning_batch_size or 200, 1)
            batches = [
                run.delayable(
                    channel=JOB_CHANNEL,
                    description=run.env._(
                        "Dunning run %(run)s: customers %(first)s to %(last)s",
                        run=run.name,
                        first=batch[0],
                        last=batch[-1],
                    ),
                )._job_batch(batch)
                for batch in split_every(batch_size, todo, list)
            ]
            finish = run.delayable(
                channel=JOB_CHANNEL, description=run.env._("Dunning run %s: finish", run.name)
            )._job_finish()
            if batches:
                group(*batches).on_done(finish).delay()
            else:
                finish.delay()

    def _job_batch(self, partner_ids):
        """Job: one batch of customers (its own transaction)."""
        from odoo.addons.queue_job.exception import RetryableJobError  # noqa: PLC0415

        self.ensure_one()
        run = self.with_company(self.company_id)
        try:
            processed = run._process_batch(partner_ids, as_job=True)
        except DunningConflict as conflict:
            raise RetryableJobError(str(conflict), seconds=30, ignore_retry=True) from conflict
        if not processed:
            raise RetryableJobError(
                self.env._("Another run is working on this company."),
                seconds=60,
                ignore_retry=True,
            )
        return self.env._("%s customers reviewed.", len(partner_ids))

    def _job_finish(self):
        """Job: every batch is done; finish the run and let the daily job go
        on (the forecast and the worklist follow the day's last run)."""
        self.ensure_one()
        self._finish()
        self.env.ref("account_dunning_es.ir_cron_dunning_run")._trigger()
        return self.env._("Run finished.")
