# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from . import dunning_law_rules


class DunningInterestRate(models.Model):
    _name = "dunning.interest.rate"
    _description = "Legal Interest Rate"
    _order = "kind, date_start desc"

    name = fields.Char(compute="_compute_name", store=True)
    kind = fields.Selection(
        [
            ("late_payment", "Late payment in commercial transactions (Ley 3/2004)"),
            ("legal", "Legal interest of money (consumers)"),
        ],
        required=True,
        default="late_payment",
        help="Late payment: per semester, the ECB rate + 8 points (Ley 3/2004, art. 7), for "
        "businesses and administrations. Legal interest of money: per year, set by the "
        "budget law, due by consumers from the demand (Civil Code arts. 1100 and 1108).",
    )
    date_start = fields.Date(required=True)
    date_end = fields.Date(required=True)
    rate = fields.Float(
        string="Rate (%)",
        digits=(5, 2),
        required=True,
        # Rates of different periods are never added up, in a grouped list
        # or anywhere.
        aggregator=None,
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
                raise ValidationError(self.env._("The period of a rate must end after it starts."))
            overlap = self.search_count(
                [
                    ("id", "!=", rate.id),
                    ("kind", "=", rate.kind),
                    ("date_start", "<=", rate.date_end),
                    ("date_end", ">=", rate.date_start),
                ]
            )
            if overlap:
                raise ValidationError(
                    self.env._("The rate of %(name)s overlaps another period.", name=rate.name)
                )

    @api.model
    def _rate_table(self, kind="late_payment"):
        """[(date_start, date_end, rate)] of one kind, for the interest rule."""
        return [
            (r.date_start, r.date_end, r.rate)
            for r in self.search([("kind", "=", kind)], order="date_start")
        ]

    @api.model
    def _notify_missing_semester(self, company, today):
        """Tell the company's dunning manager, once, that the semester that
        has begun has no late-payment rate yet.

        Ley 3/2004, art. 7.2: the rate of each calendar semester is published
        in the BOE by resolution of the Secretaría General del Tesoro y
        Financiación Internacional. Until it is added, letters claim no
        interest for that period and say so; this notice gets it added.

        :return: the To-Do activity created on the company's contact, or an
            empty recordset (a rate applies, or the manager was told already)
        """
        start, end = dunning_law_rules.semester_of(today)
        notified = self.env["mail.activity"]
        if dunning_law_rules.rate_covers(self._rate_table(), today):
            return notified
        key = fields.Date.to_string(start)
        if company.dunning_rate_notice == key:
            return notified
        manager = company._dunning_manager()
        env = self.with_context(lang=manager.lang or self.env.lang).env
        half = env._("1st semester") if start.month == 1 else env._("2nd semester")
        note = Markup("<p>%s</p><p>%s</p>") % (
            env._(
                "No late-payment rate is recorded for %(start)s - %(end)s: letters claim no "
                "interest for that period until it is added.",
                start=start,
                end=end,
            ),
            env._(
                "Add it in Accounting > Configuration > Dunning > Interest Rates from the "
                "BOE resolution of the Secretaría General del Tesoro y Financiación "
                "Internacional that publishes the late-payment rate of the %(half)s %(year)s "
                "(Ley 3/2004, art. 7).",
                half=half,
                year=start.year,
            ),
        )
        notified = company.partner_id.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=env._(
                "Add the late-payment rate of the %(half)s %(year)s", half=half, year=start.year
            ),
            note=note,
            user_id=manager.id or self.env.user.id,
        )
        company.dunning_rate_notice = key
        return notified
