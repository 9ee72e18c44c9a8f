from . import report_dunning_letter
from . import dunning_communication_letter
from . import dunning_negotiation_documents
