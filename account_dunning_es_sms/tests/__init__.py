from . import test_sms_rules
from . import test_dunning_sms
from . import test_ivr_rules
from . import test_ivr_calls
