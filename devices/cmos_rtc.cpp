// MC146818A CMOS RTC (see cmos_rtc.h for what is modelled).
#include "devices/cmos_rtc.h"

#include <algorithm>
#include <limits>

#include "devices/cmos_rtc_calendar.h"

namespace vmlab::devices {

namespace cal = cmos_calendar;

namespace {
constexpr int64_t kSecondsPerDay = 86400;
constexpr uint64_t kTimeBaseHz = 32768;
// Years 0000-9999 are what the two BCD digit pairs (century, year) can show.
constexpr int64_t kMinEpoch = -62167219200;  // 0000-01-01 00:00:00
constexpr int64_t kMaxEpoch = 253402300799;  // 9999-12-31 23:59:59

// Number of 32.768 kHz time-base cycles in `ns` (>= 0), exact and without overflow.
uint64_t cycles_in(int64_t ns) {
  auto u = uint64_t(std::max<int64_t>(ns, 0));
  uint64_t s = uint64_t(CmosRtc::kNsPerSecond);
  return (u / s) * kTimeBaseHz + (u % s) * kTimeBaseHz / s;
}
// The first nanosecond at which `cycles` time-base cycles have elapsed (rounded up).
int64_t ns_of_cycles(uint64_t cycles) {
  uint64_t s = uint64_t(CmosRtc::kNsPerSecond);
  return int64_t((cycles / kTimeBaseHz) * s + ((cycles % kTimeBaseHz) * s + kTimeBaseHz - 1) / kTimeBaseHz);
}
}  // namespace

CmosRtc::CmosRtc(machine::Clock& clock, machine::IrqLine* irq, int64_t base_epoch)
    : clock_(clock), irq_(irq), base_epoch_(std::clamp(base_epoch, kMinEpoch, kMaxEpoch)) {
  reset();
}

CmosRtc::~CmosRtc() { cancel_timer(); }

int64_t CmosRtc::now_ns() const {
  uint64_t n = clock_.now_ns();
  return int64_t(std::min<uint64_t>(n, uint64_t(std::numeric_limits<int64_t>::max() / 2)));
}

void CmosRtc::reset() {
  state_ = State{};
  int64_t now = now_ns();
  state_.second_start_ns = now - now % kNsPerSecond;
  state_.last_sync_ns = now;
  load_time(std::min(base_epoch_ + now / kNsPerSecond, kMaxEpoch));
  if (nvram_ram_bytes_) write_standard_nvram(*nvram_ram_bytes_);
  update_irq();
  reschedule();
}

void CmosRtc::restore(const State& s) {
  state_ = s;
  state_.index &= 0x7F;
  state_.cmos[kRegA] &= uint8_t(~kAUip);  // UIP is derived from time, never stored
  state_.cmos[kRegD] = kDVrt;
  // A snapshot taken ahead of this clock cannot have seen the future: clamp to now.
  int64_t now = now_ns();
  state_.last_sync_ns = std::min(state_.last_sync_ns, now);
  // A running divider's current second contains the last sync point (a stopped one is
  // re-anchored when released, so its value does not matter).
  if (divider_running()) {
    state_.second_start_ns = std::clamp(state_.second_start_ns,
                                        state_.last_sync_ns - kNsPerSecond + 1, state_.last_sync_ns);
  }
  update_irq();
  reschedule();
}

// ---- bus side ----------------------------------------------------------------------------

uint32_t CmosRtc::read(uint64_t offset, unsigned width) {
  // An 8-bit device: a wider access is consecutive byte cycles on the two ports.
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i) {
    // Port 0x70 is write-only on the PC/AT; the floating bus reads all-ones (as QEMU).
    uint8_t b = ((offset + i) & 1) ? read_data() : 0xFF;
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void CmosRtc::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width && i < 4; ++i) {
    auto b = uint8_t(value >> (8 * i));
    if ((offset + i) & 1) {
      write_data(b);
    } else {
      state_.index = b & 0x7F;  // only 128 bytes: the index wraps
      state_.nmi_disabled = (b & kIndexNmiDisable) != 0;
    }
  }
}

uint8_t CmosRtc::read_data() {
  sync();
  uint8_t reg = state_.index;
  switch (reg) {
    case kRegA: {
      uint8_t v = state_.cmos[kRegA];
      bool set = state_.cmos[kRegB] & kBSet;
      if (divider_running() && !set &&
          now_ns() >= state_.second_start_ns + kNsPerSecond - kUipWindowNs)
        v |= kAUip;
      return v;
    }
    case kRegC: {
      // Reading C acknowledges: every flag clears and IRQ8 drops.
      uint8_t v = state_.cmos[kRegC];
      state_.cmos[kRegC] = 0;
      update_irq();
      reschedule();
      return v;
    }
    default: return state_.cmos[reg];
  }
}

