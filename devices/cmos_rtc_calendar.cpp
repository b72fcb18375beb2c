// Calendar arithmetic for the CMOS RTC (see cmos_rtc_calendar.h). The day-count conversion is
// the usual era-of-400-years method: every 400 Gregorian years have exactly 146097 days, and
// counting the year from March puts the leap day last.
#include "devices/cmos_rtc_calendar.h"

namespace vmlab::devices::cmos_calendar {

namespace {
constexpr int64_t kDaysPerEra = 146097;
constexpr int64_t kEpochShift = 719468;  // days from 0000-03-01 to 1970-01-01
int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

int64_t days_from_civil(const Date& d) {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  int64_t era = floor_div(y, 400);
  auto yoe = unsigned(y - era * 400);                       // 0-399
  unsigned mp = d.month > 2 ? d.month - 3 : d.month + 9;    // March = 0
  unsigned doy = (153 * mp + 2) / 5 + d.day - 1;            // day of the March-based year
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     // day of the era
  return era * kDaysPerEra + int64_t(doe) - kEpochShift;
}

Date civil_from_days(int64_t days) {
  int64_t z = days + kEpochShift;
  int64_t era = floor_div(z, kDaysPerEra);
  auto doe = unsigned(z - era * kDaysPerEra);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  Date out;
  out.day = doy - (153 * mp + 2) / 5 + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = int64_t(yoe) + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

unsigned day_of_week(int64_t days) {
  // 1970-01-01 was a Thursday (5 in the 1 = Sunday numbering).
  int64_t r = (days + 4) % 7;
  if (r < 0) r += 7;
  return unsigned(r) + 1;
}

uint8_t encode(unsigned value, bool binary) {
  value %= 100;
  return binary ? uint8_t(value) : uint8_t(((value / 10) << 4) | (value % 10));
}

unsigned decode(uint8_t reg, bool binary) {
  return binary ? reg : unsigned(reg >> 4) * 10 + (reg & 0x0F);
}

uint8_t encode_hour(unsigned hour24, bool binary, bool mode24) {
  hour24 %= 24;
  if (mode24) return encode(hour24, binary);
  unsigned h12 = hour24 % 12 == 0 ? 12 : hour24 % 12;
  return uint8_t(encode(h12, binary) | (hour24 >= 12 ? 0x80 : 0));
}

unsigned decode_hour(uint8_t reg, bool binary, bool mode24) {
  if (mode24) return decode(reg, binary) % 24;
  unsigned h = decode(uint8_t(reg & 0x7F), binary) % 12;  // 12 AM is hour 0
  return h + ((reg & 0x80) ? 12 : 0);
}

}  // namespace vmlab::devices::cmos_calendar
