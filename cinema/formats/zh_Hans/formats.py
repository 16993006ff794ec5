# Django's Chinese dates are right. Amounts are grouped by thousands with a comma, as
# prices are written ("3,600"); Django's own grouping (by 10 000, with no separator)
# prints them ungrouped.
DATE_FORMAT = "Y年n月j日"  # 2026年11月22日
TIME_FORMAT = "H:i"  # 11:00
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年11月22日 11:00
YEAR_MONTH_FORMAT = "Y年n月"  # 2026年11月
MONTH_DAY_FORMAT = "n月j日"  # 11月22日
SHORT_DATE_FORMAT = "Y年n月j日"  # 2026年11月22日
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年11月22日 11:00
SHOWTIME_FORMAT = "Y年n月j日 D H:i"  # 2026年11月22日 星期日 11:00
DAY_FORMAT = "n月j日 l"  # 11月22日 星期日
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
