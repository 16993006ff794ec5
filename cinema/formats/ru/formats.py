# ruff: noqa: RUF001, RUF003 (Cyrillic letters in formats and their examples)
# Django's Russian dates are right; the time gets a leading zero ("09:30", as on the
# programme) and is set off by a comma.
DATE_FORMAT = "j E Y г."  # 22 ноября 2026 г.
TIME_FORMAT = "H:i"  # 09:30
DATETIME_FORMAT = "j E Y г., H:i"  # 22 ноября 2026 г., 11:00
YEAR_MONTH_FORMAT = "F Y г."  # Ноябрь 2026 г.
MONTH_DAY_FORMAT = "j E"  # 22 ноября
SHORT_DATE_FORMAT = "d.m.Y"  # 22.11.2026
SHORT_DATETIME_FORMAT = "d.m.Y H:i"  # 22.11.2026 11:00
SHOWTIME_FORMAT = "D, j E Y г., H:i"  # Вс, 22 ноября 2026 г., 11:00
DAY_FORMAT = "D, j E"  # Вс, 22 ноября
