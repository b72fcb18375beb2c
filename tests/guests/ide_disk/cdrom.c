/* ide_disk, CD-ROM part (command line "cdrom=N", N = blocks in the ISO): the ATAPI drive on the
 * secondary master (0x170/0x376), as a driver probes and reads it.
 *
 * Soft reset and the EB14h signature; IDENTIFY DEVICE aborted, IDENTIFY PACKET DEVICE; TEST UNIT
 * READY (retried past a unit attention, which QEMU reports once); INQUIRY; READ CAPACITY;
 * READ(10) by PIO with a 2048-byte byte count limit (one DRQ chunk per block); READ(12) by
 * bus-master DMA; READ TOC format 0; a read past the end and REQUEST SENSE. Byte i of block b
 * of the ISO is cd_pattern(b, i); the script generates the file. */
#include "rt.h"

#define CD 0x170
#define CD_CTL 0x376

uint8_t cd_pattern(uint32_t b, uint32_t i) { return (uint8_t)((b * 29 + i * 3) % 255 + 1); }

static inline void insw_(uint16_t p, void *buf, uint32_t n) {
  __asm__ volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(p) : "memory");
}
static inline void outsw_(uint16_t p, const void *buf, uint32_t n) {
  __asm__ volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(p) : "memory");
}

/* Busy-waits about `us` microseconds (< 50 ms) on PIT channel 2, gated through port 0x61, in
 * mode 0: OUT2 (port 0x61 bit 5) rises at the terminal count. */
static void pit_delay_us(uint32_t us) {
  const uint32_t count = us * 1193 / 1000 + 1;
  outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
  outb(0x43, 0xB0);                                   /* channel 2, lobyte/hibyte, mode 0 */
  outb(0x42, (uint8_t)(count & 0xFF));
  outb(0x42, (uint8_t)(count >> 8));
  for (uint32_t n = 0; n < 50000000 && !(inb(0x61) & 0x20); ++n) {}
}

static uint8_t cd_wait(void) {
  for (uint32_t n = 0; n < 10000000; ++n) {
    uint8_t st = inb(CD + 7);
    if (!(st & 0x80)) return st;
  }
  printf("cdrom: timeout\n");
  return 0xFF;
}

/* Sends a 12-byte packet; returns the status after the command phase. */
static uint8_t cd_packet(const uint8_t *cdb, uint16_t limit, int dma) {
  cd_wait();
  outb(CD + 6, 0xA0);
  outb(CD + 1, dma ? 1 : 0);
  outb(CD + 4, (uint8_t)limit);
  outb(CD + 5, (uint8_t)(limit >> 8));
  outb(CD + 7, 0xA0);
  uint8_t st = cd_wait();
  if ((st & 0x09) != 0x08 || (inb(CD + 2) & 3) != 1) {
    printf("cdrom: PACKET not accepted: status %02x reason %02x\n", st, inb(CD + 2));
    return 0xFF;
  }
  outsw_(CD, cdb, 6);
  if (dma) return 0; /* the drive stays busy (BSY or DRQ) until the bus master moves the data */
  return cd_wait();
}

/* PIO data phase: reads DRQ chunks into buf (at most max bytes); returns the byte count, or
 * -1 when the command ends with ERR. */
static int cd_pio_in(uint8_t *buf, int max, int *chunks) {
  int got = 0;
  *chunks = 0;
  for (;;) {
    uint8_t st = cd_wait();
    if (st & 0x01) return -1;
    if (!(st & 0x08)) return got;  /* status phase */
    if ((inb(CD + 2) & 3) != 2) { printf("cdrom: bad interrupt reason\n"); return -1; }
    int n = inb(CD + 4) | inb(CD + 5) << 8;
    if (got + n > max) { printf("cdrom: chunk overflows the buffer\n"); return -1; }
    insw_(CD, buf + got, (uint32_t)(n + 1) / 2);
    got += n;
    (*chunks)++;
  }
}

static uint8_t sense_key, sense_asc;
static int cd_cmd(const uint8_t *cdb, uint8_t *buf, int max, uint16_t limit) {
  int chunks;
  if (cd_packet(cdb, limit, 0) == 0xFF) return -1;
  int n = cd_pio_in(buf, max, &chunks);
  if (n < 0) {
    uint8_t rs[12] = {0x03, 0, 0, 0, 18, 0};
    uint8_t s[18];
    cd_packet(rs, 18, 0);
    if (cd_pio_in(s, 18, &chunks) == 18) { sense_key = s[2] & 0x0F; sense_asc = s[12]; }
  }
  return n;
}

static uint8_t cdbuf[8 * 2048];

