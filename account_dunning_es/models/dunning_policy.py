# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError

from ..rules import court
from ..rules.engine import StageInfo


class DunningPolicy(models.Model):
    _name = "dunning.policy"
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    stage_ids = fields.One2many("dunning.stage", "policy_id", string="Stages", copy=True)
    min_amount = fields.Monetary(
        string="Minimum Amount",
        currency_field="currency_id",
        help="Customers owing less than this (net of open credit notes, in company "
        "currency) receive no reminder.",
    )
    grace_days = fields.Integer(
        help="Days added to every stage after the due date before it is issued."
    )
    min_days_between = fields.Integer(
        string="Minimum Days Between Reminders",
        default=2,
        help="An invoice climbs one stage at a time and never gets two reminders "
        "closer than this, even when a run catches up late.",
    )
    collector_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        help="Responsible for the customers of this policy who have no collector of their own.",
    )
    segment_count = fields.Integer(compute="_compute_segment_count")

    # Demand letters
    letter_deadline_days = fields.Integer(
        string="Days to Pay After a Letter",
        default=10,
        help="Deadline given in a demand letter, counted with the postal time (7 to 14 days).",
    )
    apply_late_interest = fields.Boolean(
        string="Claim Late-Payment Interest",
        default=True,
        help="Ley 3/2004: interest at the legal rate of each semester, from the day after "
        "the due date, for business and public-administration customers.",
    )
    apply_compensation = fields.Boolean(
        string="Claim 40 EUR Compensation",
        default=True,
        help="Ley 3/2004, art. 8: a fixed 40 EUR per invoice for collection costs, for "
        "business and public-administration customers.",
    )
    consumer_legal_interest = fields.Boolean(
        string="Consumers: Claim the Legal Interest of Money",
        help="Consumers are outside Ley 3/2004. When set, their letters claim the legal "
        "interest of money of each year (Interest Rates), from the day after the first "
        "demand they received (Civil Code arts. 1100 and 1108).",
    )
    report_to_bureau = fields.Boolean(
        string="Notify Credit Bureau Reporting",
        help="Letters of firm and final tone warn that the debt may be reported to a "
        "credit information system (LOPDGDD art. 20); the date of that notice is kept.",
    )
    bureau_name = fields.Char(string="Credit Bureau", default="ASNEF-Equifax")
    agency_name = fields.Char(
        string="External Collection Agency", help="Named in the final demand letter."
    )

    # Before court (LO 1/2025)
    masc_form = fields.Selection(
        court.MASC_FORMS,
        string="Negotiation Form",
        default="invitation",
        help="What the negotiation stage sends. An invitation to negotiate commits the "
        "company to nothing (the safer default); a binding confidential offer binds it "
        "once the customer accepts (LO 1/2025 art. 17).",
    )
    masc_offer_kind = fields.Selection(court.OFFER_KINDS, string="Offer", default="waive_interest")
    masc_offer_instalments = fields.Integer(string="Instalments of the Offer", default=3)
    masc_acceptance_days = fields.Integer(
        string="Days to Accept the Offer",
        default=court.OFFER_MIN_ACCEPTANCE_DAYS,
        help="From its receipt; one month at least (LO 1/2025 art. 17).",
    )

    # The customer's statement page
    portal_paid_pause_days = fields.Integer(
        string="Days Without Reminder After 'Already Paid'",
        default=7,
        help="When a customer says on its statement page that it has paid, its invoices "
        "get no reminder while the collector checks it, at most so many days; then "
        "reminders resume and the collector is told.",
    )
    portal_review_days = fields.Integer(
        string="Days a Customer's Reason Rests",
        default=30,
        help="A reason the customer gives on its statement page (a dispute, a missing "
        "document, another) rests the invoice until the collector presses Review Done, "
        "at most so many days (0: no limit); then reminders resume and the collector is "
        "told.",
    )
    portal_plan_max_instalments = fields.Integer(
        string="Plan: Most Instalments",
        default=3,
        help="A plan proposed on the statement page within these limits is accepted at "
        "once; beyond them it waits for the collector's approval.",
    )
    portal_plan_max_days = fields.Integer(string="Plan: Last Instalment Within (Days)", default=90)
    portal_plan_min_instalment = fields.Monetary(
        string="Plan: Smallest Instalment", currency_field="currency_id", default=50.0
    )

    call_max_unanswered = fields.Integer(
        string="Unanswered Calls Before Writing",
        default=3,
        help="After so many calls logged without answer in a row, the invoices' next "
        "stage goes out at once, in writing where that stage writes.",
    )

    # Promises and behaviour
    promise_grace_days = fields.Integer(
        default=2, help="Days after an instalment date before a promise counts as broken."
    )
    promise_reminder = fields.Boolean(
        string="Remind Instalments",
        default=True,
        help="A friendly email the day before each instalment of a payment promise.",
    )
    promise_broken_stage_id = fields.Many2one(
        "dunning.stage",
        string="Stage After a Broken Promise",
        domain="[('policy_id', '=', id)]",
        help="Stage issued at once when a promise is broken; without one, the next stage.",
    )
    chronic_policy_id = fields.Many2one(
        "dunning.policy",
        string="Policy for Chronic Late Payers",
        domain="[('company_id', '=', company_id), ('id', '!=', id)]",
        help="Customers classified as chronic late payers or promise breakers follow this "
        "(usually faster) policy instead.",
    )
    thank_you = fields.Boolean(
        string="Thank After Full Payment",
        help="When a customer in collection pays everything, thank them.",
    )
    thank_you_template_id = fields.Many2one(
        "mail.template",
        domain=[("model", "=", "res.partner")],
        default=lambda self: self.env.ref(
            "account_dunning_es.mail_template_thank_you", raise_if_not_found=False
        ),
    )

    _sql_constraints = [
        (
            "letter_deadline_days_range",
            "CHECK(letter_deadline_days BETWEEN 7 AND 14)",
            "The deadline of a demand letter is between 7 and 14 days.",
        ),
        (
            "masc_acceptance_days_min",
            f"CHECK(masc_acceptance_days >= {court.OFFER_MIN_ACCEPTANCE_DAYS})",
            "An offer gives the customer one month at least to accept it (LO 1/2025 art. 17).",
        ),
    ]

    @api.depends("company_id")
    def _compute_segment_count(self):
        # A handful of segments: all of them, once for every policy.
        segments = self.env["dunning.segment"].search([])  # pylint: disable=no-search-all
        for policy in self:
            policy.segment_count = len(
                segments.filtered(lambda s, p=policy: s.with_company(p.company_id).policy_id == p)
            )

    def _for_behaviour(self, behaviour):
        """The policy that applies to a customer with this payment behaviour."""
        self.ensure_one()
        if behaviour in ("chronic", "promise_breaker") and self.chronic_policy_id:
            return self.chronic_policy_id
        return self

    def _negotiation_stages(self):
        """The active negotiation stages: with one, the legal hand-over waits
        for the attempt (LO 1/2025 art. 5)."""
        self.ensure_one()
        return self.stage_ids.filtered(lambda s: s.active and s.negotiation)

    def _stage_infos(self):
        """StageInfo of the active stages, for the rules."""
        self.ensure_one()
        return [StageInfo(s.id, s.sequence, s.offset_days) for s in self.stage_ids if s.active]

    @api.model
    def _copy_to_company(self, company, source=None):
        """Give ``company`` a copy of the dunning policies of ``source``.

        ``source`` defaults to the main company, where the Spanish policies
        are shipped. The copies keep their stages; each segment, the default
        policy, the policies for chronic late payers and the stages after a
        broken promise point to the copies. Collectors who may not work in
        this company are left out.

        :return: the new policies
        """
        company.ensure_one()
        source = source or self.env.ref("base.main_company")
        Policy = self.with_context(active_test=False)
        if Policy.search_count([("company_id", "=", company.id)]):
            raise UserError(
                self.env._(
                    "The company %(company)s already has dunning policies.", company=company.name
                )
            )
        # sudo: the source company may be one the user does not work in; its
        # policies are read to be copied, nothing of it is changed.
        originals = Policy.sudo().search([("company_id", "=", source.id), ("active", "=", True)])
        if not originals:
            raise UserError(
                self.env._(
                    "The company %(company)s has no dunning policy to copy.", company=source.name
                )
            )
        copies = {}
        for policy in originals:
            collector = policy.collector_id
            copies[policy] = policy.copy(
                {
                    "company_id": company.id,
                    "collector_id": collector.id if company in collector.company_ids else False,
                }
            )
        for policy, copy in copies.items():
            stage_map = dict(zip(policy.stage_ids, copy.stage_ids, strict=True))
            copy.write(
                {
                    "chronic_policy_id": copies.get(policy.chronic_policy_id, Policy).id,
                    "promise_broken_stage_id": stage_map.get(
                        policy.promise_broken_stage_id, self.env["dunning.stage"]
                    ).id,
                }
            )
        # A handful of segments: all of them.
        segments = (
            self.env["dunning.segment"].with_context(active_test=False).search([])  # pylint: disable=no-search-all
        )
        for segment in segments:
            policy = segment.sudo().with_company(source).policy_id
            if policy in copies:
                segment.with_company(company).policy_id = copies[policy].id
        default = source.sudo().dunning_policy_id
        if default in copies:
            company.dunning_policy_id = copies[default].id
        return Policy.union(*copies.values()).with_env(self.env)
