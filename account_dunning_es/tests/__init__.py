from . import test_dunning_rules
from . import test_dunning_run
from . import test_dunning_bad_data
from . import test_dunning_actions
from . import test_dunning_security
from . import test_dunning_letter
from . import test_dunning_letter_pdf
from . import test_dunning_promise
