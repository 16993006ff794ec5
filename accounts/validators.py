from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.app_settings import app_settings

OLDEST_PLAUSIBLE_AGE = 120


def age_on(born: date, today: date) -> int:
    """Return the age in whole years of a person born on ``born``, on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_date_of_birth(value: date, *, today: date | None = None) -> None:
    """Refuse dates in the future, implausible ones, and people under the minimum age."""
    today = today or timezone.localdate()
    if value > today:
        raise ValidationError(_("The date of birth cannot be in the future."), code="future")
    age = age_on(value, today)
    if age > OLDEST_PLAUSIBLE_AGE:
        raise ValidationError(_("Please check the year of your date of birth."), code="implausible")
    if age < app_settings.MINIMUM_AGE:
        raise ValidationError(
            _(
                "You must be at least %(age)d years old to create an account. "
                "We do not keep the details you entered."
            ),
            code="too_young",
            params={"age": app_settings.MINIMUM_AGE},
        )
