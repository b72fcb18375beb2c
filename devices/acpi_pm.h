// ACPI power-management register block, PIIX4 style: the PM1a event and control registers, the
// 24-bit ACPI PM timer, and a reset register. Bit layouts from the ACPI specification (6.x,
// section 4.8 "ACPI Hardware Registers"); the S5 sleep type 0 follows QEMU's PIIX4 DSDT.
//
//   AcpiPm pm(clock, &sci9, [&] { power_off(); }, [&] { reset_machine(); });
//   io.add(0x600, AcpiPm::kBlockSize, "acpi-pm", pm);
//
// Offsets within the block (the firmware's FADT must name exactly these, at the chosen base):
//   0x00 PM1_STS  16-bit, write 1 to clear   (FADT PM1a_EVT_BLK = base, PM1_EVT_LEN = 4)
//   0x02 PM1_EN   16-bit                     (the second half of PM1a_EVT_BLK)
//   0x04 PM1_CNT  16-bit                     (PM1a_CNT_BLK = base+4, PM1_CNT_LEN = 2)
//   0x08 PM_TMR   32-bit, read-only, 24 bits (PM_TMR_BLK = base+8, PM_TMR_LEN = 4, TMR_VAL_EXT=0)
//   0x0C RESET    8-bit, write kResetValue   (RESET_REG = {SystemIO, 8, 0, byte, base+0xC},
//                                             RESET_VALUE = 0x06, FADT flag RESET_REG_SUP)
// Other offsets read 0 and ignore writes. Registers may be accessed a byte at a time.
//
// SCI_EN (PM1_CNT bit 0) reads 1 and cannot be cleared: this is an ACPI-only platform with no
// SMM, so the FADT's SMI_CMD must be 0 and the OS finds ACPI mode already on. The SCI (IRQ 9,
// level, active high) is asserted while any PM1_STS bit is set together with its PM1_EN bit.
//
// Sleep: writing SLP_EN with SLP_TYP = kSlpTypS5 (0, the DSDT's \_S5 package must say 0) calls
// power_off. Other SLP_TYP values (S1-S4) are not implemented: the write is ignored, counted, and
// reported once on stderr.
// Not implemented: PM1b, GPE blocks, WAK_STS, BM_STS/GBL_STS sources, the RTC alarm status.
#pragma once
#include <cstdint>
#include <functional>
#include "machine/clock.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

class AcpiPm : public machine::BusDevice {
 public:
  static constexpr uint64_t kBlockSize = 0x10;
  static constexpr uint64_t kPm1Sts = 0x00, kPm1En = 0x02, kPm1Cnt = 0x04, kPmTmr = 0x08,
                            kResetReg = 0x0C;
  // PM1_STS / PM1_EN bits (ACPI table 4.14 / 4.15).
  static constexpr uint16_t kTmr = 1 << 0, kGbl = 1 << 5, kPwrBtn = 1 << 8, kSlpBtn = 1 << 9,
                            kRtc = 1 << 10, kWak = 1 << 15;
  static constexpr uint16_t kEnWritable = kTmr | kGbl | kPwrBtn | kSlpBtn | kRtc;
  // PM1_CNT bits (ACPI table 4.16).
  static constexpr uint16_t kSciEn = 1 << 0, kBmRld = 1 << 1, kGblRls = 1 << 2,
                            kSlpTypShift = 10, kSlpTypMask = 7 << 10, kSlpEn = 1 << 13;
  static constexpr uint16_t kSlpTypS5 = 0;
  static constexpr uint8_t kResetValue = 0x06;
  static constexpr uint64_t kTimerHz = 3'579'545;
  static constexpr uint32_t kTimerMask = 0xFF'FFFF;

  struct State {
    uint16_t pm1_sts = 0;   // status, write-1-to-clear
    uint16_t pm1_en = 0;    // enables, kEnWritable bits only
    uint16_t pm1_cnt = kSciEn;  // SCI_EN, BM_RLD and SLP_TYP as stored (SLP_EN/GBL_RLS read 0)
    uint64_t tmr_msb_epoch = 0;  // timer ticks >> 23 when TMR_STS was last brought up to date
    bool operator==(const State&) const = default;
  };

  AcpiPm(machine::Clock& clock, machine::IrqLine* sci, std::function<void()> power_off,
         std::function<void()> request_reset);
  ~AcpiPm() override;
  AcpiPm(const AcpiPm&) = delete;
  AcpiPm& operator=(const AcpiPm&) = delete;

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset();
  State save() const { return state_; }
  void restore(const State& s);

  // Host side: the power button was pressed (sets PWRBTN_STS; the OS sees an SCI if enabled).
  void press_power_button();
  // The PM timer value now (24 bits), as the guest would read it.
  uint32_t timer_value() const { return uint32_t(ticks_now() & kTimerMask); }
  uint64_t unsupported_sleeps() const { return unsupported_sleeps_; }

 private:
  uint64_t ticks_now() const;  // PM timer ticks since time 0, unwrapped
  static uint64_t ns_for_tick(uint64_t tick);
  uint8_t read_byte(uint64_t offset, uint32_t timer);
  void write_byte(uint64_t offset, uint8_t v);
  void write_cnt(uint16_t value, uint16_t mask);
  void sync_timer_status();
  void update();  // SCI level and the TMR_STS timer

  State state_;
  machine::Clock& clock_;
  machine::IrqLine* sci_;
  std::function<void()> power_off_;
  std::function<void()> request_reset_;
  machine::TimerId timer_ = 0;  // armed while TMR_EN is set and TMR_STS is clear
  bool timer_armed_ = false;
  uint64_t unsupported_sleeps_ = 0;  // host-side statistic
  bool reported_sleep_ = false;
};

}  // namespace vmlab::devices
