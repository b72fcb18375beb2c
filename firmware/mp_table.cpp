// MP floating pointer and configuration table (see mp_table.h). Layouts from the MP
// Specification 1.4, chapter 4.
#include "firmware/mp_table.h"

#include "cpu/cpu_model.h"
#include "firmware/table_bytes.h"

namespace vmlab::firmware {

namespace {

constexpr uint8_t kIntInt = 0, kIntNmi = 1, kIntExt = 3;          // interrupt types
constexpr uint16_t kConforms = 0x0000;                            // polarity/trigger of the bus
constexpr uint16_t kLevelHigh = 0x0001 | 0x000C;                  // active high, level
constexpr uint8_t kLocalApicVersion = 0x14, kIoApicVersion = 0x11;

void io_interrupt(TableBytes& t, uint8_t type, uint16_t flags, uint8_t bus, uint8_t irq,
                  uint8_t apic, uint8_t pin) {
  t.u8(kMpIoInterrupt);
  t.u8(type);
  t.u16(flags);
  t.u8(bus);
  t.u8(irq);
  t.u8(apic);
  t.u8(pin);
}

void local_interrupt(TableBytes& t, uint8_t type, uint8_t lint) {
  t.u8(kMpLocalInterrupt);
  t.u8(type);
  t.u16(kConforms);
  t.u8(kMpBusIsa);
  t.u8(0);
  t.u8(0xFF);  // every local APIC
  t.u8(lint);
}

}  // namespace

MpTables build_mp_tables(const PlatformInfo& info, uint32_t config_address) {
  TableBytes t;
  uint16_t entries = 0;
  // Header (44 bytes); length, count and checksum are patched at the end.
  t.str("PCMP", 4);
  t.u16(0);            // base table length
  t.u8(4);             // spec revision 1.4
  t.u8(0);             // checksum
  t.str("VMLAB", 8);   // OEM id
  t.str("VMLAB PC", 12);  // product id
  t.u32(0);            // OEM table pointer
  t.u16(0);            // OEM table size
  t.u16(0);            // entry count
  t.u32(kLocalApicAddress);
  t.u16(0);            // extended table length
  t.u8(0);             // extended table checksum
  t.u8(0);

  for (unsigned cpu = 0; cpu < info.cpus; ++cpu, ++entries) {
    t.u8(kMpProcessor);
    t.u8(uint8_t(cpu));                       // local APIC id
    t.u8(kLocalApicVersion);
    t.u8(cpu == 0 ? 0x03 : 0x01);             // enabled; bootstrap processor
    t.u32(cpu::kCpuSignature);
    t.u32((1u << 0) | (1u << 9));             // CPUID.1:EDX FPU, APIC
    t.zeros(8);
  }
  t.u8(kMpBus); t.u8(kMpBusPci); t.str("PCI", 6); ++entries;
  t.u8(kMpBus); t.u8(kMpBusIsa); t.str("ISA", 6); ++entries;
  t.u8(kMpIoApic); t.u8(info.ioapic_id()); t.u8(kIoApicVersion); t.u8(0x01);  // enabled
  t.u32(kIoApicAddress);
  ++entries;

  const uint8_t apic = info.ioapic_id();
  // PCI interrupts first, so the ISA entries can leave out the IRQs PCI uses.
  uint16_t pci_irqs = 0;
  for (const PciIntx& p : info.pci_intx) {
    if (p.pin < 1 || p.pin > 4 || p.dev >= 32) continue;
    uint8_t irq = kPirqIrq[pirq_of(p.dev, p.pin)];
    io_interrupt(t, kIntInt, kLevelHigh, kMpBusPci, uint8_t((p.dev << 2) | (p.pin - 1)), apic, irq);
    pci_irqs = uint16_t(pci_irqs | (1u << irq));
    ++entries;
  }
  io_interrupt(t, kIntExt, kConforms, kMpBusIsa, 0, apic, 0);  // 8259 INTR
  ++entries;
  for (uint8_t irq = 0; irq < 16; ++irq) {
    if (irq == 2 || (pci_irqs >> irq) & 1) continue;  // 2 is the cascade
    uint8_t pin = irq == 0 ? 2 : irq;
    io_interrupt(t, kIntInt, irq == kSciIrq ? kLevelHigh : kConforms, kMpBusIsa, irq, apic, pin);
    ++entries;
  }
  local_interrupt(t, kIntExt, 0);
  local_interrupt(t, kIntNmi, 1);
  entries += 2;

  t.put_u16(4, uint16_t(t.size()));
  t.put_u16(34, entries);
  t.fix_checksum(0, t.size(), 7);

  TableBytes fp;
  fp.str("_MP_", 4);
  fp.u32(config_address);
  fp.u8(1);     // length in 16-byte paragraphs
  fp.u8(4);     // spec revision 1.4
  fp.u8(0);     // checksum
  fp.u8(0);     // feature 1: 0 = a configuration table is present
  fp.u8(0);     // feature 2: bit 7 clear = virtual wire mode, no IMCR
  fp.zeros(3);
  fp.fix_checksum(0, fp.size(), 10);
  return {fp.take(), t.take()};
}

}  // namespace vmlab::firmware
