/* ide_disk: writes a raw disk image through PIO and bus-master DMA the way a driver does, reads
 * it back both ways, then FLUSH CACHE.
 *
 * Finds the PIIX3 IDE function at PCI 00:01.1, gives its BAR4 (bus-master block) an I/O address
 * if firmware has not, enables I/O decoding and bus mastering, and drives the primary master:
 * IDENTIFY; WRITE SECTORS (LBA 100-107) and WRITE MULTIPLE (108-115); WRITE DMA (200-263, three
 * PRD regions in different 64 KiB pages); WRITE DMA EXT (4096-4103) and WRITE SECTORS EXT
 * (4200-4201). Everything is read back with the other method (READ DMA / READ MULTIPLE /
 * READ SECTORS / READ DMA EXT) and compared. Byte i of sector s is pattern(s, i) below; the
 * host-side script checks the image file for exactly these bytes.
 *
 * Command line: cdrom=N runs the ATAPI CD-ROM test of cdrom.c instead (an N-block ISO on the
 * secondary master). kill_after_flush=1 prints "IDE-FLUSH-DONE" after FLUSH CACHE completes and then
 * spins, so the test script can SIGKILL the emulator and check that the writes reached the file.
 * Interrupts stay masked (the runtime masks the PIC): completion is polled, from the ATA status
 * register for PIO and from the bus-master status register (interrupt bit) for DMA. */
#include "rt.h"

#define ATA 0x1F0
#define ATA_CTL 0x3F6
#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DRQ 0x08
#define ST_ERR 0x01

static uint16_t bm; /* bus-master block I/O base (BAR4) */
void cdrom_test(uint16_t bm, uint32_t blocks); /* cdrom.c */

static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline void insw(uint16_t p, void *buf, uint32_t n) {
  __asm__ volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(p) : "memory");
}
static inline void outsw(uint16_t p, const void *buf, uint32_t n) {
  __asm__ volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(p) : "memory");
}

static uint32_t pci_read(uint32_t dev, uint32_t fn, uint32_t reg) {
  outl(0xCF8, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xFC));
  return inl(0xCFC);
}
static void pci_write(uint32_t dev, uint32_t fn, uint32_t reg, uint32_t v) {
  outl(0xCF8, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xFC));
  outl(0xCFC, v);
}

static uint8_t pattern(uint32_t s, uint32_t i) { return (uint8_t)(s * 13 + i * 7 + 0x5A); }
static void fill(uint8_t *p, uint32_t lba, uint32_t count) {
  for (uint32_t s = 0; s < count; ++s)
    for (uint32_t i = 0; i < 512; ++i) p[s * 512 + i] = pattern(lba + s, i);
}
static int check(const uint8_t *p, uint32_t lba, uint32_t count) {
  for (uint32_t s = 0; s < count; ++s)
    for (uint32_t i = 0; i < 512; ++i)
      if (p[s * 512 + i] != pattern(lba + s, i)) {
        printf("mismatch at LBA %u byte %u: %02x, expected %02x\n", lba + s, i, p[s * 512 + i],
               pattern(lba + s, i));
        return 0;
      }
  return 1;
}

/* Waits for BSY to clear; returns the status (0xFF after a timeout). */
static uint8_t wait_not_busy(void) {
  for (uint32_t n = 0; n < 10000000; ++n) {
    uint8_t st = inb(ATA + 7);
    if (!(st & ST_BSY)) return st;
  }
  printf("timeout waiting for BSY to clear\n");
  return 0xFF;
}
static int wait_drq(void) {
  uint8_t st = wait_not_busy();
  return (st & (ST_DRQ | ST_ERR)) == ST_DRQ;
}

static void task_file(uint32_t lba, uint32_t count, int lba48) {
  wait_not_busy();
  outb(ATA + 6, 0xE0 | (lba48 ? 0 : ((lba >> 24) & 0x0F)));
  if (lba48) { /* high bytes first: they become the "previous" half of each register pair */
    outb(ATA + 2, (uint8_t)(count >> 8));
    outb(ATA + 3, (uint8_t)(lba >> 24));
    outb(ATA + 4, 0);
    outb(ATA + 5, 0);
  }
  outb(ATA + 2, (uint8_t)count);
  outb(ATA + 3, (uint8_t)lba);
  outb(ATA + 4, (uint8_t)(lba >> 8));
  outb(ATA + 5, (uint8_t)(lba >> 16));
}

