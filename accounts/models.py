import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


def avatar_upload_to(instance: "User", filename: str) -> str:
    """Return a random storage name for an avatar, keeping only the extension.

    The name must not identify the member (no id, name or email), so that a leaked path,
    log line or backup listing says nothing about whose photo it is.
    """
    extension = PurePath(filename).suffix.lower()
    if extension not in {".jpg", ".png"}:
        extension = ".jpg"
    return f"avatars/{uuid.uuid4().hex}{extension}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A member or staff account. Email is the login; everything else is optional
    except the date of birth, which members give at sign-up for the age check."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    username = models.CharField(
        _("username"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Optional public name; you always sign in with your email."),
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=150, blank=True)
    phone = PhoneNumberField(_("phone number"), blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether the person can sign in to the staff admin."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Written only by accounts.services.avatar, which re-encodes the image without metadata.
    avatar = models.ImageField(_("photo"), upload_to=avatar_upload_to, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return f"User #{self.pk}"

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        parts = [self.first_name, self.patronymic, self.last_name]
        return " ".join(p for p in parts if p).strip()

    def get_short_name(self) -> str:
        return self.first_name


class KnownDevice(models.Model):
    """A browser family on a network a member has signed in from before.

    Only a keyed hash of "family + /24 network" is kept, never the address or the
    User-Agent: enough to tell "seen before" from "new", too little to locate anyone.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices"
    )
    fingerprint_hash = models.CharField(max_length=64)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("known sign-in device")
        verbose_name_plural = _("known sign-in devices")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "fingerprint_hash"], name="accounts_knowndevice_unique"
            )
        ]

    def __str__(self) -> str:
        return f"KnownDevice {self.pk}"


def display_name(user) -> str:
    """How a member is named to themselves on pages and in email (first name, else email).

    ``str(user)`` stays ``User #<id>`` so that logs never carry personal data.
    """
    return user.first_name or user.email
