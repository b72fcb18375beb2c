/* The x87 result table shared by the host generator (gen.c, run on the host CPU at build time)
 * and the guest (main.c, run on vmlab): the same case list and the same inline-asm runner, so
 * the expected values come from real x87 hardware. Compiles as host C (x86-64) and as guest C
 * (i686, -mgeneral-regs-only: every operand is in memory, no float types are used).
 *
 * A case loads b then a (ST0 = a, ST1 = b) with the default control word, loads the case's
 * control word, runs one instruction and dumps everything with FNSAVE (non-waiting, so even an
 * unmasked exception never traps). The digest keeps FSW, the full tag word, ST0-ST2 when not
 * empty, the memory operand and the FCOMI flags, hashed with FNV-1a. */
#pragma once
#include <stdint.h>

struct x87_val {
  uint64_t m;   /* mantissa, explicit integer bit at 63 */
  uint16_t se;  /* sign and biased exponent */
  uint16_t pad[3];
};

/* Operand values: zeros, ordinary numbers, rounding-sensitive ones, overflow/underflow
 * producers, a denormal, infinities, NaNs and an unsupported (unnormal) encoding. */
static const struct x87_val x87_vals[] = {
    {0, 0x0000, {0}},                            /* +0 */
    {0, 0x8000, {0}},                            /* -0 */
    {0x8000000000000000ull, 0x3FFF, {0}},        /* 1 */
    {0xA000000000000000ull, 0xC000, {0}},        /* -2.5 */
    {0xC000000000000000ull, 0x4000, {0}},        /* 3 */
    {0xC90FDAA22168C235ull, 0x4000, {0}},        /* pi */
    {0xAAAAAAAAAAAAAAABull, 0x3FFD, {0}},        /* 1/3 */
    {0x8000000000000001ull, 0x7E7F, {0}},        /* huge: products overflow */
    {0x8000000000000003ull, 0x0001, {0}},        /* smallest normal range: underflow */
    {0x0000000012345678ull, 0x0000, {0}},        /* denormal */
    {0x8000000000000000ull, 0x7FFF, {0}},        /* +inf */
    {0xC000000000001234ull, 0xFFFF, {0}},        /* -QNaN with payload */
    {0x8000000000005678ull, 0x7FFF, {0}},        /* SNaN */
    {0x9502F90000000000ull, 0xC020, {0}},        /* -1e10 */
    {0x8000000000000801ull, 0x3FFF, {0}},        /* 1 + 2^-52 + 2^-63: rounds differently per PC */
    {0x4000000000000000ull, 0x4001, {0}},        /* unnormal: unsupported format */
    {0x8000000000000000ull, 0x3FFE, {0}},        /* 0.5 */
    {0xC000000000000000ull, 0xBFFE, {0}},        /* -0.75 */
    {0xDE0B6B3A76400000ull, 0x403A, {0}},        /* 1e18 */
    {0x8000000000000000ull, 0x403E, {0}},        /* 2^63 */
    {0xC90FDAA22168C235ull, 0x3FFE, {0}},        /* pi/4 */
    {0xABCC77118461CEFDull, 0x3FDD, {0}},        /* 1e-10 */
    {0xFFFFFFFFFFFFFFFFull, 0x4007, {0}},        /* 511.99999... */
    {0xC350000000000000ull, 0x400E, {0}},        /* 50000 */
};
#define X87_NVALS (sizeof(x87_vals) / sizeof(x87_vals[0]))
#define X87_NPAIR 16 /* binary operations use the first 16 values for both operands */

/* Control words: RC nearest/down/up/chop at 64-bit precision, PC 24 and 53, all unmasked, and
 * IE/DE/ZE unmasked. */
static const uint16_t x87_cws[] = {0x037F, 0x077F, 0x0B7F, 0x0F7F, 0x007F, 0x027F, 0x0360, 0x0378};
#define X87_NCW (sizeof(x87_cws) / sizeof(x87_cws[0]))

enum x87_op {
  /* binary: ST0 = a, ST1 = b */
  OP_FADD, OP_FSUB, OP_FSUBR, OP_FMUL, OP_FDIV, OP_FDIVR, OP_FPREM, OP_FPREM1, OP_FSCALE,
  OP_FPATAN, OP_FYL2X, OP_FYL2XP1, OP_FCOM, OP_FUCOMPP, OP_FCOMI, OP_FUCOMIP,
  OP_FADDP_ST2, OP_FSUBP_ST1, OP_FDIVRP_ST1,
  X87_NBINARY,
  /* unary on a (b below it) */
  OP_FSQRT = X87_NBINARY, OP_FSIN, OP_FCOS, OP_FSINCOS, OP_FPTAN, OP_F2XM1, OP_FRNDINT,
  OP_FXTRACT, OP_FTST, OP_FXAM, OP_FCHS, OP_FABS,
  /* stores of a */
  OP_FIST16, OP_FIST32, OP_FISTP64, OP_FBSTP, OP_FST32, OP_FST64, OP_FSTP80,
  /* memory operand built from a's bits: loads and ST0(b... a) op memory */
  OP_FLD32, OP_FLD64, OP_FILD16, OP_FILD32, OP_FILD64, OP_FBLD, OP_FADD32, OP_FMUL64,
  OP_FIDIV16, OP_FISUBR32, OP_FCOM32, OP_FICOMP16,
  X87_NOPS
};
static const char *const x87_op_names[] = {
    "fadd", "fsub", "fsubr", "fmul", "fdiv", "fdivr", "fprem", "fprem1", "fscale", "fpatan",
    "fyl2x", "fyl2xp1", "fcom", "fucompp", "fcomi", "fucomip", "faddp st2", "fsubp st1",
    "fdivrp st1", "fsqrt", "fsin", "fcos", "fsincos", "fptan", "f2xm1", "frndint", "fxtract",
    "ftst", "fxam", "fchs", "fabs", "fist m16", "fist m32", "fistp m64", "fbstp", "fst m32",
    "fst m64", "fstp m80", "fld m32", "fld m64", "fild m16", "fild m32", "fild m64", "fbld",
    "fadd m32", "fmul m64", "fidiv m16", "fisubr m32", "fcom m32", "ficomp m16"};

