"""Files under ``/.well-known/`` that the privacy center publishes."""

from django.urls import path

from privacy import views

urlpatterns = [
    path("gpc.json", views.gpc_json, name="gpc_json"),
]
