"""Content staff enter per language (django-modeltranslation).

Each field listed here gets one column per language of ``settings.LANGUAGES``
(``title_en``, ``title_ru``, ``title_kk``, ``title_zh_hans``); reading ``film.title`` gives
the current language's value, or the English one when that translation is empty. The
original column (``title``) is saved in English (``TranslatedContent.save``) for reports
that read it through a relation; whatever a member sees is read, filtered and sorted on
the per-language columns (``cinema.selectors.shown``).
"""

from modeltranslation.translator import TranslationOptions, register

from cinema.models import Cinema, Film, Genre


@register(Genre)
class GenreTranslationOptions(TranslationOptions):
    fields = ("name",)
    required_languages = ("en",)


@register(Cinema)
class CinemaTranslationOptions(TranslationOptions):
    fields = ("name", "city", "address")
    required_languages = ("en",)


@register(Film)
class FilmTranslationOptions(TranslationOptions):
    fields = ("title", "synopsis")
    required_languages = {"en": ("title",)}
