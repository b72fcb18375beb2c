// ApicMessage: an interrupt message on the APIC bus (or, on P6, the system bus), as an IOAPIC
// redirection entry or a local APIC's ICR sends it and a local APIC accepts it.
//
//   ioapic.set_sink([&](const ApicMessage& m) { for (auto& l : lapics) l.accept(m); });
//
// Field meanings follow the IOAPIC redirection entry / ICR layout (Intel 82093AA datasheet,
// SDM Vol. 3 chapter 10).
#pragma once
#include <cstdint>

namespace vmlab::devices {

enum class DeliveryMode : uint8_t {
  Fixed = 0, LowestPriority = 1, Smi = 2, Nmi = 4, Init = 5, StartUp = 6, ExtInt = 7,
};

// ICR destination shorthand (bits 18-19). A router may hand every message to every local APIC:
// accept() applies the shorthand itself, using source_apic_id to tell "self" apart.
enum class DestShorthand : uint8_t { None = 0, Self = 1, AllIncludingSelf = 2, AllExcludingSelf = 3 };

struct ApicMessage {
  uint8_t vector = 0;
  DeliveryMode mode = DeliveryMode::Fixed;
  bool logical = false;        // destination mode: false = physical APIC ID, true = logical
  uint8_t destination = 0;     // APIC ID (physical, 0xFF = broadcast) or logical mask
  bool level_triggered = false;
  bool assert_level = true;    // INIT level de-assert sends false
  // Only for level-triggered fixed interrupts: the local APIC calls this at EOI so the IOAPIC
  // can clear Remote IRR for the pin (the EOI broadcast). -1 = not from an IOAPIC pin.
  int source_pin = -1;
  // Added by the local APIC (ICR-sent IPIs); IOAPIC messages keep the defaults.
  DestShorthand shorthand = DestShorthand::None;
  uint8_t source_apic_id = 0xFF;  // the sending local APIC's ID; 0xFF = not from a local APIC
};

}  // namespace vmlab::devices
