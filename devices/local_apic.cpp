// P6 local APIC registers, acceptance, priority and IPIs (see local_apic.h).
#include "devices/local_apic.h"

namespace vmlab::devices {

namespace {

int highest(const std::array<uint32_t, 8>& bits) {
  for (int i = 7; i >= 0; --i)
    if (bits[size_t(i)]) return i * 32 + (31 - __builtin_clz(bits[size_t(i)]));
  return -1;
}
bool test(const std::array<uint32_t, 8>& b, uint8_t v) { return (b[v >> 5] >> (v & 31)) & 1; }
void set_bit(std::array<uint32_t, 8>& b, uint8_t v) { b[v >> 5] |= 1u << (v & 31); }
void clear_bit(std::array<uint32_t, 8>& b, uint8_t v) { b[v >> 5] &= ~(1u << (v & 31)); }

// Writable bits of each LVT entry (P6): vector, delivery mode where the entry has one, polarity
// and trigger for the LINT pins, mask, and the timer's periodic bit.
constexpr uint32_t kLvtTimerMask = 0x000300FF, kLvtLintMask = 0x0001A7FF,
                   kLvtPerfMask = 0x000107FF, kLvtErrorMask = 0x000100FF;
constexpr uint32_t kRemoteIrr = 1u << 14;

}  // namespace

LocalApic::LocalApic(uint8_t apic_id, machine::Clock& clock)
    : reset_id_(uint8_t(apic_id & 0x0F)), clock_(clock) {
  reset();
}

LocalApic::~LocalApic() {
  if (timer_) clock_.cancel(timer_);
}

void LocalApic::reset() {
  state_ = State{};
  state_.id = uint32_t(reset_id_) << 24;
  timer_reschedule();
}

void LocalApic::init_reset() {
  uint32_t id = state_.id;
  reset();
  state_.id = id;
}

bool LocalApic::legal(uint32_t reg) const {
  switch (reg) {
    case kId: case kVer: case kTpr: case kApr: case kPpr: case kEoi: case kLdr: case kDfr:
    case kSvr: case kEsr: case kIcrLow: case kIcrHigh: case kLvtTimer: case kLvtPerf:
    case kLvtLint0: case kLvtLint1: case kLvtError: case kTimerInitial: case kTimerCurrent:
    case kTimerDivide:
      return true;
    default:
      return reg >= kIsr && reg < kEsr;  // ISR, TMR, IRR
  }
}

uint32_t LocalApic::read(uint64_t offset, unsigned width) {
  if (offset >= 0x1000 || width == 0 || width > 4) return 0;
  uint32_t reg = uint32_t(offset) & 0xFF0, sub = uint32_t(offset) & 0xF;
  if (offset >= 0x400 || !legal(reg)) { error(kEsrIllegalRegister); return 0; }
  if (sub + width > 4) return 0;  // the unused bytes of a 16-byte slot
  uint32_t v = read_reg(reg) >> (8 * sub);
  return width == 4 ? v : v & ((1u << (8 * width)) - 1);
}

void LocalApic::write(uint64_t offset, unsigned width, uint32_t value) {
  if (offset >= 0x1000) return;
  uint32_t reg = uint32_t(offset) & 0xFF0;
  if (offset >= 0x400 || !legal(reg)) { error(kEsrIllegalRegister); return; }
  if (width != 4 || (offset & 0xF) != 0) return;  // undefined on hardware: dropped
  write_reg(reg, value);
}

uint32_t LocalApic::read_reg(uint32_t reg) {
  const State& s = state_;
  if (reg >= kIsr && reg < kEsr) {
    size_t i = (reg - kIsr) / 16;
    if (i < 8) return s.isr[i];
    if (i < 16) return s.tmr[i - 8];
    return s.irr[i - 16];
  }
  switch (reg) {
    case kId: return s.id;
    case kVer: return kVersion;
    case kTpr: return s.tpr;
    case kApr: return apr();
    case kPpr: return ppr();
    case kLdr: return s.ldr;
    case kDfr: return s.dfr;
    case kSvr: return s.svr;
    case kEsr: return s.esr;
    case kIcrLow: return s.icr_low;  // delivery status (bit 12) always 0: delivery is instant
    case kIcrHigh: return s.icr_high;
    case kLvtTimer: return s.lvt_timer;
    case kLvtPerf: return s.lvt_perf;
    case kLvtLint0: return s.lvt_lint0;
    case kLvtLint1: return s.lvt_lint1;
    case kLvtError: return s.lvt_error;
    case kTimerInitial: return s.timer_initial;
    case kTimerCurrent: return timer_current_count();
    case kTimerDivide: return s.timer_divide;
    default: return 0;  // EOI is write-only
  }
}

void LocalApic::write_reg(uint32_t reg, uint32_t v) {
  State& s = state_;
  // While software-disabled, LVT mask bits are forced set (SDM 10.4.7.2).
  uint32_t force = software_enabled() ? 0 : kLvtMasked;
  switch (reg) {
    case kId: s.id = v & 0x0F000000; return;
    case kTpr: s.tpr = v & 0xFF; return;
    case kEoi: eoi(); return;
    case kLdr: s.ldr = v & 0xFF000000; return;
    case kDfr: s.dfr = v | 0x0FFFFFFF; return;
    case kSvr:
      s.svr = (v & 0x3FF) | 0x0F;  // P6: vector bits 0-3 are hard-wired to 1
      if (!software_enabled()) {
        s.lvt_timer |= kLvtMasked; s.lvt_perf |= kLvtMasked; s.lvt_lint0 |= kLvtMasked;
        s.lvt_lint1 |= kLvtMasked; s.lvt_error |= kLvtMasked;
      }
      return;
    case kEsr: s.esr = s.esr_pending; s.esr_pending = 0; return;
    case kIcrLow: s.icr_low = v & 0x000CCFFF; send_ipi(); return;
    case kIcrHigh: s.icr_high = v & 0xFF000000; return;
    case kLvtTimer:
      timer_rebase(clock_.now_ns());  // a mode change applies from the current count on
      s.lvt_timer = (v & kLvtTimerMask) | force;
      timer_reschedule();
      return;
    case kLvtPerf: s.lvt_perf = (v & kLvtPerfMask) | force; return;
    case kLvtLint0: s.lvt_lint0 = (s.lvt_lint0 & kRemoteIrr) | (v & kLvtLintMask) | force; return;
    case kLvtLint1: s.lvt_lint1 = (s.lvt_lint1 & kRemoteIrr) | (v & kLvtLintMask) | force; return;
    case kLvtError: s.lvt_error = (v & kLvtErrorMask) | force; return;
    case kTimerInitial:
      s.timer_initial = v;
      s.timer_armed = v != 0;  // writing 0 stops the timer
      s.timer_ref_ns = clock_.now_ns();
      s.timer_ref_count = v;
      timer_reschedule();
      return;
    case kTimerDivide:
      timer_rebase(clock_.now_ns());
      s.timer_divide = v & 0xB;
      timer_reschedule();
      return;
    default: return;  // read-only: version, APR, PPR, ISR/TMR/IRR, current count
  }
}

void LocalApic::error(uint32_t bits) {
  bool fresh = (state_.esr_pending & bits) != bits;
  state_.esr_pending |= bits;
  // The error LVT reports new errors; an illegal vector there only adds its own error bit.
  if (fresh && !(state_.lvt_error & kLvtMasked)) deliver_local(state_.lvt_error);
}

uint8_t LocalApic::ppr() const {
  int isrv = highest(state_.isr);
  uint32_t isr_class = isrv < 0 ? 0 : uint32_t(isrv) & 0xF0;
  return uint8_t((state_.tpr & 0xF0) >= isr_class ? state_.tpr : isr_class);
}

uint8_t LocalApic::apr() const {
  int irrv = highest(state_.irr), isrv = highest(state_.isr);
  uint32_t tpr = state_.tpr & 0xFF;
  uint32_t irr_class = irrv < 0 ? 0 : uint32_t(irrv) & 0xF0;
  uint32_t isr_class = isrv < 0 ? 0 : uint32_t(isrv) & 0xF0;
  if ((tpr & 0xF0) >= irr_class && (tpr & 0xF0) >= isr_class) return uint8_t(tpr);
  uint32_t m = tpr & 0xF0;
  if (irr_class > m) m = irr_class;
  if (isr_class > m) m = isr_class;
  return uint8_t(m);
}

bool LocalApic::irr_above_ppr() const {
  int v = highest(state_.irr);
  return v >= 0 && (uint32_t(v) & 0xF0) > (ppr() & 0xF0u);
}

uint8_t LocalApic::acknowledge() {
  if (!interrupt_pending()) return uint8_t(state_.svr);  // spurious: ISR untouched, no EOI due
  auto v = uint8_t(highest(state_.irr));
  clear_bit(state_.irr, v);
  set_bit(state_.isr, v);
  return v;
}

void LocalApic::eoi() {
  int v = highest(state_.isr);
  if (v < 0) return;
  clear_bit(state_.isr, uint8_t(v));
  if (test(state_.tmr, uint8_t(v)) && eoi_broadcast_) eoi_broadcast_(uint8_t(v));
}

void LocalApic::set_irr(uint8_t vector, bool level) {
  if (vector < 16) { error(kEsrReceiveIllegalVector); return; }
  set_bit(state_.irr, vector);
  if (level) set_bit(state_.tmr, vector); else clear_bit(state_.tmr, vector);
}

void LocalApic::deliver_local(uint32_t lvt) {
  if (!software_enabled() || (lvt & kLvtMasked)) return;
  auto vector = uint8_t(lvt);
  if (vector < 16) {  // recorded without recursing into the error LVT
    state_.esr_pending |= kEsrReceiveIllegalVector;
    return;
  }
  set_irr(vector, false);
}

bool LocalApic::matches_destination(uint8_t destination, bool logical) const {
  if (!logical) {
    uint8_t d = destination & 0x0F;
    return d == 0x0F || d == apic_id();
  }
  auto ldr = uint8_t(state_.ldr >> 24);
  if ((state_.dfr >> 28) == 0xF) return (ldr & destination) != 0;  // flat: one bit per APIC
  // Cluster model: high nibble selects the cluster (0xF = all), low nibble the members.
  uint8_t cluster = destination >> 4;
  return (cluster == 0x0F || cluster == (ldr >> 4)) && (ldr & destination & 0x0F) != 0;
}

void LocalApic::accept(const ApicMessage& m) {
  bool self = m.source_apic_id == apic_id();
  switch (m.shorthand) {
    case DestShorthand::None: if (!matches_destination(m.destination, m.logical)) return; break;
    case DestShorthand::Self: if (!self) return; break;
    case DestShorthand::AllIncludingSelf: break;
    case DestShorthand::AllExcludingSelf: if (self) return; break;
  }
  switch (m.mode) {
    case DeliveryMode::Fixed:
    case DeliveryMode::LowestPriority:
      if (!software_enabled()) return;  // fixed interrupts are not accepted while disabled
      set_irr(m.vector, m.level_triggered);
      return;
    case DeliveryMode::Nmi: state_.pending_nmi = true; return;
    case DeliveryMode::Init:
      // Level-triggered de-assert only resynchronises arbitration IDs (MP spec INIT sequence).
      if (m.level_triggered && !m.assert_level) return;
      state_.pending_init = true;
      return;
    case DeliveryMode::StartUp:
      state_.pending_sipi = true;
      state_.sipi_vector = m.vector;
      return;
    case DeliveryMode::Smi:
    case DeliveryMode::ExtInt:
      return;  // not modelled (see local_apic.h)
  }
}

bool LocalApic::take_pending_init() {
  bool p = state_.pending_init;
  state_.pending_init = false;
  return p;
}

bool LocalApic::take_pending_sipi(uint8_t& vector) {
  bool p = state_.pending_sipi;
  if (p) vector = state_.sipi_vector;
  state_.pending_sipi = false;
  return p;
}

bool LocalApic::take_pending_nmi() {
  bool p = state_.pending_nmi;
  state_.pending_nmi = false;
  return p;
}

void LocalApic::send_ipi() {
  uint32_t icr = state_.icr_low;
  ApicMessage m;
  m.vector = uint8_t(icr);
  uint32_t mode = (icr >> 8) & 7;
  if (mode == 3) return;  // reserved delivery mode: nothing is sent
  m.mode = DeliveryMode(mode);
  m.logical = icr & (1u << 11);
  m.assert_level = icr & (1u << 14);
  m.level_triggered = icr & (1u << 15);
  m.shorthand = DestShorthand((icr >> 18) & 3);
  m.destination = uint8_t(state_.icr_high >> 24);
  m.source_apic_id = apic_id();
  if ((m.mode == DeliveryMode::Fixed || m.mode == DeliveryMode::LowestPriority) &&
      m.vector < 16) {
    error(kEsrSendIllegalVector);
    return;
  }
  if (m.shorthand == DestShorthand::Self) {
    // A self IPI never reaches the bus; only fixed delivery is valid with it.
    if (m.mode == DeliveryMode::Fixed) accept(m);
    return;
  }
  if (sink_) sink_(m);
}

void LocalApic::restore(const State& s) {
  if (timer_) { clock_.cancel(timer_); timer_ = 0; }
  state_ = s;
  State& t = state_;
  // Validate: reserved bits as a guest write would leave them.
  t.id &= 0x0F000000;
  t.tpr &= 0xFF;
  t.ldr &= 0xFF000000;
  t.dfr |= 0x0FFFFFFF;
  t.svr = (t.svr & 0x3FF) | 0x0F;
  t.isr[0] &= 0xFFFF0000;  // vectors 0-15 are never accepted
  t.irr[0] &= 0xFFFF0000;
  t.tmr[0] &= 0xFFFF0000;
  t.esr &= 0xEF; t.esr_pending &= 0xEF;
  t.icr_low &= 0x000CCFFF; t.icr_high &= 0xFF000000;
  t.lvt_timer &= kLvtTimerMask; t.lvt_perf &= kLvtPerfMask; t.lvt_error &= kLvtErrorMask;
  t.lvt_lint0 &= kLvtLintMask | kRemoteIrr; t.lvt_lint1 &= kLvtLintMask | kRemoteIrr;
  if (!software_enabled()) {
    t.lvt_timer |= kLvtMasked; t.lvt_perf |= kLvtMasked; t.lvt_lint0 |= kLvtMasked;
    t.lvt_lint1 |= kLvtMasked; t.lvt_error |= kLvtMasked;
  }
  t.timer_divide &= 0xB;
  if (t.timer_initial == 0) t.timer_armed = false;
  if (!t.timer_armed) t.timer_ref_count = 0;
  if (t.timer_armed && (t.timer_ref_count == 0 || t.timer_ref_count > t.timer_initial))
    t.timer_ref_count = t.timer_initial;
  // A reference time in the future (garbage) is pulled back to now.
  uint64_t now = clock_.now_ns();
  if (t.timer_ref_ns > now) t.timer_ref_ns = now;
  timer_reschedule();  // a deadline already past fires at the next run_due()
}

}  // namespace vmlab::devices
