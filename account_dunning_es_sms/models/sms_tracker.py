# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class SmsTracker(models.Model):
    _inherit = "sms.tracker"

    def _update_sms_notifications(
        self, notification_status, failure_type=False, failure_reason=False
    ):
        """Let the dunning communication of the SMS follow its delivery.

        Odoo's SMS pipeline (sending and the provider's delivery reports)
        updates the notifications through here; a communication whose SMS
        failed is then failed too, and issued again when the same SMS is put
        back in the queue.
        """
        result = super()._update_sms_notifications(
            notification_status, failure_type=failure_type, failure_reason=failure_reason
        )
        messages = self.mail_notification_id.mail_message_id
        if messages:
            self.env["dunning.communication"]._sms_follow_delivery(messages)
        return result
