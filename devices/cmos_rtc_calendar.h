// Calendar arithmetic and register encodings for the CMOS RTC (see cmos_rtc.h): days since
// 1970 <-> civil date (proleptic Gregorian), and BCD/binary, 12/24-hour register formats.
// Decoding tolerates any byte a guest may have written; the results are clamped into range.
#pragma once
#include <cstdint>

namespace vmlab::devices::cmos_calendar {

struct Date {
  int64_t year = 1970;  // full year
  unsigned month = 1;   // 1-12
  unsigned day = 1;     // 1-31
};

int64_t days_from_civil(const Date& d);
Date civil_from_days(int64_t days);
// 1 = Sunday ... 7 = Saturday, the MC146818 day-of-week convention used by PC BIOSes.
unsigned day_of_week(int64_t days);

// One register value (0-99) in the guest's format.
uint8_t encode(unsigned value, bool binary);
unsigned decode(uint8_t reg, bool binary);
// Hours 0-23 <-> register; in 12-hour mode bit 7 is PM and the value is 1-12.
uint8_t encode_hour(unsigned hour24, bool binary, bool mode24);
unsigned decode_hour(uint8_t reg, bool binary, bool mode24);

}  // namespace vmlab::devices::cmos_calendar
