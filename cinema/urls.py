from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from cinema import views
from privacy.admin.audited import audit_third_party_admins

# Admin sign-in is allauth's: its rate limits, its second-factor step, one login page.
# Staff without a second factor are sent to set one up (accounts.middleware).
admin.site.login = secure_admin_login(admin.site.login)
# Staff opening a member's email addresses, social accounts, second factors or sessions in
# allauth's admins is logged like our own admins (privacy/admin/audited.py).
audit_third_party_admins(admin.site)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("cinema.web_urls")),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("privacy/", include("privacy.urls")),
    path(".well-known/", include("privacy.well_known_urls")),
    path("admin/", admin.site.urls),
]

# Uploaded media (avatars) are personal data: they are served only through views that
# check who is asking, never as public files, not even under DEBUG.
