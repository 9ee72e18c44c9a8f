# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class DunningPromise(models.Model):
    _inherit = "dunning.promise"

    channel = fields.Selection(
        selection_add=[("ivr", "Automated Call (IVR)")], ondelete={"ivr": "set default"}
    )
