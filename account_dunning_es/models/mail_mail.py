# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models

from ..infrastructure.batch_defaults import add_missing_defaults


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _add_missing_default_values(self, values):
        # The emails a run queues: defaults looked up once.
        return add_missing_defaults(self, values, super()._add_missing_default_values)