/* PIO data-out: `per_block` sectors per DRQ block (1, or the SET MULTIPLE value). */
static int pio_write(uint8_t cmd, uint32_t lba, uint32_t count, uint32_t per_block, const uint8_t *buf, int lba48) {
  task_file(lba, count, lba48);
  outb(ATA + 7, cmd);
  for (uint32_t done = 0; done < count; done += per_block) {
    if (!wait_drq()) return 0;
    uint32_t n = count - done < per_block ? count - done : per_block;
    outsw(ATA, buf + done * 512, n * 256);
  }
  uint8_t st = wait_not_busy();
  return !(st & (ST_ERR | ST_DRQ));
}

static int pio_read(uint8_t cmd, uint32_t lba, uint32_t count, uint32_t per_block, uint8_t *buf, int lba48) {
  task_file(lba, count, lba48);
  outb(ATA + 7, cmd);
  for (uint32_t done = 0; done < count; done += per_block) {
    if (!wait_drq()) return 0;
    uint32_t n = count - done < per_block ? count - done : per_block;
    insw(ATA, buf + done * 512, n * 256);
  }
  uint8_t st = wait_not_busy();
  return !(st & (ST_ERR | ST_DRQ));
}

/* Bus-master DMA as Linux's ata_bmdma does it: PRD table and direction, clear the status bits,
 * the ATA command, then start; completion is the interrupt bit. */
static uint32_t prd[8] __attribute__((aligned(64)));
static int dma(uint8_t cmd, uint32_t lba, uint32_t count, int lba48, int to_memory,
               const uint32_t *addrs, const uint32_t *sizes, int nprd) {
  for (int i = 0; i < nprd; ++i) {
    prd[2 * i] = addrs[i];
    prd[2 * i + 1] = (sizes[i] & 0xFFFF) | (i == nprd - 1 ? 0x80000000u : 0);
  }
  outl(bm + 4, (uint32_t)prd);
  outb(bm + 0, to_memory ? 0x08 : 0x00);
  outb(bm + 2, inb(bm + 2) | 0x06); /* clear interrupt and error */
  task_file(lba, count, lba48);
  outb(ATA + 7, cmd);
  outb(bm + 0, (to_memory ? 0x08 : 0x00) | 0x01);
  uint8_t bst = 0;
  for (uint32_t n = 0; n < 10000000; ++n) {
    bst = inb(bm + 2);
    if (bst & 0x04) break;
  }
  outb(bm + 0, to_memory ? 0x08 : 0x00); /* stop the engine */
  uint8_t st = wait_not_busy();
  outb(bm + 2, 0x06);
  if (!(bst & 0x04) || (bst & 0x02) || (st & (ST_ERR | ST_DRQ))) {
    printf("DMA command %02x: bus-master status %02x, ATA status %02x\n", cmd, bst, st);
    return 0;
  }
  return 1;
}

/* DMA buffers: three regions, each inside its own 64 KiB page, above the guest image. */
#define DMA_A 0x200000u
#define DMA_B 0x210000u
#define DMA_C 0x220000u
static uint8_t pio_buf[64 * 512];