void CmosRtc::write_data(uint8_t v) {
  uint8_t reg = state_.index;
  sync();
  switch (reg) {
    case kRegA: {
      bool was_running = divider_running();
      state_.cmos[kRegA] = v & uint8_t(~kAUip);
      if (!was_running && divider_running()) {
        // Leaving divider reset: the first update comes 500 ms later (datasheet, DV bits).
        int64_t now = now_ns();
        state_.second_start_ns = now - kNsPerSecond / 2;
        state_.last_sync_ns = now;
      }
      break;
    }
    case kRegB:
      // Setting SET aborts updates and clears UIE (datasheet, register B bit 7).
      if (v & kBSet) v &= uint8_t(~kBUie);
      state_.cmos[kRegB] = v;
      break;
    case kRegC:
    case kRegD: return;  // read-only
    default: state_.cmos[reg] = v; return;
  }
  update_irq();
  reschedule();
}

// ---- time --------------------------------------------------------------------------------

bool CmosRtc::divider_running() const {
  return (state_.cmos[kRegA] & kADividerMask) == kADividerNormal;
}

unsigned CmosRtc::periodic_shift() const {
  // Rate r gives 32768 >> (r-1) Hz; rates 1 and 2 repeat rates 8 and 9 (datasheet table 5).
  unsigned rate = state_.cmos[kRegA] & kARateMask;
  if (rate == 0) return 0;
  if (rate <= 2) rate += 7;
  return rate - 1;
}

void CmosRtc::sync() {
  State& s = state_;
  int64_t now = now_ns();
  if (now <= s.last_sync_ns || !divider_running()) {
    s.last_sync_ns = std::max(s.last_sync_ns, now);
    return;
  }
  // Periodic ticks are on the time-base lattice anchored at the current second, so 1 s is a
  // whole number of periods and the phase survives second updates.
  int64_t anchor = s.second_start_ns;
  if (unsigned shift = periodic_shift()) {
    uint64_t before = cycles_in(s.last_sync_ns - anchor) >> shift;
    uint64_t after = cycles_in(now - anchor) >> shift;
    if (after > before) s.cmos[kRegC] |= kCPf;
  }
  if (now >= s.second_start_ns + kNsPerSecond) {
    int64_t n = (now - s.second_start_ns) / kNsPerSecond;
    s.second_start_ns += n * kNsPerSecond;
    if (!(s.cmos[kRegB] & kBSet)) {
      if (n > 1) advance_time(n - 1);
      advance_time(1);
      s.cmos[kRegC] |= kCUf;
      if (alarm_matches()) s.cmos[kRegC] |= kCAf;
    }
  }
  s.last_sync_ns = now;
  update_irq();  // a flag set by the catch-up raises IRQ8 now if it is enabled
}

void CmosRtc::advance_time(int64_t seconds) {
  auto& r = state_.cmos;
  bool bin = r[kRegB] & kBBinary, h24 = r[kRegB] & kB24Hour;
  cal::Date d;
  d.year = int64_t(cal::decode(r[kCentury], bin) % 100) * 100 + cal::decode(r[kYear], bin) % 100;
  d.month = std::clamp(cal::decode(r[kMonth], bin), 1u, 12u);
  d.day = std::clamp(cal::decode(r[kDayOfMonth], bin), 1u, 31u);
  int64_t old_days = cal::days_from_civil(d);
  int64_t t = old_days * kSecondsPerDay + int64_t(cal::decode_hour(r[kHours], bin, h24)) * 3600 +
              int64_t(cal::decode(r[kMinutes], bin) % 60) * 60 + cal::decode(r[kSeconds], bin) % 60;
  t = std::min(t + seconds, kMaxEpoch);
  // The chip counts the day of week on its own; a guest that set a wrong one keeps it wrong.
  int64_t old_dow = int64_t(cal::decode(r[kDayOfWeek], bin) % 7);  // 1-7 -> 1-6,0
  uint8_t dow_before = r[kDayOfWeek];
  int64_t new_days = (t >= 0 ? t : t - kSecondsPerDay + 1) / kSecondsPerDay;
  load_time(t);
  int64_t dow = ((old_dow - 1 + (new_days - old_days)) % 7 + 7) % 7 + 1;
  r[kDayOfWeek] = new_days == old_days ? dow_before : cal::encode(unsigned(dow), bin);
}

