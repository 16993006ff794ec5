"""allauth MFA adapter: second-factor secrets are encrypted before they reach the database.

allauth stores the TOTP secret and the recovery-code seed as given by ``encrypt()``; the
default adapter returns them unchanged, so anyone reading the table (a backup, a replica,
an export) could generate valid codes. Here they are Fernet tokens (AES-128-CBC + HMAC)
under a key derived with HKDF from ``ACCOUNTS_MFA_ENCRYPTION_KEY`` or, in development
when that is empty, from ``SECRET_KEY``.
"""

import base64
from functools import lru_cache

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_HKDF_INFO = b"marquee.mfa.secrets.v1"


@lru_cache(maxsize=4)
def _fernet_for(material: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        material.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def fernet() -> Fernet:
    """Return the cipher for second-factor secrets under the configured key."""
    material = getattr(settings, "ACCOUNTS_MFA_ENCRYPTION_KEY", "") or settings.SECRET_KEY
    return _fernet_for(material)


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        # A wrong key raises InvalidToken: failing loudly beats accepting no code at all
        # silently, and the operator learns the key changed.
        return fernet().decrypt(encrypted_text.encode()).decode()