struct x87_case {
  unsigned op, a, b, cw;  /* indices into the tables */
};

#define X87_BINARY_CASES (X87_NBINARY * X87_NPAIR * X87_NPAIR * X87_NCW)
#define X87_OTHER_CASES ((X87_NOPS - X87_NBINARY) * X87_NVALS * X87_NCW)
#define X87_NCASES (X87_BINARY_CASES + X87_OTHER_CASES + 7 * 4)

/* Case n: binary ops over all pairs, then the one-operand ops over all values (b = 1.0), then
 * the seven constants in the four rounding modes (op = X87_NOPS + k). */
static inline struct x87_case x87_case_at(unsigned n) {
  struct x87_case c;
  if (n < X87_BINARY_CASES) {
    c.cw = n % X87_NCW; n /= X87_NCW;
    c.b = n % X87_NPAIR; n /= X87_NPAIR;
    c.a = n % X87_NPAIR; n /= X87_NPAIR;
    c.op = n;
    return c;
  }
  n -= X87_BINARY_CASES;
  if (n < X87_OTHER_CASES) {
    c.cw = n % X87_NCW; n /= X87_NCW;
    c.a = n % X87_NVALS; n /= X87_NVALS;
    c.b = 2;
    c.op = X87_NBINARY + n;
    return c;
  }
  n -= X87_OTHER_CASES;
  c.cw = n % 4;
  c.op = X87_NOPS + n / 4;
  c.a = c.b = 0;
  return c;
}

struct x87_out {
  uint8_t img[108];  /* FNSAVE, 32-bit layout */
  uint8_t mem[16];   /* memory operand (input for loads, output for stores) */
  uint8_t cf, zf, pf;
};

#define X87_RUN(OPS)                                                                         \
  __asm__ volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfldcw %[cw]\n\t" OPS                  \
                   "\n\tfnsave %[img]"                                                       \
                   : [img] "=m"(o->img), [mem] "+m"(o->mem), [cf] "=m"(o->cf),               \
                     [zf] "=m"(o->zf), [pf] "=m"(o->pf)                                      \
                   : [a] "m"(*a), [b] "m"(*b), [cw] "m"(cw)                                  \
                   : "cc")

