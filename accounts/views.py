from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import UpdateView

from accounts.forms import AvatarForm, ProfileForm
from accounts.language import set_language_cookie
from accounts.services import avatar, devices


class ProfileView(LoginRequiredMixin, UpdateView):
    """Show and correct the signed-in member's own profile (never anyone else's)."""

    form_class = ProfileForm
    template_name = "accounts/profile.html"
    success_url = reverse_lazy("accounts:profile")

    def get_object(self, queryset=None):
        return self.request.user

    def get_context_data(self, **kwargs):
        kwargs.setdefault("avatar_form", AvatarForm())
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.instance.preferred_language:
            translation.activate(form.instance.preferred_language)
        messages.success(self.request, _("Your profile has been saved."))
        return response


@login_required
@require_POST
def upload_avatar(request):
    """Set the signed-in member's own photo from the uploaded file."""
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            avatar.set_avatar(request.user, upload=form.cleaned_data["photo"], actor=request.user)
        except ValidationError as error:
            form.add_error("photo", error)
        else:
            messages.success(request, _("Your photo has been saved."))
            return redirect("accounts:profile")
    context = {"form": ProfileForm(instance=request.user), "avatar_form": form}
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def remove_avatar(request):
    """Remove the signed-in member's own photo."""
    if avatar.remove_avatar(request.user, actor=request.user):
        messages.success(request, _("Your photo has been removed."))
    return redirect("accounts:profile")


@login_required
@require_GET
def avatar_image(request, user_id=None):
    """Serve a member's photo to that member or to staff allowed to view accounts.

    Photos are personal data: they are never served from a public media URL, and anyone
    else gets the same 404 as for a member without a photo.
    """
    viewer = request.user
    if user_id is None or user_id == viewer.pk:
        owner = viewer
    elif viewer.is_staff and viewer.has_perm("accounts.view_user"):
        owner = get_object_or_404(get_user_model(), pk=user_id)
    else:
        raise Http404
    if not owner.avatar:
        raise Http404
    try:
        file = owner.avatar.storage.open(owner.avatar.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = "image/png" if owner.avatar.name.endswith(".png") else "image/jpeg"
    response = FileResponse(file, content_type=content_type)
    patch_cache_control(response, private=True, no_cache=True)
    return response


@require_POST
def set_language(request):
    """Switch the interface language; a member's choice is remembered on their account."""
    from django.conf import settings

    language = request.POST.get("language", "")
    codes = {code for code, _name in settings.LANGUAGES}
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in codes:
        messages.error(request, _("That language is not available."))
        return response
    if request.user.is_authenticated and request.user.preferred_language != language:
        request.user.preferred_language = language
        request.user.save(update_fields=["preferred_language"])
    return set_language_cookie(response, language, max_age=settings.LANGUAGE_COOKIE_AGE)


@login_required
@require_POST
def end_session(request, session_id):
    if devices.end_session(request.user, session_id=session_id, request=request):
        messages.success(request, _("That device has been signed out."))
    else:
        messages.error(request, _("That device was already signed out."))
    if not request.user.is_authenticated:
        return redirect("account_login")
    return redirect("usersessions_list")
