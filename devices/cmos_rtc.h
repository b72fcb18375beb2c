// The PC/AT CMOS real-time clock and NVRAM (Motorola MC146818A): port 0x70 selects a register
// (bit 7 = NMI disable, kept as state), port 0x71 reads/writes it. 128 bytes: time/date and
// alarm (0x00-0x09), control registers A-D (0x0A-0x0D), the rest battery-backed NVRAM that the
// BIOS and OS read (memory sizes, equipment, checksum; see fill_standard_nvram), century at 0x32.
//
//   CmosRtc rtc(clock, &irq8, std::time(nullptr));   // or a fixed epoch for deterministic runs
//   rtc.fill_standard_nvram(ram_bytes);
//   io.add(0x70, 2, "cmos", rtc);
//
// Time: the clock shows base_epoch (seconds since 1970, given by the machine) plus the virtual
// time elapsed on machine::Clock; the device never reads host time. Time registers are kept
// raw, in the guest's current format (BCD/binary, 12/24 h), as the chip does: changing DM or
// 24/12 does not convert them. State is brought up to date lazily on every access (sync()), and
// a Clock timer is scheduled only for the next event that can raise IRQ8 (periodic tick or
// second boundary, and none while the line is already up).
//
// Modelled: UIP for the 244 us before each once-per-second update; SET freezes the time;
// periodic (rate 1-15; 1 and 2 mean 256 and 128 Hz as in the datasheet), alarm (0xC0-0xFF =
// don't care) and update-ended interrupts; register C read clears flags and lowers IRQ8;
// divider reset (DV = 11x) stops the chain and releasing it starts the first update 500 ms
// later. Not modelled: DSE (daylight saving) is stored but ignored; only the 32.768 kHz time
// base (DV = 010) runs the clock; SQW output pin. When several seconds pass with no access and
// no timer (AIE off, or IRQ8 left unacknowledged), only the last one is compared with the alarm.
// Reset is a power-on: NVRAM cleared, standard bytes refilled, time reloaded from the source.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include "machine/clock.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

namespace cmos_detail {
// Power-on register file: A = 32.768 kHz divider, 1024 Hz rate; B = 24 h, BCD; D = VRT.
constexpr std::array<uint8_t, 128> power_on_cmos() {
  std::array<uint8_t, 128> a{};
  a[0x0A] = 0x26;
  a[0x0B] = 0x02;
  a[0x0D] = 0x80;
  return a;
}
}  // namespace cmos_detail

class CmosRtc : public machine::BusDevice {
 public:
  // Register indexes the code refers to by name.
  static constexpr uint8_t kSeconds = 0x00, kSecondsAlarm = 0x01, kMinutes = 0x02,
                           kMinutesAlarm = 0x03, kHours = 0x04, kHoursAlarm = 0x05,
                           kDayOfWeek = 0x06, kDayOfMonth = 0x07, kMonth = 0x08, kYear = 0x09,
                           kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D,
                           kCentury = 0x32;
  static constexpr uint8_t kAUip = 0x80, kADividerMask = 0x70, kADividerNormal = 0x20,
                           kARateMask = 0x0F;
  static constexpr uint8_t kBSet = 0x80, kBPie = 0x40, kBAie = 0x20, kBUie = 0x10, kBSqwe = 0x08,
                           kBBinary = 0x04, kB24Hour = 0x02, kBDse = 0x01;
  static constexpr uint8_t kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10;
  static constexpr uint8_t kDVrt = 0x80;
  static constexpr uint8_t kIndexNmiDisable = 0x80;
  static constexpr int64_t kNsPerSecond = 1'000'000'000;
  static constexpr int64_t kUipWindowNs = 244'000;  // datasheet: UIP rises 244 us before update

  struct State {
    std::array<uint8_t, 128> cmos = cmos_detail::power_on_cmos();  // registers + NVRAM (A's UIP
                                                                    // bit is derived, kept 0)
    uint8_t index = 0;          // register selected through port 0x70 (0-127)
    bool nmi_disabled = false;  // port 0x70 bit 7 as last written
    int64_t second_start_ns = 0;  // virtual time the second shown in the registers began
    int64_t last_sync_ns = 0;     // virtual time up to which flags have been brought up to date
    bool operator==(const State&) const = default;
  };

  // `base_epoch`: seconds since 1970-01-01 00:00 UTC at virtual time 0.
  CmosRtc(machine::Clock& clock, machine::IrqLine* irq, int64_t base_epoch);
  ~CmosRtc() override;
  CmosRtc(const CmosRtc&) = delete;  // the scheduled timer points at this instance
  CmosRtc& operator=(const CmosRtc&) = delete;

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset();
  State save() const { return state_; }
  void restore(const State& s);

  // Fills the NVRAM bytes PC BIOSes and OSes read (equipment, memory sizes, no floppy/disk
  // types) and the checksum at 0x2E/0x2F. Remembered: reset() fills them again.
  void fill_standard_nvram(uint64_t ram_bytes);
  bool nmi_disabled() const { return state_.nmi_disabled; }

 private:
  uint8_t read_data();
  void write_data(uint8_t v);
  int64_t now_ns() const;
  bool divider_running() const;
  unsigned periodic_shift() const;  // 0 = periodic interrupt off
  void sync();
  void advance_time(int64_t seconds);
  void load_time(int64_t epoch_seconds);
  bool alarm_matches() const;
  void update_irq();
  void reschedule();
  void cancel_timer();
  void write_standard_nvram(uint64_t ram_bytes);

  State state_;
  machine::Clock& clock_;
  machine::IrqLine* irq_;
  int64_t base_epoch_;
  std::optional<uint64_t> nvram_ram_bytes_;  // configuration, not guest state
  std::optional<machine::TimerId> timer_;
};

}  // namespace vmlab::devices
