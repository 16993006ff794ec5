from django.contrib import admin
from django.urls import include, path

from cinema import views

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
