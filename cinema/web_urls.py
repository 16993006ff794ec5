"""URLs of the cinema domain: programme, films, bookings, preferences, box office."""

from django.urls import path

from cinema import views

app_name = "cinema"

urlpatterns = [
    path("programme/", views.programme, name="programme"),
    path("programme/nearest/", views.nearest_cinemas, name="nearest_cinemas"),
    path("films/", views.film_search, name="film_search"),
    path("films/<slug:slug>/", views.film_detail, name="film_detail"),
    path("showtimes/<int:showtime_id>/book/", views.book, name="book"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/<str:code>/", views.booking_detail, name="booking_detail"),
    path("bookings/<str:code>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("preferences/", views.preferences, name="preferences"),
    path("for-you/", views.for_you, name="for_you"),
    path("staff/box-office/", views.box_office, name="box_office"),
]
