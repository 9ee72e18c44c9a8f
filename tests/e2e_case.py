# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Base for the cross-module tests of this folder.

Odoo gives test tags and a module only to test classes that live inside an
add-on (odoo.addons.*); these live beside the add-ons, so they set them.
"""

from odoo.tests import TransactionCase


class CrossModuleCase(TransactionCase):
    test_tags = {"standard", "post_install"}
    test_module = "account_dunning_es"
    test_sequence = 0

    def trigger_daily_job(self, max_calls=100):
        """Call the daily job as Odoo's scheduler does: one batch a call,
        again while it reports customers remaining (cron progress API)."""
        cron = self.env.ref("account_dunning_es.ir_cron_dunning_run")
        Progress = self.env["ir.cron.progress"]
        for _call in range(max_calls):
            cron.method_direct_trigger()
            progress = Progress.search([("cron_id", "=", cron.id)], order="id desc", limit=1)
            if not progress.remaining:
                return
        raise AssertionError("the daily job never finished")
