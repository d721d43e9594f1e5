"""The working-day calendar on the real 2025 and 2026 schedules, and on an added 2027 file.

Facts about the official schedule are checked against ``chinese_calendar`` inside each test, so
a test fails loudly if the package's data ever disagrees with what the test assumes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import chinese_calendar
import pytest

from kit.calendar import CalendarUnknown, ScheduleInvalid, WorkCalendar
from kit.errors import Invalid

SCHEDULE_2027 = """\
year: 2027
holidays:
  - name: 元旦
    from: 2027-01-01
    to: 2027-01-03
  - name: 春节
    dates: [2027-02-06, 2027-02-07, 2027-02-08]
workdays:
  - name: 春节
    date: 2027-02-20
"""


def write_2027(tmp_path: Path) -> Path:
    path = tmp_path / "2027.yaml"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_a_make_up_working_sunday_counts_as_a_working_day(cal: WorkCalendar) -> None:
    sunday = date(2025, 9, 28)
    assert sunday.weekday() == 6
    assert sunday in chinese_calendar.workdays
    assert cal.is_working_day(sunday)


def test_a_make_up_working_saturday_counts_as_a_working_day(cal: WorkCalendar) -> None:
    saturday = date(2025, 10, 11)
    assert saturday.weekday() == 5
    assert saturday in chinese_calendar.workdays
    assert cal.is_working_day(saturday)


def test_a_weekday_inside_the_national_day_holiday_is_not_a_working_day(
    cal: WorkCalendar,
) -> None:
    assert date(2025, 10, 8).weekday() == 2
    assert not cal.is_working_day(date(2025, 10, 8))


def test_an_ordinary_saturday_is_not_a_working_day(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(date(2025, 9, 20))


def test_a_review_received_the_friday_before_national_day_2025_is_due_on_the_make_up_days(
    cal: WorkCalendar,
) -> None:
    # Received Fri 26 Sep; Sat 27 off, Sun 28 worked, Mon 29 and Tue 30 worked, 1-8 Oct off.
    assert chinese_calendar.is_holiday(date(2025, 9, 27))
    assert cal.add_working_days(date(2025, 9, 26), 2) == date(2025, 9, 29)


def test_a_five_day_reply_received_the_friday_before_national_day_2025_runs_past_the_holiday(
    cal: WorkCalendar,
) -> None:
    # 28 Sep, 29 Sep, 30 Sep, 9 Oct, 10 Oct.
    assert cal.add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 10)


def test_a_ten_day_reply_over_national_day_2025_counts_the_make_up_saturday(
    cal: WorkCalendar,
) -> None:
    # 28, 29, 30 Sep; 9, 10, 11 (make-up Saturday), 13, 14, 15, 16 Oct.
    assert cal.add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)


def test_a_review_received_the_day_before_national_day_2026_resumes_after_the_holiday(
    cal: WorkCalendar,
) -> None:
    assert all(chinese_calendar.is_holiday(date(2026, 10, day)) for day in range(1, 8))
    assert cal.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)


def test_a_deadline_can_fall_on_the_make_up_saturday_after_national_day_2026(
    cal: WorkCalendar,
) -> None:
    assert date(2026, 10, 10) in chinese_calendar.workdays
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


def test_a_deadline_spanning_spring_festival_2026_skips_the_whole_holiday(
    cal: WorkCalendar,
) -> None:
    # Fri 13 Feb received; Sat 14 is a make-up day; 15-23 Feb off; then 24 Feb.
    assert date(2026, 2, 14) in chinese_calendar.workdays
    assert chinese_calendar.is_holiday(date(2026, 2, 23))
    assert cal.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_a_deadline_spanning_spring_festival_2025_skips_the_whole_holiday(
    cal: WorkCalendar,
) -> None:
    # Mon 27 Jan received; 28 Jan - 4 Feb off.
    assert chinese_calendar.is_holiday(date(2025, 2, 4))
    assert cal.add_working_days(date(2025, 1, 27), 1) == date(2025, 2, 5)


def test_a_request_received_on_a_holiday_counts_from_the_next_working_day(
    cal: WorkCalendar,
) -> None:
    assert cal.add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 9)


def test_zero_working_days_is_the_start_day_itself(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)


def test_a_negative_number_of_working_days_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(Invalid, match="-1"):
        cal.add_working_days(date(2025, 9, 26), -1)


def test_working_days_between_is_the_inverse_of_add_working_days(cal: WorkCalendar) -> None:
    start = date(2025, 9, 26)
    for n in range(15):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_no_working_days_are_left_on_the_deadline_day(cal: WorkCalendar) -> None:
    assert cal.working_days_between(date(2025, 10, 10), date(2025, 10, 10)) == 0


def test_days_left_over_the_holiday_count_only_working_days(cal: WorkCalendar) -> None:
    assert cal.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1


def test_an_overdue_deadline_has_negative_days_left_counting_the_make_up_saturday(
    cal: WorkCalendar,
) -> None:
    # Due Fri 10 Oct; on Mon 13 Oct it is 2 working days overdue (Sat 11 was worked).
    assert cal.working_days_between(date(2025, 10, 13), date(2025, 10, 10)) == -2


def test_a_deadline_running_into_2027_is_refused_naming_the_year(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarUnknown, match="2027") as caught:
        cal.add_working_days(date(2026, 12, 28), 5)
    assert caught.value.to_dict()["year"] == 2027
    assert caught.value.status == 409


def test_counting_days_left_into_an_unknown_year_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarUnknown, match="2027"):
        cal.working_days_between(date(2026, 12, 28), date(2027, 1, 8))


def test_known_years_cover_the_package_years_and_stop_before_2027(cal: WorkCalendar) -> None:
    years = cal.known_years()
    assert {2025, 2026} <= set(years)
    assert 2027 not in years
    assert list(years) == sorted(years)


def test_a_2027_schedule_file_makes_the_deadline_computable(tmp_path: Path) -> None:
    cal = WorkCalendar([write_2027(tmp_path)])
    # 29, 30, 31 Dec 2026; 1-3 Jan 2027 off; 4, 5 Jan 2027.
    assert cal.add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 5)


def test_a_2027_schedule_file_adds_2027_to_the_known_years(tmp_path: Path) -> None:
    assert 2027 in WorkCalendar([write_2027(tmp_path)]).known_years()


def test_a_make_up_day_from_a_schedule_file_is_a_working_day(tmp_path: Path) -> None:
    cal = WorkCalendar([write_2027(tmp_path)])
    assert date(2027, 2, 20).weekday() == 5
    assert cal.is_working_day(date(2027, 2, 20))


def test_a_weekday_holiday_from_a_schedule_file_is_not_a_working_day(tmp_path: Path) -> None:
    cal = WorkCalendar([write_2027(tmp_path)])
    assert date(2027, 2, 8).weekday() == 0
    assert not cal.is_working_day(date(2027, 2, 8))


def test_a_json_schedule_file_is_read_like_yaml(tmp_path: Path) -> None:
    path = tmp_path / "2027.json"
    body = {"year": 2027, "holidays": [{"name": "元旦", "date": "2027-01-01"}], "workdays": []}
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    cal = WorkCalendar([path])
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.is_working_day(date(2027, 1, 4))


def test_a_schedule_file_replaces_the_package_data_for_its_year(tmp_path: Path) -> None:
    path = tmp_path / "2026.yaml"
    path.write_text("year: 2026\nholidays:\n  - {name: 测试, date: 2026-12-31}\n", "utf-8")
    assert WorkCalendar().is_working_day(date(2026, 12, 31))
    assert not WorkCalendar([path]).is_working_day(date(2026, 12, 31))


def test_a_schedule_date_outside_its_year_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("year: 2027\nholidays:\n  - {name: 元旦, date: 2028-01-01}\n", "utf-8")
    with pytest.raises(ScheduleInvalid, match="outside the year 2027"):
        WorkCalendar([path])


def test_a_make_up_working_day_on_a_weekday_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("year: 2027\nworkdays: [2027-02-22]\n", "utf-8")
    with pytest.raises(ScheduleInvalid, match="not a Saturday or a Sunday"):
        WorkCalendar([path])


def test_a_holiday_without_a_festival_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("year: 2027\nholidays:\n  - {date: 2027-01-01}\n", "utf-8")
    with pytest.raises(ScheduleInvalid, match="name"):
        WorkCalendar([path])


def test_the_same_year_in_two_files_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "again" / "2027.yaml"
    other.parent.mkdir()
    other.write_text(SCHEDULE_2027, encoding="utf-8")
    with pytest.raises(ScheduleInvalid, match="2027 is given twice"):
        WorkCalendar([write_2027(tmp_path), other])


def test_a_missing_schedule_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ScheduleInvalid, match=r"2099\.yaml"):
        WorkCalendar([tmp_path / "2099.yaml"])


def test_the_festival_name_of_a_package_holiday_is_given_in_chinese(cal: WorkCalendar) -> None:
    assert cal.holiday_name(date(2025, 10, 6)) == "中秋"


def test_the_festival_name_of_a_file_holiday_is_the_name_in_the_file(tmp_path: Path) -> None:
    assert WorkCalendar([write_2027(tmp_path)]).holiday_name(date(2027, 2, 7)) == "春节"


def test_an_ordinary_day_has_no_festival_name(cal: WorkCalendar) -> None:
    assert cal.holiday_name(date(2025, 9, 26)) is None
