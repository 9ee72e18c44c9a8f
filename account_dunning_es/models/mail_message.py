# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from .dunning_batch_defaults import add_missing_defaults


class MailMessage(models.Model):
    _inherit = "mail.message"

    def _add_missing_default_values(self, values):
        # The chatter copies of a run's emails: defaults looked up once.
        return add_missing_defaults(self, values, super()._add_missing_default_values)
