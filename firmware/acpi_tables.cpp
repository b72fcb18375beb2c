// ACPI tables (see acpi_tables.h). Layouts from the ACPI specification 2.0/6.x, chapter 5.2.
#include "firmware/acpi_tables.h"

#include <string_view>
#include <vector>

#include "firmware/table_bytes.h"

namespace vmlab::firmware {

namespace {

// The 36-byte header every table but RSDP and FACS starts with; length and checksum are
// patched by finish().
void header(TableBytes& t, std::string_view signature, uint8_t revision) {
  t.str(signature, 4);
  t.u32(0);            // length
  t.u8(revision);
  t.u8(0);             // checksum
  t.str("VMLAB", 6);   // OEM id
  t.str("VMLABPC", 8); // OEM table id
  t.u32(1);            // OEM revision
  t.str("VMLB", 4);    // creator id
  t.u32(1);            // creator revision
}

// Appends one finished table to the blob, 16-byte aligned; returns its offset.
uint32_t add_table(TableBytes& blob, TableBytes table) {
  blob.align(16);
  uint32_t at = uint32_t(blob.size());
  table.put_u32(4, uint32_t(table.size()));
  table.fix_checksum(0, table.size(), 9);
  blob.append(table.bytes());
  return at;
}

// Generic address structure (ACPI 5.2.3.2): system I/O space.
void gas_io(TableBytes& t, uint8_t bit_width, uint8_t access_size, uint64_t address) {
  t.u8(1);  // system I/O
  t.u8(bit_width);
  t.u8(0);  // bit offset
  t.u8(access_size);
  t.u64(address);
}

// AML PkgLength (ACPI 20.2.4): the length of the package including the PkgLength bytes
// themselves, in 1 byte below 64, else a lead byte with the low 4 bits and 1-3 more bytes.
std::vector<uint8_t> aml_package(uint8_t op_prefix_or_zero, uint8_t op, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  if (op_prefix_or_zero) out.push_back(op_prefix_or_zero);
  out.push_back(op);
  size_t n = body.size();
  if (n + 1 < 64) {
    out.push_back(uint8_t(n + 1));
  } else if (n + 2 < (1u << 12)) {
    size_t len = n + 2;
    out.push_back(uint8_t(0x40 | (len & 0xF)));
    out.push_back(uint8_t(len >> 4));
  } else {
    size_t len = n + 3;  // tables here stay far below 2^20
    out.push_back(uint8_t(0x80 | (len & 0xF)));
    out.push_back(uint8_t(len >> 4));
    out.push_back(uint8_t(len >> 12));
  }
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

void append(std::vector<uint8_t>& v, const std::vector<uint8_t>& more) { v.insert(v.end(), more.begin(), more.end()); }
void name_seg(std::vector<uint8_t>& v, std::string_view seg) { v.insert(v.end(), seg.begin(), seg.end()); }

// Word/DWord address space descriptors (ACPI 6.4.3.5.2-3) for the root bridge's _CRS:
// producer, min and max fixed (general flags 0x0C), no translation.
void word_address(TableBytes& r, uint8_t type, uint8_t type_flags, uint16_t min, uint16_t max) {
  r.u8(0x88); r.u16(13);
  r.u8(type); r.u8(0x0C); r.u8(type_flags);
  r.u16(0); r.u16(min); r.u16(max); r.u16(0); r.u16(uint16_t(max - min + 1));
}
void dword_memory(TableBytes& r, uint32_t min, uint32_t max) {
  r.u8(0x87); r.u16(23);
  r.u8(0); r.u8(0x0C); r.u8(0x01);  // memory, read-write, non-cacheable
  r.u32(0); r.u32(min); r.u32(max); r.u32(0); r.u32(max - min + 1);
}

// \_SB.PCI0, the PCI host bridge (PNP0A03). With ACPI enabled, Linux finds PCI buses only
// through such root bridge objects; without one it never scans bus 0 and sees no PCI device.
// _CRS: bus 0-255, the 0xCF8 config ports, all other I/O, the VGA window and the BAR window
// the BIOS assigns from (kPciMemoryBase up to the I/O APIC).
std::vector<uint8_t> pci_root_bridge() {
  TableBytes crs;
  word_address(crs, 2, 0x00, 0x0000, 0x00FF);  // bus numbers
  crs.u8(0x47); crs.u8(0x01); crs.u16(0x0CF8); crs.u16(0x0CF8); crs.u8(1); crs.u8(8);  // IO(Decode16)
  word_address(crs, 1, 0x03, 0x0000, 0x0CF7);  // I/O, entire range
  word_address(crs, 1, 0x03, 0x0D00, 0xFFFF);
  dword_memory(crs, 0x000A0000, 0x000BFFFF);
  dword_memory(crs, kPciMemoryBase, kIoApicAddress - 1);
  crs.u8(0x79); crs.u8(0x00);  // end tag, checksum 0 = not checked

  std::vector<uint8_t> buffer_body = {0x0B, uint8_t(crs.size()), uint8_t(crs.size() >> 8)};  // WordConst size
  append(buffer_body, crs.bytes());

  std::vector<uint8_t> dev;
  name_seg(dev, "PCI0");
  dev.push_back(0x08); name_seg(dev, "_HID");
  append(dev, {0x0C, 0x41, 0xD0, 0x0A, 0x03});    // EisaId("PNP0A03")
  dev.push_back(0x08); name_seg(dev, "_ADR"); dev.push_back(0x00);
  dev.push_back(0x08); name_seg(dev, "_UID"); dev.push_back(0x00);
  dev.push_back(0x08); name_seg(dev, "_CRS");
  append(dev, aml_package(0, 0x11, buffer_body));  // BufferOp

  std::vector<uint8_t> scope = {0x5C};  // root prefix: \_SB_
  name_seg(scope, "_SB_");
  append(scope, aml_package(0x5B, 0x82, dev));     // DeviceOp
  return aml_package(0, 0x10, scope);              // ScopeOp
}

TableBytes build_dsdt() {
  TableBytes t;
  header(t, "DSDT", 1);
  // Name (_S5, Package (4) { Zero, Zero, Zero, Zero })
  //   08 NameOp, "_S5_", 12 PackageOp, 06 PkgLength (itself + the 5 bytes after it),
  //   04 NumElements, 00 ZeroOp x4.
  for (int b : {0x08, int('_'), int('S'), int('5'), int('_'), 0x12, 0x06, 0x04, 0, 0, 0, 0}) t.u8(uint8_t(b));
  t.append(pci_root_bridge());
  return t;
}

TableBytes build_fadt(uint32_t facs, uint32_t dsdt) {
  TableBytes t;
  header(t, "FACP", 3);
  t.u32(facs);              // 36 FIRMWARE_CTRL
  t.u32(dsdt);              // 40 DSDT
  t.u8(0);                  // 44 reserved (ACPI 1.0 INT_MODEL)
  t.u8(0);                  // 45 preferred PM profile: unspecified
  t.u16(kSciIrq);           // 46 SCI_INT
  t.u32(0);                 // 48 SMI_CMD: none, the platform is always in ACPI mode
  t.u8(0);                  // 52 ACPI_ENABLE
  t.u8(0);                  // 53 ACPI_DISABLE
  t.u8(0);                  // 54 S4BIOS_REQ
  t.u8(0);                  // 55 PSTATE_CNT
  t.u32(kPm1aEvt);          // 56 PM1a_EVT_BLK
  t.u32(0);                 // 60 PM1b_EVT_BLK
  t.u32(kPm1aCnt);          // 64 PM1a_CNT_BLK
  t.u32(0);                 // 68 PM1b_CNT_BLK
  t.u32(0);                 // 72 PM2_CNT_BLK
  t.u32(kPmTmr);            // 76 PM_TMR_BLK
  t.u32(0);                 // 80 GPE0_BLK
  t.u32(0);                 // 84 GPE1_BLK
  t.u8(4);                  // 88 PM1_EVT_LEN
  t.u8(2);                  // 89 PM1_CNT_LEN
  t.u8(0);                  // 90 PM2_CNT_LEN
  t.u8(4);                  // 91 PM_TMR_LEN
  t.u8(0);                  // 92 GPE0_BLK_LEN
  t.u8(0);                  // 93 GPE1_BLK_LEN
  t.u8(0);                  // 94 GPE1_BASE
  t.u8(0);                  // 95 CST_CNT
  t.u16(101);               // 96 P_LVL2_LAT: > 100 = no C2
  t.u16(1001);              // 98 P_LVL3_LAT: > 1000 = no C3
  t.u16(0);                 // 100 FLUSH_SIZE
  t.u16(0);                 // 102 FLUSH_STRIDE
  t.u8(0);                  // 104 DUTY_OFFSET
  t.u8(0);                  // 105 DUTY_WIDTH
  t.u8(0);                  // 106 DAY_ALRM
  t.u8(0);                  // 107 MON_ALRM
  t.u8(0x32);               // 108 CENTURY (CMOS register)
  t.u16(0x0003);            // 109 IAPC_BOOT_ARCH: legacy devices, 8042
  t.u8(0);                  // 111 reserved
  // 112 flags: WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON absent as fixed features,
  // RESET_REG_SUP.
  t.u32((1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 10));
  gas_io(t, 8, 1, kResetReg);  // 116 RESET_REG
  t.u8(kResetValue);        // 128 RESET_VALUE
  t.zeros(3);               // 129 reserved
  t.u64(facs);              // 132 X_FIRMWARE_CTRL
  t.u64(dsdt);              // 140 X_DSDT
  gas_io(t, 32, 0, kPm1aEvt);  // 148 X_PM1a_EVT_BLK
  t.zeros(12);              // 160 X_PM1b_EVT_BLK
  gas_io(t, 16, 0, kPm1aCnt);  // 172 X_PM1a_CNT_BLK
  t.zeros(12);              // 184 X_PM1b_CNT_BLK
  t.zeros(12);              // 196 X_PM2_CNT_BLK
  gas_io(t, 32, 0, kPmTmr);    // 208 X_PM_TMR_BLK
  t.zeros(12);              // 220 X_GPE0_BLK
  t.zeros(12);              // 232 X_GPE1_BLK
  return t;                 // 244 bytes
}

TableBytes build_madt(const PlatformInfo& info) {
  TableBytes t;
  header(t, "APIC", 1);
  t.u32(kLocalApicAddress);
  t.u32(1);  // PCAT_COMPAT: the 8259 pair is there too
  for (unsigned cpu = 0; cpu < info.cpus; ++cpu) {
    t.u8(0); t.u8(8);                       // processor local APIC
    t.u8(uint8_t(cpu));                     // ACPI processor id
    t.u8(uint8_t(cpu));                     // APIC id
    t.u32(1);                               // enabled
  }
  t.u8(1); t.u8(12);                        // I/O APIC
  t.u8(info.ioapic_id());
  t.u8(0);
  t.u32(kIoApicAddress);
  t.u32(0);                                 // GSI base
  auto override_irq = [&](uint8_t irq, uint32_t gsi, uint16_t flags) {
    t.u8(2); t.u8(10);                      // interrupt source override
    t.u8(0);                                // bus: ISA
    t.u8(irq);
    t.u32(gsi);
    t.u16(flags);
  };
  constexpr uint16_t kLevelHigh = 0x0001 | 0x000C;
  override_irq(0, 2, 0);                    // the PIT: ISA IRQ 0 is on pin 2
  override_irq(uint8_t(kSciIrq), kSciIrq, kLevelHigh);
  override_irq(kPirqIrq[0], kPirqIrq[0], kLevelHigh);
  if (kPirqIrq[2] != kPirqIrq[0]) override_irq(kPirqIrq[2], kPirqIrq[2], kLevelHigh);
  t.u8(4); t.u8(6);                         // local APIC NMI
  t.u8(0xFF);                               // every processor
  t.u16(0);
  t.u8(1);                                  // LINT1
  return t;
}

}  // namespace

AcpiTables build_acpi_tables(const PlatformInfo& info, uint32_t base) {
  AcpiTables out;
  TableBytes blob;
  // FACS: 64 bytes, 64-byte aligned, no checksum; the OS writes the waking vector and the
  // global lock here, so it sits at the start of the (RAM) table area.
  out.facs = 0;
  blob.str("FACS", 4);
  blob.u32(64);
  blob.u32(0);   // hardware signature
  blob.u32(0);   // firmware waking vector
  blob.u32(0);   // global lock
  blob.u32(0);   // flags
  blob.u64(0);   // X firmware waking vector
  blob.u8(1);    // version
  blob.zeros(64 - blob.size());
  out.dsdt = add_table(blob, build_dsdt());
  out.fadt = add_table(blob, build_fadt(base + out.facs, base + out.dsdt));
  out.madt = add_table(blob, build_madt(info));
  TableBytes rsdt;
  header(rsdt, "RSDT", 1);
  rsdt.u32(base + out.fadt);
  rsdt.u32(base + out.madt);
  out.rsdt = add_table(blob, std::move(rsdt));
  out.blob = blob.take();

  TableBytes rsdp;
  rsdp.str("RSD PTR ", 8);
  rsdp.u8(0);          // checksum of the 20 bytes
  rsdp.str("VMLAB", 6);
  rsdp.u8(0);          // revision 0: ACPI 1.0 RSDP, RSDT only
  rsdp.u32(base + out.rsdt);
  rsdp.fix_checksum(0, 20, 8);
  out.rsdp = rsdp.take();
  return out;
}

}  // namespace vmlab::firmware
