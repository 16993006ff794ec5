"""Models of the privacy app, one module per capability."""

from privacy.models.consent import ConsentPurpose, ConsentRecord, ConsentState
from privacy.models.disclosure import Disclosure

__all__ = ["ConsentPurpose", "ConsentRecord", "ConsentState", "Disclosure"]
