from . import res_company
from . import res_config_settings
from . import res_partner
from . import dunning_policy
from . import dunning_stage
from . import dunning_communication
from . import sms_tracker