void guest_main(const struct mb_info *mb) {
  (void)mb;
  int kill_after_flush = (int)rt_cmdline_u32("kill_after_flush", 0);

  uint32_t id = pci_read(1, 1, 0x00);
  printf("PCI 00:01.1: %08x\n", id);
  CHECK(id == 0x70108086u);
  CHECK((pci_read(1, 1, 0x08) >> 8) == 0x010180u); /* IDE, legacy mode, bus master */
  uint32_t bar4 = pci_read(1, 1, 0x20);
  if ((bar4 & ~3u) == 0) { /* no firmware assigned it: do it as a BIOS would */
    pci_write(1, 1, 0x20, 0xFFFFFFFFu);
    uint32_t size = ~(pci_read(1, 1, 0x20) & ~3u) + 1;
    CHECK((size & 0xFFFF) == 16);
    pci_write(1, 1, 0x20, 0xC000 | 1);
    bar4 = pci_read(1, 1, 0x20);
  }
  bm = (uint16_t)(bar4 & 0xFFFC);
  pci_write(1, 1, 0x04, (pci_read(1, 1, 0x04) & 0xFFFF) | 0x05); /* I/O decode, bus master */
  printf("bus master at 0x%x\n", bm);
  CHECK(bm != 0);

  uint32_t cd_blocks = rt_cmdline_u32("cdrom", 0);
  if (cd_blocks) { /* the CD-ROM part instead (cdrom.c) */
    cdrom_test(bm, cd_blocks);
    rt_finish();
  }

  outb(ATA_CTL, 0x00); /* nIEN clear: INTRQ drives the bus-master interrupt bit */
  outb(ATA + 6, 0xA0);
  uint8_t st = inb(ATA + 7);
  printf("primary master status %02x\n", st);
  if (st == 0x00 || st == 0xFF) {
    printf("no disk on the primary master (run with -hda IMAGE)\n");
    exit_with(2);
  }
  outb(ATA + 7, 0xEC); /* IDENTIFY DEVICE */
  CHECK(wait_drq());
  uint16_t ident[256];
  insw(ATA, ident, 256);
  uint32_t sectors = ident[60] | (uint32_t)ident[61] << 16;
  printf("disk: %u sectors, LBA48 %s, multiple up to %u\n", sectors,
         (ident[83] & 0x400) ? "yes" : "no", ident[47] & 0xFF);
  CHECK(sectors >= 8192);
  CHECK(ident[83] & 0x400);
  CHECK((ident[49] & 0x300) == 0x300);

  /* PIO: WRITE SECTORS, then SET MULTIPLE 4 and WRITE MULTIPLE. */
  fill(pio_buf, 100, 16);
  CHECK(pio_write(0x30, 100, 8, 1, pio_buf, 0));
  wait_not_busy();
  outb(ATA + 2, 4);
  outb(ATA + 7, 0xC6);
  CHECK(!(wait_not_busy() & ST_ERR));
  CHECK(pio_write(0xC5, 108, 8, 4, pio_buf + 8 * 512, 0));

  /* DMA: 64 sectors from three regions of 10000, 6384 and 16384 bytes. */
  const uint32_t addrs[3] = {DMA_A, DMA_B, DMA_C};
  const uint32_t sizes[3] = {10000, 6384, 16384};
  uint8_t *pa = (uint8_t *)DMA_A, *pb = (uint8_t *)DMA_B, *pc = (uint8_t *)DMA_C;
  fill(pio_buf, 200, 64);
  memcpy(pa, pio_buf, 10000);
  memcpy(pb, pio_buf + 10000, 6384);
  memcpy(pc, pio_buf + 16384, 16384);
  CHECK(dma(0xCA, 200, 64, 0, 0, addrs, sizes, 3));

  /* LBA48: WRITE DMA EXT and WRITE SECTORS EXT. */
  fill(pa, 4096, 8);
  const uint32_t one_addr[1] = {DMA_A};
  const uint32_t one_size[1] = {8 * 512};
  CHECK(dma(0x35, 4096, 8, 1, 0, one_addr, one_size, 1));
  fill(pio_buf, 4200, 2);
  CHECK(pio_write(0x34, 4200, 2, 1, pio_buf, 1));

  /* Read everything back the other way. */
  memset(pa, 0, 16 * 512);
  const uint32_t r_size[1] = {16 * 512};
  CHECK(dma(0xC8, 100, 16, 0, 1, one_addr, r_size, 1));
  CHECK(check(pa, 100, 16));
  memset(pio_buf, 0, sizeof pio_buf);
  CHECK(pio_read(0xC4, 200, 64, 4, pio_buf, 0)); /* READ MULTIPLE */
  CHECK(check(pio_buf, 200, 64));
  memset(pa, 0, 8 * 512);
  CHECK(dma(0x25, 4096, 8, 1, 1, one_addr, one_size, 1));
  CHECK(check(pa, 4096, 8));
  CHECK(pio_read(0x20, 4200, 2, 1, pio_buf, 0));
  CHECK(check(pio_buf, 4200, 2));

  /* A read past the end of the disk is IDNF. */
  task_file(sectors, 1, 0);
  outb(ATA + 7, 0x20);
  st = wait_not_busy();
  printf("read past the end: status %02x error %02x\n", st, inb(ATA + 1));
  /* QEMU 7.2 answers ABRT instead of IDNF (ide_sect_range_ok -> ide_abort_command). */
  uint8_t want_err = rt_cmdline_u32("qemu_quirks", 0) ? 0x14 : 0x10;
  CHECK((st & ST_ERR) && (inb(ATA + 1) & want_err));

  /* FLUSH CACHE: after it completes the data must survive the emulator being killed. */
  wait_not_busy();
  outb(ATA + 7, 0xE7);
  st = wait_not_busy();
  CHECK(!(st & ST_ERR));
  if (kill_after_flush) {
    printf("IDE-FLUSH-DONE failures=%d\n", rt_failures);
    for (;;) __asm__ volatile("pause");
  }
  rt_finish();
}
