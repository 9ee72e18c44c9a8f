from . import test_sms_rules
from . import test_dunning_sms
