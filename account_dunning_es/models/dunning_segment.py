# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class DunningSegment(models.Model):
    _name = "dunning.segment"
    _description = "Collection Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(help="Technical code, unique.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    policy_id = fields.Many2one(
        "dunning.policy",
        company_dependent=True,
        string="Policy",
        help="Policy applied to the customers of this segment in the current company. "
        "Without one, the company's default policy applies.",
    )
    partner_count = fields.Integer(compute="_compute_partner_count")

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The segment code must be unique."),
    ]

    def _compute_partner_count(self):
        groups = self.env["res.partner"]._read_group(
            [("dunning_segment_id", "in", self.ids)], ["dunning_segment_id"], ["__count"]
        )
        counts = {segment.id: count for segment, count in groups}
        for segment in self:
            segment.partner_count = counts.get(segment.id, 0)

    def _policy_for_company(self, company):
        """Policy of this segment in ``company``, or the company's default."""
        self.ensure_one()
        policy = self.with_company(company).policy_id
        if policy and policy.company_id == company and policy.active:
            return policy
        return company.dunning_policy_id