void cdrom_test(uint16_t bm, uint32_t blocks) {
  uint8_t st;
  int chunks;
  /* Soft reset of the secondary channel: the ATAPI signature, DRDY clear. The host keeps SRST
   * set at least 5 us and waits 2 ms after clearing it before it polls BSY (the ATA software
   * reset protocol). With only a 100-iteration pause, one CI run on a busy host read a zero
   * signature and a dead drive under QEMU. */
  outb(CD_CTL, 0x04);
  pit_delay_us(10);
  outb(CD_CTL, 0x00);
  pit_delay_us(2000);
  cd_wait();
  outb(CD + 6, 0xA0);
  printf("cdrom: signature %02x%02x\n", inb(CD + 5), inb(CD + 4));
  CHECK(inb(CD + 4) == 0x14 && inb(CD + 5) == 0xEB);

  outb(CD + 7, 0xEC); /* IDENTIFY DEVICE: a packet device aborts it */
  st = cd_wait();
  CHECK((st & 0x01) && (inb(CD + 1) & 0x04));
  CHECK(inb(CD + 4) == 0x14 && inb(CD + 5) == 0xEB);
  outb(CD + 7, 0xA1); /* IDENTIFY PACKET DEVICE */
  st = cd_wait();
  CHECK((st & 0x09) == 0x08);
  uint16_t id[256];
  insw_(CD, id, 256);
  printf("cdrom: identify word 0 %04x\n", id[0]);
  CHECK((id[0] & 0xDF03) == 0x8500); /* ATAPI, CD-ROM, 12-byte packets */

  const uint8_t tur[12] = {0x00};
  int ok = 0;
  for (int tries = 0; tries < 3 && !ok; ++tries) ok = cd_cmd(tur, cdbuf, 0, 0) == 0;
  CHECK(ok);

  const uint8_t inquiry[12] = {0x12, 0, 0, 0, 36, 0};
  CHECK(cd_cmd(inquiry, cdbuf, 36, 36) == 36);
  CHECK((cdbuf[0] & 0x1F) == 0x05);
  CHECK(cdbuf[1] & 0x80);

  const uint8_t capacity[12] = {0x25};
  CHECK(cd_cmd(capacity, cdbuf, 8, 8) == 8);
  uint32_t last = (uint32_t)cdbuf[0] << 24 | cdbuf[1] << 16 | cdbuf[2] << 8 | cdbuf[3];
  uint32_t bsize = (uint32_t)cdbuf[4] << 24 | cdbuf[5] << 16 | cdbuf[6] << 8 | cdbuf[7];
  printf("cdrom: %u blocks of %u bytes\n", last + 1, bsize);
  CHECK(last + 1 == blocks && bsize == 2048);

  /* READ(10), 3 blocks from block 2, byte count limit 2048: three DRQ chunks. */
  const uint8_t read10[12] = {0x28, 0, 0, 0, 0, 2, 0, 0, 3, 0};
  CHECK(cd_packet(read10, 2048, 0) != 0xFF);
  int n = cd_pio_in(cdbuf, sizeof cdbuf, &chunks);
  printf("cdrom: READ(10) %d bytes in %d chunks\n", n, chunks);
  CHECK(n == 3 * 2048 && chunks == 3);
  int good = 1;
  for (uint32_t i = 0; i < 3 * 2048; ++i) good &= cdbuf[i] == cd_pattern(2 + i / 2048, i % 2048);
  CHECK(good);

  /* READ(12) by DMA: 4 blocks from block 1 into one PRD region. */
  static uint32_t prd[2] __attribute__((aligned(8)));
  uint8_t *dst = (uint8_t *)0x240000;
  prd[0] = 0x240000;
  prd[1] = 0x80000000u | (4 * 2048);
  outl(bm + 8 + 4, (uint32_t)prd);
  outb(bm + 8, 0x08);
  outb(bm + 8 + 2, 0x06);
  const uint8_t read12[12] = {0xA8, 0, 0, 0, 0, 1, 0, 0, 0, 4};
  CHECK(cd_packet(read12, 0xFFFE, 1) != 0xFF);
  outb(bm + 8, 0x09);
  uint8_t bst = 0;
  for (uint32_t i = 0; i < 10000000; ++i) if ((bst = inb(bm + 8 + 2)) & 0x04) break;
  outb(bm + 8, 0x08);
  st = cd_wait();
  printf("cdrom: DMA bus-master status %02x, status %02x, reason %02x\n", bst, st, inb(CD + 2));
  CHECK((bst & 0x06) == 0x04 && !(st & 0x09) && (inb(CD + 2) & 3) == 3);
  good = 1;
  for (uint32_t i = 0; i < 4 * 2048; ++i) good &= dst[i] == cd_pattern(1 + i / 2048, i % 2048);
  CHECK(good);

  /* READ TOC format 0: track 1 at LBA 0, lead-out at the capacity. */
  const uint8_t toc[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0};
  n = cd_cmd(toc, cdbuf, 100, 100);
  CHECK(n == 20);
  CHECK(cdbuf[2] == 1 && cdbuf[3] == 1 && cdbuf[6] == 1 && cdbuf[14] == 0xAA);
  CHECK(((uint32_t)cdbuf[16] << 24 | cdbuf[17] << 16 | cdbuf[18] << 8 | cdbuf[19]) == blocks);

  /* Past the end: CHECK CONDITION, ILLEGAL REQUEST / LBA out of range. */
  const uint8_t bad[12] = {0x28, 0, 0, 0, 0, (uint8_t)(blocks - 1), 0, 0, 2, 0};
  sense_key = sense_asc = 0;
  CHECK(cd_cmd(bad, cdbuf, sizeof cdbuf, 2048) < 0);
  printf("cdrom: read past the end: sense %x/%02x\n", sense_key, sense_asc);
  CHECK(sense_key == 5 && sense_asc == 0x21);
}
