/* guest_kvm_io_exits: a known number of port accesses, so `--stats` can be checked against
 * it (tests/kvm/guests.cmake): 1000 single OUTs to port 0x80, then string I/O (REP OUTSB /
 * REP INSB, which KVM may batch into exits with count > 1) on port 0x84. Both ports are
 * unclaimed on the vmlab PC: writes are dropped, reads answer 0xFF. It also prints the CPU
 * the guest sees (CPUID), which is the same on every technique except the technique id. */
#include "rt.h"

static uint8_t out_buf[64], in_buf[64];

void guest_main(const struct mb_info *mb) {
  (void)mb;
  printf("guest_kvm_io_exits: 1000 OUTs to port 0x80, string I/O on port 0x84\n");
  for (unsigned i = 0; i < 1000; ++i) outb(0x80, (uint8_t)i);
  for (unsigned i = 0; i < sizeof out_buf; ++i) out_buf[i] = (uint8_t)(i * 7);
  uint32_t n = sizeof out_buf;
  const void* src = out_buf;
  __asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(n) : "d"(0x84) : "memory");
  CHECK(n == 0);
  void* dst = in_buf;
  n = sizeof in_buf;
  __asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(n) : "d"(0x84) : "memory");
  int all_ff = 1;
  for (unsigned i = 0; i < sizeof in_buf; ++i) all_ff &= in_buf[i] == 0xFF;
  if (CHECK(all_ff)) printf("ok REP INSB from an unclaimed port reads 0xFF\n");
  uint32_t r[4];
  cpuid(0, 0, r);
  char vendor[13];
  memcpy(vendor, &r[1], 4);
  memcpy(vendor + 4, &r[3], 4);
  memcpy(vendor + 8, &r[2], 4);
  vendor[12] = 0;
  uint32_t sig[4];
  cpuid(1, 0, sig);
  if (CHECK(memcmp(vendor, "GenuineIntel", 12) == 0) && CHECK(sig[0] == 0x652))
    printf("ok CPUID: %s, signature 0x%x\n", vendor, sig[0]);
  cpuid(0x40000001, 0, r);
  printf("technique id %u\n", r[0]);
  rt_finish();
}