void CmosRtc::load_time(int64_t epoch_seconds) {
  auto& r = state_.cmos;
  bool bin = r[kRegB] & kBBinary, h24 = r[kRegB] & kB24Hour;
  epoch_seconds = std::clamp(epoch_seconds, kMinEpoch, kMaxEpoch);
  int64_t days = epoch_seconds / kSecondsPerDay;
  int64_t sod = epoch_seconds % kSecondsPerDay;
  if (sod < 0) { sod += kSecondsPerDay; --days; }
  cal::Date d = cal::civil_from_days(days);
  r[kSeconds] = cal::encode(unsigned(sod % 60), bin);
  r[kMinutes] = cal::encode(unsigned(sod / 60 % 60), bin);
  r[kHours] = cal::encode_hour(unsigned(sod / 3600), bin, h24);
  r[kDayOfWeek] = cal::encode(cal::day_of_week(days), bin);
  r[kDayOfMonth] = cal::encode(d.day, bin);
  r[kMonth] = cal::encode(d.month, bin);
  r[kYear] = cal::encode(unsigned(d.year % 100), bin);
  r[kCentury] = cal::encode(unsigned(d.year / 100 % 100), bin);
}

bool CmosRtc::alarm_matches() const {
  const auto& r = state_.cmos;
  auto match = [&](uint8_t alarm, uint8_t now) {
    return (r[alarm] & 0xC0) == 0xC0 || r[alarm] == r[now];  // 11xxxxxx = don't care
  };
  return match(kSecondsAlarm, kSeconds) && match(kMinutesAlarm, kMinutes) &&
         match(kHoursAlarm, kHours);
}

// ---- interrupt and timer -----------------------------------------------------------------

void CmosRtc::update_irq() {
  uint8_t& c = state_.cmos[kRegC];
  bool pending = (c & state_.cmos[kRegB] & (kCPf | kCAf | kCUf)) != 0;
  c = uint8_t(pending ? (c | kCIrqf) : (c & ~kCIrqf));
  if (irq_) irq_->set(pending);
}

void CmosRtc::reschedule() {
  cancel_timer();
  const State& s = state_;
  // While IRQ8 is up nothing can change the line until C is read, which reschedules.
  if (!divider_running() || (s.cmos[kRegC] & kCIrqf)) return;
  std::optional<int64_t> next;
  uint8_t b = s.cmos[kRegB];
  if (unsigned shift = periodic_shift(); shift && (b & kBPie)) {
    uint64_t k = cycles_in(now_ns() - s.second_start_ns) >> shift;
    next = s.second_start_ns + ns_of_cycles((k + 1) << shift);
  }
  if ((b & (kBAie | kBUie)) && !(b & kBSet)) {
    int64_t boundary = s.second_start_ns + kNsPerSecond;
    next = next ? std::min(*next, boundary) : boundary;
  }
  if (!next) return;
  timer_ = clock_.schedule(uint64_t(std::max<int64_t>(*next, 0)), [this] {
    timer_.reset();
    sync();
    update_irq();
    reschedule();
  });
}

void CmosRtc::cancel_timer() {
  if (timer_) clock_.cancel(*timer_);
  timer_.reset();
}

// ---- NVRAM -------------------------------------------------------------------------------

void CmosRtc::fill_standard_nvram(uint64_t ram_bytes) {
  nvram_ram_bytes_ = ram_bytes;
  write_standard_nvram(ram_bytes);
}

void CmosRtc::write_standard_nvram(uint64_t ram_bytes) {
  auto& r = state_.cmos;
  constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;
  auto put16 = [&](uint8_t lo, uint64_t v) {
    v = std::min<uint64_t>(v, 0xFFFF);
    r[lo] = uint8_t(v);
    r[lo + 1] = uint8_t(v >> 8);
  };
  r[0x10] = 0x00;  // floppy drive types: none
  r[0x12] = 0x00;  // hard disk types: none (disks are found through the BIOS/ATA probe)
  r[0x14] = 0x02;  // equipment: no floppy, math coprocessor present, VGA (display bits 00)
  put16(0x15, 640);  // base memory, KiB
  uint64_t ext = ram_bytes > kMiB ? (ram_bytes - kMiB) / kKiB : 0;
  put16(0x17, ext);  // extended memory above 1 MiB, KiB (as counted at POST)
  put16(0x30, ext);  // same, as the BIOS reports it
  uint64_t below4g = std::min(ram_bytes, 4 * kGiB);
  put16(0x34, below4g > 16 * kMiB ? (below4g - 16 * kMiB) / (64 * kKiB) : 0);
  uint64_t high = ram_bytes > 4 * kGiB ? (ram_bytes - 4 * kGiB) / (64 * kKiB) : 0;
  high = std::min<uint64_t>(high, 0xFFFFFF);
  r[0x5B] = uint8_t(high);
  r[0x5C] = uint8_t(high >> 8);
  r[0x5D] = uint8_t(high >> 16);
  // AT checksum: 16-bit sum of 0x10-0x2D, high byte at 0x2E.
  unsigned sum = 0;
  for (unsigned i = 0x10; i <= 0x2D; ++i) sum += r[i];
  r[0x2E] = uint8_t(sum >> 8);
  r[0x2F] = uint8_t(sum);
}

}  // namespace vmlab::devices
