/* firmware_tables: a multiboot kernel finds the MP and ACPI tables the way an operating
 * system does, and checks them and the memory map around them (issue 6).
 *
 *   MP (Intel MP spec 1.4, 4): "_MP_" on a 16-byte boundary in the first KiB of the EBDA
 *     (segment at 40:0E), else the last KiB of base memory (KiB count at 40:13), else
 *     0xF0000-0xFFFFF; the floating pointer and the "PCMP" configuration table sum to zero;
 *     the table lists `cpus` processors (the BSP flagged) and an I/O APIC.
 *   ACPI (5.2.5.1): "RSD PTR " on a 16-byte boundary in the first KiB of the EBDA, else
 *     0xE0000-0xFFFFF; RSDP, RSDT, FADT, DSDT (with \_S5) and MADT checksums; the MADT
 *     lists `cpus` enabled local APICs.
 *   Memory map: the EBDA and every table above 1 MiB lie outside the multiboot map's usable (type 1)
 *     ranges, which also agree with mem_upper.
 * cpus=N on the command line (default 1). Runs on vmlab (host-written tables) and on QEMU
 * (SeaBIOS's), so the test checks itself. */
#include "rt.h"

struct mmap_entry {
  uint32_t size;
  uint64_t base, len;
  uint32_t type;
} __attribute__((packed));

static const uint8_t *mmap_base;
static uint32_t mmap_length;

static uint8_t sum(const void *p, uint32_t n) {
  const uint8_t *b = p;
  uint8_t s = 0;
  for (uint32_t i = 0; i < n; ++i) s += b[i];
  return s;
}
static uint16_t rd16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* The first 16-byte-aligned `sig` in [start, start + len), or 0. */
static const uint8_t *scan(uint32_t start, uint32_t len, const char *sig, uint32_t sig_len) {
  for (uint32_t a = start; a + sig_len <= start + len; a += 16)
    if (memcmp((const void *)a, sig, sig_len) == 0) return (const uint8_t *)a;
  return 0;
}

/* 1 when [base, base+len) overlaps a usable range of the multiboot memory map. */
static int overlaps_usable(uint32_t base, uint32_t len) {
  for (uint32_t off = 0; off < mmap_length;) {
    const struct mmap_entry *e = (const void *)(mmap_base + off);
    if (e->type == 1 && base < e->base + e->len && e->base < (uint64_t)base + len) return 1;
    off += e->size + 4;
  }
  return 0;
}

/* A table that must not be in usable RAM (those in the BIOS area below 1 MiB are never). */
static void check_reserved(const char *what, uint32_t base, uint32_t len) {
  if (base < 0x100000) return;
  int bad = overlaps_usable(base, len);
  printf("%s at %08x (%u bytes): %s\n", what, base, len, bad ? "USABLE RAM" : "reserved");
  CHECK(!bad);
}

static void check_mp(uint32_t cpus) {
  uint32_t ebda = (uint32_t)rd16((const void *)0x40E) << 4;
  uint32_t base_kib = rd16((const void *)0x413);
  const uint8_t *fp = 0;
  if (ebda) fp = scan(ebda, 1024, "_MP_", 4);
  if (!fp && base_kib) fp = scan(base_kib * 1024 - 1024, 1024, "_MP_", 4);
  if (!fp) fp = scan(0xF0000, 0x10000, "_MP_", 4);
  printf("MP floating pointer: %08x (EBDA %05x, base memory %u KiB)\n", (uint32_t)fp, ebda, base_kib);
  CHECK(fp != 0);
  if (!fp) return;
  CHECK(fp[8] == 1);                 /* length in 16-byte units */
  CHECK(sum(fp, 16) == 0);
  CHECK(fp[9] == 1 || fp[9] == 4);   /* spec revision 1.1 / 1.4 */
  CHECK(fp[11] == 0);                /* not a default configuration: a table follows */
  const uint8_t *ct = (const uint8_t *)rd32(fp + 4);
  CHECK(ct != 0);
  if (!ct) return;
  CHECK(memcmp(ct, "PCMP", 4) == 0);
  uint16_t len = rd16(ct + 4), count = rd16(ct + 34);
  CHECK(len >= 44);
  CHECK(sum(ct, len) == 0);
  CHECK(rd32(ct + 36) == 0xFEE00000u);  /* local APIC address */
  check_reserved("MP configuration table", (uint32_t)ct, len);
  uint32_t procs = 0, bsps = 0, ioapics = 0;
  const uint8_t *e = ct + 44;
  for (uint16_t i = 0; i < count && e < ct + len; ++i) {
    if (e[0] == 0) {                 /* processor, 20 bytes */
      printf("MP processor: APIC ID %u, flags %x\n", e[1], e[3]);
      if (e[3] & 1) ++procs;         /* enabled */
      if (e[3] & 2) ++bsps;
      e += 20;
    } else {
      if (e[0] == 2 && rd32(e + 4) == 0xFEC00000u && (e[3] & 1)) ++ioapics;
      e += 8;
    }
  }
  printf("MP table: %u entries, %u processors (%u BSP), %u I/O APIC at fec00000\n", count,
         procs, bsps, ioapics);
  CHECK(e == ct + len);              /* the entries fill the base table exactly */
  /* SeaBIOS (under QEMU's TCG) lists only the processors it saw start in its MP table; its
   * MADT has them all. */
  if (rt_cmdline_u32("qemu_quirks", 0)) CHECK(procs >= 1 && procs <= cpus);
  else CHECK(procs == cpus);
  CHECK(bsps == 1);
  CHECK(ioapics == 1);
}

