# ruff: noqa: RUF003 (Cyrillic letters in the examples)
# Django has no Kazakh formats: without these, Kazakh falls back to the American
# defaults ("Қар. 22, 2026, 11 Т.Ж."). Day, month, year; 24-hour clock; numbers as in
# Russian (decimal comma, a space between thousands).
DATE_FORMAT = "j E Y"  # 22 қараша 2026
TIME_FORMAT = "H:i"  # 11:00
DATETIME_FORMAT = "j E Y, H:i"  # 22 қараша 2026, 11:00
YEAR_MONTH_FORMAT = "F Y"  # Қараша 2026
MONTH_DAY_FORMAT = "j E"  # 22 қараша
SHORT_DATE_FORMAT = "d.m.Y"  # 22.11.2026
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"  # 22.11.2026, 11:00
SHOWTIME_FORMAT = "D, j E Y, H:i"  # Жк, 22 қараша 2026, 11:00
DAY_FORMAT = "D, j E"  # Жк, 22 қараша
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # non-breaking space
NUMBER_GROUPING = 3
