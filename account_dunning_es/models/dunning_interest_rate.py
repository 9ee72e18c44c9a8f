# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class DunningInterestRate(models.Model):
    _name = "dunning.interest.rate"
    _description = "Legal Late-Payment Interest Rate (Ley 3/2004)"
    _order = "date_start desc"

    name = fields.Char(compute="_compute_name", store=True)
    date_start = fields.Date(required=True)
    date_end = fields.Date(required=True)
    rate = fields.Float(
        string="Rate (%)",
        digits=(5, 2),
        required=True,
        help="Annual legal late-payment rate: the ECB main refinancing rate of the first "
        "day of the semester plus 8 points, as published in the BOE.",
    )
    reference = fields.Char(help="BOE resolution that publishes the rate.")

    @api.depends("date_start", "date_end", "rate")
    def _compute_name(self):
        for rate in self:
            rate.name = f"{rate.date_start} - {rate.date_end}: {rate.rate:.2f} %"

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for rate in self:
            if rate.date_end < rate.date_start:
                raise ValidationError(_("The period of a rate must end after it starts."))
            overlap = self.search_count(
                [
                    ("id", "!=", rate.id),
                    ("date_start", "<=", rate.date_end),
                    ("date_end", ">=", rate.date_start),
                ]
            )
            if overlap:
                raise ValidationError(
                    _("The rate of %(name)s overlaps another period.", name=rate.name)
                )

    @api.model
    def _rate_table(self):
        """[(date_start, date_end, rate)] for the interest rule."""
        return [(r.date_start, r.date_end, r.rate) for r in self.search([], order="date_start")]