static inline void x87_run(struct x87_case c, struct x87_out *o) {
  const struct x87_val *a = &x87_vals[c.a], *b = &x87_vals[c.b];
  const uint16_t cw = c.op >= X87_NOPS ? (uint16_t)(0x037F | (c.cw << 10)) : x87_cws[c.cw];
  unsigned k;
  for (k = 0; k < sizeof(o->mem); ++k) o->mem[k] = 0;
  for (k = 0; k < 8; ++k) o->mem[k] = (uint8_t)(a->m >> (8 * k));
  o->mem[8] = (uint8_t)a->se;
  o->mem[9] = (uint8_t)(a->se >> 8);
  o->cf = o->zf = o->pf = 0;
  switch (c.op) {
    case OP_FADD: X87_RUN("fadd %%st(1), %%st"); break;
    case OP_FSUB: X87_RUN("fsub %%st(1), %%st"); break;
    case OP_FSUBR: X87_RUN("fsubr %%st(1), %%st"); break;
    case OP_FMUL: X87_RUN("fmul %%st(1), %%st"); break;
    case OP_FDIV: X87_RUN("fdiv %%st(1), %%st"); break;
    case OP_FDIVR: X87_RUN("fdivr %%st(1), %%st"); break;
    case OP_FPREM: X87_RUN("fprem"); break;
    case OP_FPREM1: X87_RUN("fprem1"); break;
    case OP_FSCALE: X87_RUN("fscale"); break;
    case OP_FPATAN: X87_RUN("fpatan"); break;
    case OP_FYL2X: X87_RUN("fyl2x"); break;
    case OP_FYL2XP1: X87_RUN("fyl2xp1"); break;
    case OP_FCOM: X87_RUN("fcom %%st(1)"); break;
    case OP_FUCOMPP: X87_RUN("fucompp"); break;
    case OP_FCOMI: X87_RUN("fcomi %%st(1), %%st\n\tsetc %[cf]\n\tsetz %[zf]\n\tsetp %[pf]"); break;
    case OP_FUCOMIP: X87_RUN("fucomip %%st(1), %%st\n\tsetc %[cf]\n\tsetz %[zf]\n\tsetp %[pf]"); break;
    /* Encoded by hand: gas swaps the SUB/SUBR and DIV/DIVR names of the ST(i)-destination forms. */
    case OP_FADDP_ST2: X87_RUN(".byte 0xDE, 0xC2"); break;     /* FADDP ST(2), ST(0) */
    case OP_FSUBP_ST1: X87_RUN(".byte 0xDE, 0xE9"); break;     /* FSUBP ST(1), ST(0) */
    case OP_FDIVRP_ST1: X87_RUN(".byte 0xDE, 0xF1"); break;    /* FDIVRP ST(1), ST(0) */
    case OP_FSQRT: X87_RUN("fsqrt"); break;
    case OP_FSIN: X87_RUN("fsin"); break;
    case OP_FCOS: X87_RUN("fcos"); break;
    case OP_FSINCOS: X87_RUN("fsincos"); break;
    case OP_FPTAN: X87_RUN("fptan"); break;
    case OP_F2XM1: X87_RUN("f2xm1"); break;
    case OP_FRNDINT: X87_RUN("frndint"); break;
    case OP_FXTRACT: X87_RUN("fxtract"); break;
    case OP_FTST: X87_RUN("ftst"); break;
    case OP_FXAM: X87_RUN("fxam"); break;
    case OP_FCHS: X87_RUN("fchs"); break;
    case OP_FABS: X87_RUN("fabs"); break;
    case OP_FIST16: X87_RUN("fists %[mem]"); break;
    case OP_FIST32: X87_RUN("fistl %[mem]"); break;
    case OP_FISTP64: X87_RUN("fistpll %[mem]"); break;
    case OP_FBSTP: X87_RUN("fbstp %[mem]"); break;
    case OP_FST32: X87_RUN("fsts %[mem]"); break;
    case OP_FST64: X87_RUN("fstl %[mem]"); break;
    case OP_FSTP80: X87_RUN("fstpt %[mem]"); break;
    case OP_FLD32: X87_RUN("flds %[mem]"); break;
    case OP_FLD64: X87_RUN("fldl %[mem]"); break;
    case OP_FILD16: X87_RUN("filds %[mem]"); break;
    case OP_FILD32: X87_RUN("fildl %[mem]"); break;
    case OP_FILD64: X87_RUN("fildll %[mem]"); break;
    case OP_FBLD: X87_RUN("fbld %[mem]"); break;
    case OP_FADD32: X87_RUN("fadds %[mem]"); break;
    case OP_FMUL64: X87_RUN("fmull %[mem]"); break;
    case OP_FIDIV16: X87_RUN("fidivs %[mem]"); break;
    case OP_FISUBR32: X87_RUN("fisubrl %[mem]"); break;
    case OP_FCOM32: X87_RUN("fcoms %[mem]"); break;
    case OP_FICOMP16: X87_RUN("ficomps %[mem]"); break;
    case X87_NOPS + 0: X87_RUN("fld1"); break;
    case X87_NOPS + 1: X87_RUN("fldl2t"); break;
    case X87_NOPS + 2: X87_RUN("fldl2e"); break;
    case X87_NOPS + 3: X87_RUN("fldpi"); break;
    case X87_NOPS + 4: X87_RUN("fldlg2"); break;
    case X87_NOPS + 5: X87_RUN("fldln2"); break;
    default: X87_RUN("fldz"); break;
  }
}

/* The comparable part of a result: FSW, tags, non-empty ST0-ST2, memory, FCOMI flags. */
struct x87_digest {
  uint8_t b[2 + 2 + 30 + 10 + 3];
};

static inline void x87_digest_of(const struct x87_out *o, struct x87_digest *d) {
  unsigned k, i;
  const unsigned fsw = o->img[4] | (o->img[5] << 8), ftw = o->img[8] | (o->img[9] << 8);
  const unsigned top = (fsw >> 11) & 7;
  for (k = 0; k < sizeof(d->b); ++k) d->b[k] = 0;
  d->b[0] = o->img[4]; d->b[1] = o->img[5];
  d->b[2] = o->img[8]; d->b[3] = o->img[9];
  for (i = 0; i < 3; ++i)
    if (((ftw >> (2 * ((top + i) & 7))) & 3) != 3)
      for (k = 0; k < 10; ++k) d->b[4 + 10 * i + k] = o->img[28 + 10 * i + k];
  for (k = 0; k < 10; ++k) d->b[34 + k] = o->mem[k];
  d->b[44] = o->cf; d->b[45] = o->zf; d->b[46] = o->pf;
}

static inline uint32_t x87_hash(const struct x87_digest *d) {
  uint32_t h = 2166136261u;
  unsigned k;
  for (k = 0; k < sizeof(d->b); ++k) h = (h ^ d->b[k]) * 16777619u;
  return h;
}
