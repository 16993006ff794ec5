# English for a cinema chain in Kazakhstan and China: day before month, 24-hour clock
# (Django's own English formats are American: "Nov. 22, 2026, 11 a.m.", "11/22/2026").
DATE_FORMAT = "j F Y"  # 22 November 2026
TIME_FORMAT = "H:i"  # 11:00
DATETIME_FORMAT = "j F Y, H:i"  # 22 November 2026, 11:00
YEAR_MONTH_FORMAT = "F Y"  # November 2026
MONTH_DAY_FORMAT = "j F"  # 22 November
SHORT_DATE_FORMAT = "j M Y"  # 22 Nov 2026 (never 11/12: which is the month?)
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 22 Nov 2026, 11:00
SHOWTIME_FORMAT = "D j M Y, H:i"  # Sun 22 Nov 2026, 11:00
DAY_FORMAT = "l j F"  # Sunday 22 November
FIRST_DAY_OF_WEEK = 1  # Monday
