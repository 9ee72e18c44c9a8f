from . import dunning_exclude_wizard
