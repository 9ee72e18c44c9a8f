from . import dunning_exclude_wizard
from . import dunning_letter_send_wizard
from . import dunning_promise_wizard
from . import dunning_report_wizard
from . import dunning_call_wizard
