from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("what-we-collect/", views.what_we_collect, name="what_we_collect"),
    path("who-we-share-with/", views.who_we_share_with, name="who_we_share_with"),
]
