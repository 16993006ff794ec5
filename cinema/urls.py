from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from cinema import views
from privacy.admin.audited import audit_third_party_admins

# Admin sign-in is allauth's: its rate limits, its second-factor step, one login page.
# Staff without a second factor are sent to set one up (accounts.middleware).
admin.site.login = secure_admin_login(admin.site.login)
# Staff opening a member's email addresses, social accounts, second factors or sessions in
# allauth's admins is logged like our own admins (privacy/admin/audited.py).
audit_third_party_admins(admin.site)
# The admin names the portal, not Django.
admin.site.site_header = format_lazy(_("{site} staff administration"), site=settings.SITE_NAME)
admin.site.site_title = admin.site.site_header
# The list pages need the width (a request queue has eight columns beside its filters);
# the front page and the breadcrumbs lead everywhere the side menu did.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers that ask for /favicon.ico by habit get the SVG icon base.html links to.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("marquee/favicon.svg"))),
    path("", include("cinema.web_urls")),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("privacy/", include("privacy.urls")),
    path(".well-known/", include("privacy.well_known_urls")),
    path("admin/", admin.site.urls),
]

# Uploaded media (avatars) are personal data: they are served only through views that
# check who is asking, never as public files, not even under DEBUG.
