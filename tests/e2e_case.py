# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Base for the cross-module tests of this folder.

Odoo gives test tags and a module only to test classes that live inside an
add-on (odoo.addons.*); these live beside the add-ons, so they set them.
"""

from odoo.addons.account_dunning_es.tests.common import trigger_daily_job
from odoo.tests import TransactionCase


class CrossModuleCase(TransactionCase):
    test_tags = {"standard", "post_install"}
    test_module = "account_dunning_es"
    test_sequence = 0

    def trigger_daily_job(self):
        trigger_daily_job(self.env)
