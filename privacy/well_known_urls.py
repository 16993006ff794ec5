"""Files under ``/.well-known/`` that the privacy center publishes."""

from django.urls import path

from privacy.views import consent

urlpatterns = [
    path("gpc.json", consent.gpc_json, name="gpc_json"),
]
