from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _


class PreferredLanguageMiddleware:
    """Serve a signed-in member in the language they chose, over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user is not None else ""
        if language and user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class StaffMFAMiddleware:
    """Send staff without a second factor from the admin to the two-factor setup page.

    Admin sign-in already goes through allauth (``secure_admin_login`` in cinema/urls.py),
    which asks for the second factor of those who have one; this closes the gap for staff
    who have none yet. A middleware rather than a custom ``AdminSite`` keeps the default
    site, which every app's ``admin.py`` registers with.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            messages.warning(
                request,
                _("Staff accounts need two-factor authentication. Set it up to open the admin."),
            )
            return redirect("mfa_index")
        return self.get_response(request)

    def _must_enrol(self, request) -> bool:
        if not settings.ACCOUNTS_STAFF_REQUIRE_MFA:
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return False
        if not request.path_info.startswith(reverse("admin:index")):
            return False
        # Recovery codes alone are not a factor: they only back up a TOTP app or a key.
        return not is_mfa_enabled(
            user, types=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        )


class UnconfiguredProviderMiddleware:
    """Answer 404, not 500, for a sign-in provider that has no app configured.

    Provider apps are installed so that staff can configure them in the admin; until
    they do, allauth raises ``SocialApp.DoesNotExist`` from that provider's URLs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from allauth.socialaccount.models import SocialApp
        from django.http import Http404

        if isinstance(exception, SocialApp.DoesNotExist):
            raise Http404("No such sign-in provider.") from exception
        return None
