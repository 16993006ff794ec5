"""Settings of the accounts app, read lazily so that tests can override them."""

from cinema.conf import AppSettings


class AccountsSettings(AppSettings):
    @property
    def MINIMUM_AGE(self) -> int:
        """Youngest age, in whole years, at which a person may sign up."""
        return self._setting("MINIMUM_AGE", 16)

    @property
    def AVATAR_MAX_BYTES(self) -> int:
        """Largest avatar upload accepted, in bytes, before any decoding."""
        return self._setting("AVATAR_MAX_BYTES", 2 * 1024 * 1024)

    @property
    def AVATAR_MAX_DIMENSION(self) -> int:
        """Widest and tallest avatar upload accepted, in pixels (a decompression-bomb guard)."""
        return self._setting("AVATAR_MAX_DIMENSION", 4096)

    @property
    def AVATAR_SIZE(self) -> int:
        """Stored avatars are downscaled to fit a square of this many pixels."""
        return self._setting("AVATAR_SIZE", 512)


app_settings = AccountsSettings("ACCOUNTS_")
