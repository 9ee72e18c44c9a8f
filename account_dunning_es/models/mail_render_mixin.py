# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Inline templates (``{{ ... }}``) rendered for thousands of records at once.

Odoo's ``_render_template_inline_template`` checks and compiles every
expression again for every record (``safe_eval``): for the subject, sender
and language of a run's 9,000 emails, 45,000 compilations of the same five
expressions, most of the time of their rendering. Under the context key
``COMPILED_INLINE`` (the dunning run's emails) each expression is checked and
compiled once by ``safe_eval``'s own ``test_expr`` with its own opcodes, then
evaluated for each record with its own builtins, as ``safe_eval`` does. The
first record goes through Odoo (its access check on template editors); any
error sends the whole rendering back to Odoo, which raises its own message.
"""

from odoo import api, models
from odoo.tools.rendering_tools import parse_inline_template
from odoo.tools.safe_eval import _BUILTINS, _SAFE_OPCODES, check_values, test_expr

COMPILED_INLINE = "dunning_compiled_inline"


def compile_inline_template(template_txt):
    """[(literal, code or None, default)] of an inline template, each
    expression checked as ``safe_eval`` checks it."""
    return [
        (
            literal,
            test_expr(expression, _SAFE_OPCODES, mode="eval") if expression else None,
            default,
        )
        for literal, expression, default in parse_inline_template(template_txt)
    ]


def render_compiled(instructions, variables, records):
    """{record id: text} as ``rendering_tools.render_inline_template`` gives
    for each record as ``object``."""
    base = dict(variables)
    check_values(base)
    results = {}
    for record in records:
        parts = []
        for literal, code, default in instructions:
            parts.append(literal)
            if code is not None:
                # A fresh copy per expression, as safe_eval makes.
                scope = dict(base, object=record, __builtins__=dict(_BUILTINS))
                value = eval(code, scope) or default  # noqa: S307 # pylint: disable=eval-used
                if value:
                    parts.append(str(value))
        results[record.id] = "".join(parts)
    return results


class MailRenderMixin(models.AbstractModel):
    _inherit = "mail.render.mixin"

    @api.model
    def _render_template_inline_template(
        self, template_txt, model, res_ids, add_context=None, options=None
    ):
        if (
            not self.env.context.get(COMPILED_INLINE)
            or not template_txt
            or len(res_ids) < 2
            or not self._has_unsafe_expression_template_inline_template(str(template_txt), model)
        ):
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context=add_context, options=options
            )
        first = super()._render_template_inline_template(
            template_txt, model, res_ids[:1], add_context=add_context, options=options
        )
        variables = self._render_eval_context()
        variables.update(add_context or {})
        try:
            rest = render_compiled(
                compile_inline_template(str(template_txt)),
                variables,
                self.env[model].browse(res_ids[1:]),
            )
        except Exception:  # noqa: BLE001 # pylint: disable=broad-exception-caught
            # Odoo renders them again and raises its own message.
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context=add_context, options=options
            )
        first.update(rest)
        return first