/* An ACPI table's header checks; returns its length (0 when bad). */
static uint32_t check_sdt(const uint8_t *t, const char *sig) {
  if (!t || memcmp(t, sig, 4) != 0) {
    printf("%s: missing or wrong signature\n", sig);
    CHECK(0);
    return 0;
  }
  uint32_t len = rd32(t + 4);
  CHECK(len >= 36 && len < 0x10000);
  CHECK(sum(t, len) == 0);
  check_reserved(sig, (uint32_t)t, len);
  return len;
}

static void check_acpi(uint32_t cpus) {
  uint32_t ebda = (uint32_t)rd16((const void *)0x40E) << 4;
  const uint8_t *rsdp = 0;
  if (ebda) rsdp = scan(ebda, 1024, "RSD PTR ", 8);
  if (!rsdp) rsdp = scan(0xE0000, 0x20000, "RSD PTR ", 8);
  printf("RSDP: %08x\n", (uint32_t)rsdp);
  CHECK(rsdp != 0);
  if (!rsdp) return;
  CHECK(sum(rsdp, 20) == 0);
  if (rsdp[15] >= 2) CHECK(sum(rsdp, rd32(rsdp + 20)) == 0);
  const uint8_t *rsdt = (const uint8_t *)rd32(rsdp + 16);
  uint32_t len = check_sdt(rsdt, "RSDT");
  if (!len) return;
  const uint8_t *madt = 0, *fadt = 0;
  for (uint32_t off = 36; off + 4 <= len; off += 4) {
    const uint8_t *t = (const uint8_t *)rd32(rsdt + off);
    if (memcmp(t, "APIC", 4) == 0) madt = t;
    if (memcmp(t, "FACP", 4) == 0) fadt = t;
  }
  uint32_t flen = check_sdt(fadt, "FACP");
  if (flen >= 44) {
    const uint8_t *dsdt = (const uint8_t *)rd32(fadt + 40);
    uint32_t dlen = check_sdt(dsdt, "DSDT");
    int s5 = 0;
    for (uint32_t i = 36; i + 4 <= dlen; ++i)
      if (memcmp(dsdt + i, "_S5_", 4) == 0) s5 = 1;
    printf("DSDT: %u bytes, \\_S5 %s\n", dlen, s5 ? "present" : "MISSING");
    CHECK(s5);
  }
  uint32_t mlen = check_sdt(madt, "APIC");
  if (mlen) {
    uint32_t lapics = 0, ioapics = 0;
    for (uint32_t off = 44; off + 2 <= mlen && madt[off + 1] >= 2; off += madt[off + 1]) {
      if (madt[off] == 0 && (rd32(madt + off + 4) & 1)) ++lapics;
      if (madt[off] == 1 && rd32(madt + off + 4) == 0xFEC00000u) ++ioapics;
    }
    printf("MADT: %u enabled local APICs, %u I/O APIC\n", lapics, ioapics);
    CHECK(lapics == cpus);
    CHECK(ioapics == 1);
  }
}

static void check_memory_map(const struct mb_info *mb) {
  const uint32_t *raw = (const uint32_t *)mb;
  CHECK(mb && (mb->flags & (1u << 6)) && (mb->flags & 1u));
  if (!mb || !(mb->flags & (1u << 6))) return;
  mmap_length = raw[11];
  mmap_base = (const uint8_t *)raw[12];
  uint64_t usable_above_1m_end = 0;
  for (uint32_t off = 0; off < mmap_length;) {
    const struct mmap_entry *e = (const void *)(mmap_base + off);
    printf("mmap: %08x%08x +%08x%08x type %u\n", (uint32_t)(e->base >> 32), (uint32_t)e->base,
           (uint32_t)(e->len >> 32), (uint32_t)e->len, e->type);
    if (e->type == 1 && e->base == 0x100000) usable_above_1m_end = e->base + e->len;
    off += e->size + 4;
  }
  /* mem_upper is the RAM from 1 MiB to the first hole: the usable entry that starts there. */
  printf("mem_upper: %u KiB\n", mb->mem_upper);
  CHECK(usable_above_1m_end > 0x100000);
  CHECK((uint64_t)mb->mem_upper * 1024 + 0x100000 == usable_above_1m_end);
  uint32_t ebda = (uint32_t)rd16((const void *)0x40E) << 4;
  if (ebda) CHECK(!overlaps_usable(ebda, 1024)); /* the EBDA (MP pointer, RSDP) is not RAM to use */
}

void guest_main(const struct mb_info *mb) {
  uint32_t cpus = rt_cmdline_u32("cpus", 1);
  check_memory_map(mb);
  check_mp(cpus);
  check_acpi(cpus);
  rt_finish();
}
