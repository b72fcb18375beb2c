/* The vmlab demo guest: says hello on COM1, shows what CPUID reports, does a small
 * computation, and exits through the debug-exit port with 0 (or halts if there is none). */
#include "rt.h"

static void print_cpu(void) {
  uint32_t r[4];
  char vendor[13];
  cpuid(0, 0, r);
  memcpy(vendor, &r[1], 4);
  memcpy(vendor + 4, &r[3], 4);
  memcpy(vendor + 8, &r[2], 4);
  vendor[12] = 0;
  printf("cpu vendor: %s (max leaf %u)\n", vendor, r[0]);
  cpuid(1, 0, r);
  printf("cpu signature: family %u model %u stepping %u, features edx=0x%08x ecx=0x%08x\n",
         ((r[0] >> 8) & 0xF) + ((r[0] >> 20) & 0xFF), ((r[0] >> 4) & 0xF) | ((r[0] >> 12) & 0xF0),
         r[0] & 0xF, r[3], r[2]);
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    uint32_t brand[13] = {0};
    for (uint32_t i = 0; i < 3; i++) cpuid(0x80000002u + i, 0, &brand[i * 4]);
    const char *b = (const char *)brand;
    while (*b == ' ') b++;
    printf("cpu brand: %s\n", b);
  }
}

/* Sieve of Eratosthenes: a few thousand loads, stores and branches with a known answer. */
static uint32_t count_primes(uint32_t n) {
  static uint8_t composite[10000];
  uint32_t count = 0;
  for (uint32_t i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (uint32_t j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}

void guest_main(const struct mb_info *mb) {
  printf("vmlab demo guest: hello from 32-bit protected mode\n");
  if (mb && (mb->flags & 1)) printf("memory: %u KiB low, %u KiB high\n", mb->mem_lower, mb->mem_upper);
  if (*rt_cmdline()) printf("command line: %s\n", rt_cmdline());
  print_cpu();
  uint32_t primes = count_primes(10000);
  uint32_t fib[2] = {0, 1};
  for (int i = 0; i < 40; i++) {
    uint32_t t = fib[0] + fib[1];
    fib[0] = fib[1];
    fib[1] = t;
  }
  printf("primes below 10000: %u (expect 1229); fib(40) = %u (expect 102334155)\n", primes, fib[0]);
  if (primes != 1229 || fib[0] != 102334155u) {
    printf("demo: wrong answer\n");
    exit_with(1);
  }
  printf("demo done, exiting through port 0xf4\n");
  exit_with(0);
}
