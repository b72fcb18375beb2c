// ACPI PM1a event/control registers, PM timer and reset register (see acpi_pm.h).
#include "devices/acpi_pm.h"

#include <cstdio>

namespace vmlab::devices {

namespace {
constexpr uint64_t kNsPerSecond = 1'000'000'000ull;
constexpr unsigned kMsbShift = 23;  // TMR_STS is set whenever timer bit 23 changes
}  // namespace

AcpiPm::AcpiPm(machine::Clock& clock, machine::IrqLine* sci, std::function<void()> power_off,
               std::function<void()> request_reset)
    : clock_(clock), sci_(sci), power_off_(std::move(power_off)),
      request_reset_(std::move(request_reset)) {
  reset();
}

AcpiPm::~AcpiPm() {
  if (timer_armed_) clock_.cancel(timer_);
}

void AcpiPm::reset() {
  state_ = State{};
  // The timer free-runs from machine power-on; only changes of bit 23 after this reset count.
  state_.tmr_msb_epoch = ticks_now() >> kMsbShift;
  update();
}

void AcpiPm::restore(const State& s) {
  state_ = s;
  state_.pm1_en &= kEnWritable;
  state_.pm1_cnt = uint16_t((state_.pm1_cnt & (kBmRld | kSlpTypMask)) | kSciEn);
  // A snapshot cannot have seen the future: an epoch ahead of this clock is clamped to now.
  uint64_t now_epoch = ticks_now() >> kMsbShift;
  if (state_.tmr_msb_epoch > now_epoch) state_.tmr_msb_epoch = now_epoch;
  update();
}

uint64_t AcpiPm::ticks_now() const {
  // Split seconds and remainder so the product never overflows 64 bits.
  uint64_t ns = clock_.now_ns();
  return (ns / kNsPerSecond) * kTimerHz + (ns % kNsPerSecond) * kTimerHz / kNsPerSecond;
}

uint64_t AcpiPm::ns_for_tick(uint64_t tick) {
  // The first nanosecond at which ticks_now() >= tick.
  uint64_t q = tick / kTimerHz, r = tick % kTimerHz;
  return q * kNsPerSecond + (r * kNsPerSecond + kTimerHz - 1) / kTimerHz;
}

void AcpiPm::sync_timer_status() {
  uint64_t epoch = ticks_now() >> kMsbShift;
  if (epoch != state_.tmr_msb_epoch) {
    state_.tmr_msb_epoch = epoch;
    state_.pm1_sts |= kTmr;
  }
}

void AcpiPm::update() {
  sync_timer_status();
  if (sci_) sci_->set((state_.pm1_sts & state_.pm1_en) != 0);
  // Only an enabled, not yet pending TMR_STS needs a timer: otherwise the status is brought up
  // to date lazily when PM1_STS is read.
  bool want = (state_.pm1_en & kTmr) && !(state_.pm1_sts & kTmr);
  if (timer_armed_ && !want) {
    clock_.cancel(timer_);
    timer_armed_ = false;
  } else if (want && !timer_armed_) {
    uint64_t deadline = ns_for_tick((state_.tmr_msb_epoch + 1) << kMsbShift);
    timer_ = clock_.schedule(deadline, [this] {
      timer_armed_ = false;
      update();
    });
    timer_armed_ = true;
  }
}

void AcpiPm::press_power_button() {
  state_.pm1_sts |= kPwrBtn;
  update();
}

uint32_t AcpiPm::read(uint64_t offset, unsigned width) {
  if (offset < kPm1En) sync_timer_status();
  uint32_t timer = timer_value();  // one sample for a whole 32-bit read
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i) v |= uint32_t(read_byte(offset + i, timer)) << (8 * i);
  return v;
}

uint8_t AcpiPm::read_byte(uint64_t offset, uint32_t timer) {
  unsigned shift = 8 * unsigned(offset & 1);
  switch (offset & ~uint64_t(1)) {
    case kPm1Sts: return uint8_t(state_.pm1_sts >> shift);
    case kPm1En: return uint8_t(state_.pm1_en >> shift);
    case kPm1Cnt: return uint8_t(state_.pm1_cnt >> shift);
    case kPmTmr: return uint8_t(timer >> shift);
    case kPmTmr + 2: return uint8_t(timer >> (16 + shift));  // bits 24-31 read 0
    default: return 0;  // the reset register and the unused tail read 0
  }
}

void AcpiPm::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width && i < 4; ++i) write_byte(offset + i, uint8_t(value >> (8 * i)));
}

void AcpiPm::write_byte(uint64_t offset, uint8_t v) {
  unsigned shift = 8 * unsigned(offset & 1);
  uint16_t value = uint16_t(v << shift), mask = uint16_t(0xFF << shift);
  switch (offset & ~uint64_t(1)) {
    case kPm1Sts:
      sync_timer_status();  // a pending rollover is set before the clear, as hardware latches it
      state_.pm1_sts &= uint16_t(~value);
      break;
    case kPm1En:
      state_.pm1_en = uint16_t((state_.pm1_en & ~mask) | (value & mask & kEnWritable));
      break;
    case kPm1Cnt: write_cnt(value, mask); break;
    case kResetReg:
      if (offset == kResetReg && v == kResetValue && request_reset_) request_reset_();
      return;
    default: return;  // PM_TMR is read-only; the tail is unused
  }
  update();
}

void AcpiPm::write_cnt(uint16_t value, uint16_t mask) {
  const uint16_t stored = kBmRld | kSlpTypMask;
  state_.pm1_cnt = uint16_t((state_.pm1_cnt & ~(mask & stored)) | (value & mask & stored) | kSciEn);
  if (!(value & mask & kSlpEn)) return;
  unsigned typ = (state_.pm1_cnt & kSlpTypMask) >> kSlpTypShift;
  if (typ == kSlpTypS5) {
    if (power_off_) power_off_();
    return;
  }
  ++unsupported_sleeps_;
  if (!reported_sleep_) {
    reported_sleep_ = true;
    std::fprintf(stderr, "acpi_pm: sleep with SLP_TYP=%u is not implemented (only S5 = %u, "
                 "power off); the request is ignored\n", typ, unsigned(kSlpTypS5));
  }
}

}  // namespace vmlab::devices
