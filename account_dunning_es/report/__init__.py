from . import report_dunning_letter
