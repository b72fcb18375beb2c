/* Boot-time setup of the runtime: GDT (flat ring 0 and ring 3 segments, one TSS), IDT (all
 * 256 vectors lead to trap.S stubs), TR, the legacy PIC masked, then guest_main().
 *
 * GDT layout:  0 null | 0x08 ring-0 code | 0x10 ring-0 data | 0x1B ring-3 code |
 *              0x23 ring-3 data | 0x28 TSS | slots 6..31 free for tests. */
#include "rt.h"

uint64_t rt_gdt[GDT_ENTRIES] __attribute__((aligned(8)));
uint64_t rt_idt[256] __attribute__((aligned(8)));
struct tss_with_iomap rt_tss __attribute__((aligned(128)));
static const struct mb_info *mb_info_ptr;

/* Stacks: the user stack for rt_catch_user and the ring-0 stack TSS.ESP0 points to. */
uint8_t rt_user_stack[16384] __attribute__((aligned(16)));
uint8_t rt_kernel_stack[16384] __attribute__((aligned(16)));
__asm__(".globl rt_user_stack_top\n .set rt_user_stack_top, rt_user_stack + 16384\n"
        ".globl rt_kernel_stack_top\n .set rt_kernel_stack_top, rt_kernel_stack + 16384\n");

uint64_t rt_seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (uint64_t)(limit & 0xFFFF) | (uint64_t)(base & 0xFFFFFF) << 16 |
         (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xF) << 48 |
         (uint64_t)(flags & 0xF) << 52 | (uint64_t)(base >> 24) << 56;
}

uint64_t rt_gate_desc(uint32_t offset, uint16_t selector, uint8_t type_attr, uint8_t params) {
  return (uint64_t)(offset & 0xFFFF) | (uint64_t)selector << 16 | (uint64_t)(params & 0x1F) << 32 |
         (uint64_t)type_attr << 40 | (uint64_t)(offset >> 16) << 48;
}

void rt_gdt_set(int index, uint64_t desc) { rt_gdt[index] = desc; }
void rt_idt_set(int vector, uint64_t gate) { rt_idt[vector] = gate; }

void rt_idt_default(int vector, int dpl) {
  rt_idt[vector] = rt_gate_desc((uint32_t)(rt_stubs + 16 * vector), SEL_KCODE,
                                (uint8_t)(GATE_INT32 | ACC_DPL(dpl)), 0);
}

void rt_reload_segments(void) {
  __asm__ volatile(
      "ljmp %0, $1f\n1:\n"
      "mov %1, %%ds\n mov %1, %%es\n mov %1, %%fs\n mov %1, %%gs\n mov %1, %%ss\n" ::"i"(SEL_KCODE),
      "r"(SEL_KDATA)
      : "memory");
}

static void load_tables(void) {
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } gdtr = {sizeof rt_gdt - 1, (uint32_t)rt_gdt}, idtr = {sizeof rt_idt - 1, (uint32_t)rt_idt};
  __asm__ volatile("lgdt %0\n lidt %1" ::"m"(gdtr), "m"(idtr) : "memory");
  rt_reload_segments();
  __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

const char *rt_cmdline(void) {
  if (mb_info_ptr && (mb_info_ptr->flags & 4) && mb_info_ptr->cmdline)
    return (const char *)mb_info_ptr->cmdline;
  return "";
}

uint32_t rt_cmdline_u32(const char *key, uint32_t dflt) {
  const char *s = rt_cmdline();
  size_t klen = strlen(key);
  for (; *s; s++) {
    if ((s == rt_cmdline() || s[-1] == ' ') && !memcmp(s, key, klen) && s[klen] == '=') {
      uint32_t v = 0;
      for (s += klen + 1; *s >= '0' && *s <= '9'; s++) v = v * 10 + (uint32_t)(*s - '0');
      return v;
    }
  }
  return dflt;
}

void rt_start(uint32_t magic, const struct mb_info *mb) {
  mb_info_ptr = magic == 0x2BADB002 ? mb : 0;
  rt_gdt[1] = rt_seg_desc(0, 0xFFFFF, ACC_CODE, FLAGS_32 | FLAGS_4K);
  rt_gdt[2] = rt_seg_desc(0, 0xFFFFF, ACC_DATA, FLAGS_32 | FLAGS_4K);
  rt_gdt[3] = rt_seg_desc(0, 0xFFFFF, ACC_CODE | ACC_DPL(3), FLAGS_32 | FLAGS_4K);
  rt_gdt[4] = rt_seg_desc(0, 0xFFFFF, ACC_DATA | ACC_DPL(3), FLAGS_32 | FLAGS_4K);
  rt_tss.tss.ss0 = SEL_KDATA;
  rt_tss.tss.esp0 = (uint32_t)rt_kernel_stack_top;
  rt_tss.tss.iomap_base = sizeof(struct tss32);
  memset(rt_tss.iomap, 0xFF, sizeof rt_tss.iomap); /* every port denied to CPL > IOPL */
  rt_gdt[5] = rt_seg_desc((uint32_t)&rt_tss, sizeof rt_tss - 1, ACC_TSS32, 0);
  for (int v = 0; v < 256; v++) rt_idt_default(v, v == VEC_USER_EXIT ? 3 : 0);
  load_tables();
  /* Mask both 8259s: on QEMU the BIOS left the timer running; we never want IRQs. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
  if (magic != 0x2BADB002) printf("warning: multiboot magic is 0x%08x\n", magic);
  guest_main(mb_info_ptr);
  rt_finish();
}
