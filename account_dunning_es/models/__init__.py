from . import dunning_rules
from . import res_users
from . import res_company
from . import dunning_interest_rate
from . import res_config_settings
from . import dunning_segment
from . import dunning_policy
from . import dunning_stage
from . import dunning_communication
from . import dunning_communication_issue
from . import dunning_communication_line
from . import dunning_run
from . import dunning_run_plan
from . import dunning_demo
from . import dunning_promise
from . import dunning_promise_instalment
from . import dunning_negotiation
from . import dunning_worklist
from . import dunning_effectiveness
from . import res_partner
from . import res_partner_statement
from . import account_move
from . import account_partial_reconcile
from . import mail_activity
from . import ir_actions_report

# Last: this SQL view reads columns the models above add.
from . import dunning_effectiveness_report
