# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Real automated calls: the product's dialler (PJSIP) calls a real SIP user
agent (Debian's baresip) over the loopback address. baresip answers by
itself, records what it hears, and presses the keys the test chooses (its
UDP console); each key's consequence is checked in the database."""

import array
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import wave
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.addons.account_dunning_es.tests.common import DunningCommon
from odoo.tests import tagged

from ..infrastructure import sip_dialler

ANSWERS = "+34600000001"  # answers by itself
RINGS = "+34600000002"  # rings until the dialler gives up, or rejects
UNKNOWN = "+34600000009"  # no such user: 404


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def heard_seconds(path, threshold=500):
    """Seconds between the first and the last sound of a recording."""
    with wave.open(path, "rb") as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    loud = [index for index, sample in enumerate(samples) if abs(sample) > threshold]
    return (loud[-1] - loud[0]) / rate if loud else 0.0


class Baresip:
    """A baresip process with its accounts ([(number, answer mode)]), a
    recorder and a UDP console (one account each: the console's keys go to
    the account of the last call)."""

    def __init__(self, accounts):
        if not shutil.which("baresip"):
            raise AssertionError("baresip is not installed: apt-get install baresip")
        self.folder = tempfile.mkdtemp(prefix="dunning_baresip_")
        self.sip_port = free_port()
        self.console_port = free_port()
        self.recordings = os.path.join(self.folder, "rec")
        os.makedirs(self.recordings)
        silence = os.path.join(self.folder, "silence.wav")
        with wave.open(silence, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(b"\x00\x00" * 8000 * 120)
        with open(os.path.join(self.folder, "config"), "w") as config:
            config.write(
                "\n".join(
                    [
                        "poll_method poll",
                        f"sip_listen 127.0.0.1:{self.sip_port}",
                        "module_path /usr/lib/baresip/modules",
                        "module g711.so",
                        "module aufile.so",
                        "module sndfile.so",
                        "module alsa.so",
                        "module cons.so",
                        "module_app account.so",
                        "module_app menu.so",
                        f"cons_listen 127.0.0.1:{self.console_port}",
                        f"audio_source aufile,{silence}",
                        f"audio_alert aufile,{silence}",
                        "audio_player alsa,null",
                        f"snd_path {self.recordings}",
                        "",
                    ]
                )
            )
        with open(os.path.join(self.folder, "accounts"), "w") as accounts_file:
            accounts_file.write(
                "".join(
                    f"<sip:{number}@127.0.0.1>;regint=0;answermode={mode};audio_codecs=PCMU\n"
                    for number, mode in accounts
                )
            )
        self.log_path = os.path.join(self.folder, "baresip.log")
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        # Unbuffered: the test reads the log to know when a call is answered.
        command = ["baresip", "-f", self.folder]
        if shutil.which("stdbuf"):
            command = ["stdbuf", "-o0", *command]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while b"baresip is ready" not in self._log() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert b"baresip is ready" in self._log(), self._log()

    def _log(self):
        with open(self.log_path, "rb") as log:
            return log.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def press_when(self, event, key, after=0.0):
        """Press ``key`` ``after`` seconds after the next ``event`` line of
        baresip's log (b"Call established", b"Incoming call")."""
        seen = self._log().count(event)

        def wait_and_press():
            deadline = time.monotonic() + 60
            while self._log().count(event) <= seen and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(after)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(key.encode(), ("127.0.0.1", self.console_port))

        thread = threading.Thread(target=wait_and_press, daemon=True)
        thread.start()
        return thread

    def last_recording(self):
        files = sorted(glob.glob(os.path.join(self.recordings, "*-dec.wav")), key=os.path.getmtime)
        return files[-1] if files else None


class IvrCallsCommon(DunningCommon):
    accounts = [(ANSWERS, "auto")]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.baresip = Baresip(cls.accounts)
        cls.addClassCleanup(cls.baresip.stop)
        cls.company.write(
            {
                "dunning_ivr_host": f"127.0.0.1:{cls.baresip.sip_port}",
                "dunning_ivr_max_calls": 2,
                # Real time, whatever the day and hour the tests run at.
                "dunning_sms_hour_from": 0.0,
                "dunning_sms_hour_to": 24.0,
                "dunning_sms_weekdays": "0,1,2,3,4,5,6",
            }
        )
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("account_dunning_es_sms.ivr_ring_seconds", 3)
        params.set_param("account_dunning_es_sms.ivr_listen_seconds", 2)
        cls.stage_reminder.write(
            {
                "send_email": False,
                "send_ivr": True,
                "ivr_attempts": 2,
                "ivr_retry_minutes": 30,
                "sms_fallback": "email",
            }
        )

    def _queued_call(self, number, amount=1230.5, customer=None):
        """A reminder of the IVR stage for a customer of that number, queued."""
        customer = customer or self.customer
        customer.write({"mobile": number, "phone": False, "lang": "es_ES"})
        invoice = self._invoice(customer, amount, self._due(-3))
        self._run()
        comm = self._comms(customer).filtered(lambda c: c.channel == "ivr" and c.state == "queued")
        self.assertEqual((comm.state, comm.ivr_number), ("queued", number))
        return comm, invoice

    def _message_seconds(self, comm):
        request = comm._ivr_request(comm.ivr_number)
        return sum(sip_dialler.wav_seconds(path) for path in request.audio)


@tagged("post_install", "-at_install")
class TestIvrCalls(IvrCallsCommon):
    """The customer answers: what each key does."""

    def test_listening_to_the_end_then_1_rests_the_invoices_as_paid(self):
        comm, invoice = self._queued_call(ANSWERS)
        length = self._message_seconds(comm)
        self.baresip.press_when(b"Call established", "1", after=length + 0.5)
        self.env["dunning.communication"]._cron_ivr_calls()
        self.assertEqual(
            (comm.state, comm.ivr_outcome, comm.ivr_keys, comm.ivr_attempts),
            ("sent", "paid", "1", 1),
        )
        self.assertGreaterEqual(comm.ivr_duration, length)
        # What baresip recorded: the whole message, then (after the key) the
        # thanks, nothing else.
        thanks = sip_dialler.wav_seconds(comm._ivr_request(comm.ivr_number).thanks)
        heard = heard_seconds(self.baresip.last_recording())
        self.assertGreaterEqual(heard, length - 1.0, "the customer heard the whole message")
        self.assertLessEqual(heard, length + 0.5 + thanks + 1.5)
        self.assertEqual(invoice.dunning_review, "paid")
        activity = self.customer.activity_ids.filtered(
            lambda a: a.summary == "Customer says it has paid"
        )
        self.assertEqual(len(activity), 1)
        self.assertIn(invoice.name, activity.note)
        # The effectiveness analysis compares it with the other channels.
        analysis = self.env["dunning.effectiveness.report"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(analysis.mapped("channel"), ["ivr"])
        # The invoice rests: the next run reminds nothing.
        self._run(on_date=self._due(5))
        self.assertEqual(len(self._comms(self.customer)), 1)

    def test_2_promises_payment_within_seven_days_and_3_asks_for_a_person(self):
        comm, invoice = self._queued_call(ANSWERS, amount=400.0)
        self.baresip.press_when(b"Call established", "2", after=2)
        comm._ivr_dial()
        self.assertEqual((comm.state, comm.ivr_outcome, comm.ivr_keys), ("sent", "promise", "2"))
        promise = self.env["dunning.promise"].search([("communication_id", "=", comm.id)])
        self.assertEqual(
            (promise.channel, promise.amount, promise.move_ids, promise.state),
            ("ivr", 400.0, invoice, "open"),
        )
        today = fields.Date.context_today(comm)
        self.assertEqual(promise.instalment_ids.date, today + timedelta(days=7))

        second, _other = self._queued_call(ANSWERS, amount=90.0, customer=self.customer_2)
        self.baresip.press_when(b"Call established", "3", after=2)
        second._ivr_dial()
        self.assertEqual(second.ivr_outcome, "callback")
        call = self.customer_2.activity_ids.filtered(
            lambda a: a.summary == "Customer asks to speak to someone"
        )
        self.assertEqual(call.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(call.date_deadline, today)
        self.assertIn(ANSWERS, call.note)

    def test_9_repeats_the_message(self):
        comm, _invoice = self._queued_call(ANSWERS)
        self.baresip.press_when(b"Call established", "9", after=2)
        self.baresip.press_when(b"Call established", "1", after=4)
        comm._ivr_dial()
        self.assertEqual((comm.ivr_outcome, comm.ivr_keys), ("paid", "91"))

    def test_no_key_is_tried_again_then_falls_back_to_email(self):
        comm, _invoice = self._queued_call(ANSWERS, amount=20.0)
        length = self._message_seconds(comm)
        comm._ivr_dial()
        self.assertEqual((comm.state, comm.ivr_outcome, comm.ivr_attempts), ("queued", "no_key", 1))
        self.assertGreaterEqual(comm.ivr_duration, length)
        self.assertIn("Call 1 of 2", comm.failure_reason)
        now = fields.Datetime.now()
        self.assertTrue(
            now + timedelta(minutes=29) < comm.ivr_next_at <= now + timedelta(minutes=31)
        )
        self.assertFalse(
            self.env["dunning.communication"]._cron_ivr_calls(), "not due before its time"
        )
        comm._ivr_dial()
        self.assertEqual((comm.state, comm.ivr_outcome, comm.ivr_attempts), ("failed", "no_key", 2))
        fallback = self.env["dunning.communication"].search([("fallback_of_id", "=", comm.id)])
        self.assertEqual((fallback.channel, fallback.state), ("email", "sent"))
        self.assertIn("No answer to the automated call after 2 calls", comm.failure_reason)


@tagged("post_install", "-at_install")
class TestIvrUnanswered(IvrCallsCommon):
    """The customer does not answer, is busy, or the number does not exist."""

    accounts = [(RINGS, "manual")]

    def test_busy_no_answer_and_a_number_the_pbx_refuses(self):
        comm, _invoice = self._queued_call(RINGS, amount=30.0)
        comm._ivr_dial()  # rings 3 s, nobody picks up
        self.assertEqual(
            (comm.state, comm.ivr_outcome, comm.ivr_attempts), ("queued", "no_answer", 1)
        )
        self.baresip.press_when(b"Incoming call", "b")  # rejected: busy
        comm._ivr_dial()
        self.assertEqual((comm.state, comm.ivr_outcome, comm.ivr_attempts), ("failed", "busy", 2))
        self.assertTrue(
            self.env["dunning.communication"].search([("fallback_of_id", "=", comm.id)])
        )

        refused, _invoice = self._queued_call(UNKNOWN, amount=30.0, customer=self.customer_2)
        refused._ivr_dial()
        self.assertEqual((refused.state, refused.ivr_outcome), ("failed", "refused"))
        self.assertIn("refused the number +34600000009 (SIP 404)", refused.failure_reason)

    def test_pbx_unreachable_or_refusing_the_account_fails_with_a_reason(self):
        comm, _invoice = self._queued_call(ANSWERS, amount=30.0)
        self.company.dunning_ivr_host = f"127.0.0.1:{free_port()}"
        comm._ivr_dial()
        self.assertEqual((comm.state, comm.ivr_outcome), ("failed", "failed"))
        self.assertIn("the PBX did not answer", comm.failure_reason)
        self.assertTrue(
            self.env["dunning.communication"].search([("fallback_of_id", "=", comm.id)])
        )

        second, _invoice = self._queued_call(ANSWERS, amount=40.0)
        self.company.write(
            {
                "dunning_ivr_host": f"127.0.0.1:{self.baresip.sip_port}",
                "dunning_ivr_user": "cobros",
                "dunning_ivr_password": "wrong",
            }
        )
        second._ivr_dial()
        self.assertEqual(second.state, "failed")
        self.assertIn("The PBX could not be used", second.failure_reason)
        self.assertIn("refused the account", second.failure_reason)


@tagged("post_install", "-at_install")
class TestIvrQueue(DunningCommon):
    """What happens before a call: checks, the allowed hours, a payment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.dunning_ivr_host = "127.0.0.1:5999"
        cls.stage_reminder.write({"send_email": False, "send_ivr": True, "sms_fallback": "email"})

    def test_a_call_waits_for_the_allowed_hours(self):
        self.customer.write({"mobile": False, "phone": "912 345 678"})
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(datetime(2026, 3, 2, 21, 30)):  # 22:30 in Madrid
            self._run(date(2026, 3, 2), at=datetime(2026, 3, 2, 21, 30))
            comm = self._comms(self.customer)
            self.assertEqual((comm.channel, comm.state), ("ivr", "queued"))
            self.assertEqual(comm.ivr_number, "+34912345678", "a landline may be called")
            self.assertEqual(comm.ivr_next_at, datetime(2026, 3, 3, 8, 0), "09:00 in Madrid")
            self.assertFalse(self.env["dunning.communication"]._cron_ivr_calls())

    def test_paid_before_the_call_is_not_called(self):
        invoice = self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(datetime(2026, 3, 2, 21, 30)):
            self._run(date(2026, 3, 2), at=datetime(2026, 3, 2, 21, 30))
        comm = self._comms(self.customer)
        self._pay(invoice)
        with freeze_time(datetime(2026, 3, 3, 9, 0)):
            self.env["dunning.communication"]._cron_ivr_calls()
        self.assertEqual(
            (comm.state, comm.failure_reason), ("cancelled", "Paid before the automated call.")
        )

    def test_bad_numbers_and_opt_outs_fail_with_their_reason_and_fall_back(self):
        cases = [
            ({"mobile": False, "phone": False}, "has no phone number"),
            ({"mobile": "12", "phone": False}, "is not a valid phone number"),
            (
                {"mobile": "600 111 222", "dunning_no_ivr": True},
                "asked not to receive automated calls",
            ),
        ]
        for values, reason in cases:
            with self.subTest(reason=reason):
                customer = self._create_customer(f"Cliente {reason}", **values)
                self._invoice(customer, 100.0, date(2026, 2, 27))
                with freeze_time(datetime(2026, 3, 2, 11, 0)):
                    self._run(date(2026, 3, 2), at=datetime(2026, 3, 2, 11, 0))
                comm = self._comms(customer).filtered(lambda c: c.channel == "ivr")
                self.assertEqual(comm.state, "failed")
                self.assertIn(reason, comm.failure_reason)
                self.assertEqual(
                    self._comms(customer).filtered(lambda c: c.fallback_of_id).channel, "email"
                )

    def test_no_pbx_set_fails_with_where_to_set_it(self):
        self.company.dunning_ivr_host = False
        self.customer.mobile = "600 111 222"
        self._invoice(self.customer, 100.0, date(2026, 2, 27))
        with freeze_time(datetime(2026, 3, 2, 11, 0)):
            self._run(date(2026, 3, 2), at=datetime(2026, 3, 2, 11, 0))
        comm = self._comms(self.customer).filtered(lambda c: c.channel == "ivr")
        self.assertEqual(comm.state, "failed")
        self.assertIn("Settings > Invoicing > Dunning", comm.failure_reason)
