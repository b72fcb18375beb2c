// The lists behind decoder_capstone_test.cpp: how Capstone names what vmlab's opcode table calls
// a row, and every accepted disagreement between the two decoders with its reason. Entries of
// kKnownDecoderBugs are decoder bugs found by the cross-check and reported to the decoder's owner;
// the test prints how often each is hit. Remove an entry once its bug is fixed: the test then
// holds the fix in place. See docs/decoder_crosscheck.md.
#pragma once
#include <cstdint>
#include <vector>

namespace vmlab::cpu::xcheck {

// ---- mnemonic mapping: vmlab row name -> Capstone name ---------------------------------------

const char* const kCc[16] = {"o", "no", "b", "ae", "e", "ne", "be", "a",
                             "s", "ns", "p", "np", "l", "ge", "le", "g"};

// Where Capstone's name is not simply the row's mnemonic in lower case. Each entry says why.
struct NameRule {
  const char* vmlab;
  const char* cs16;  // name at 16-bit operand size (address size for by_addr)
  const char* cs32;  // name at 32-bit operand size
  bool by_addr;      // chosen by address size rather than operand size
  const char* why;
};
constexpr NameRule kNameRules[] = {
    {"MOVS", "movsw", "movsd", false, "SDM MOVSW/MOVSD: Capstone names the size"},
    {"CMPS", "cmpsw", "cmpsd", false, "SDM CMPSW/CMPSD"},
    {"STOS", "stosw", "stosd", false, "SDM STOSW/STOSD"},
    {"LODS", "lodsw", "lodsd", false, "SDM LODSW/LODSD"},
    {"SCAS", "scasw", "scasd", false, "SDM SCASW/SCASD"},
    {"INS", "insw", "insd", false, "SDM INSW/INSD"},
    {"OUTS", "outsw", "outsd", false, "SDM OUTSW/OUTSD"},
    {"PUSHA", "pushaw", "pushal", false, "Capstone uses the AT&T size suffixes for PUSHA/PUSHAD"},
    {"POPA", "popaw", "popal", false, "Capstone uses the AT&T size suffixes for POPA/POPAD"},
    {"PUSHF", "pushf", "pushfd", false, "SDM PUSHF/PUSHFD"},
    {"POPF", "popf", "popfd", false, "SDM POPF/POPFD"},
    {"CBW", "cbw", "cwde", false, "SDM CBW/CWDE"},
    {"CWD", "cwd", "cdq", false, "SDM CWD/CDQ"},
    {"IRET", "iret", "iretd", false, "SDM IRET/IRETD"},
    {"CALLF", "lcall", "lcall", false, "Capstone uses the AT&T name for far CALL"},
    {"JMPF", "ljmp", "ljmp", false, "Capstone uses the AT&T name for far JMP"},
    {"FWAIT", "wait", "wait", false, "SDM: WAIT/FWAIT are one opcode"},
    {"XLAT", "xlatb", "xlatb", false, "the operand-less form is XLATB"},
    {"ICEBP", "int1", "int1", false, "the SDM calls F1 INT1"},
    {"JCXZ", "jcxz", "jecxz", true, "SDM JCXZ/JECXZ, chosen by the address size"},
};

// Capstone 4.0.2 naming bugs: it picks the other size's name for these. The length is right.
struct NameQuirk {
  const char* vmlab;
  const char* cs_name;
  const char* why;
};
constexpr NameQuirk kNameQuirks[] = {
    {"CBW", "cwde", "Capstone 4 ignores 66 on 98 in 16-bit code, and when 66 is not the last prefix"},
    {"CWD", "cdq", "Capstone 4 ignores 66 on 99 in 16-bit code, and when 66 is not the last prefix"},
    {"JCXZ", "jecxz", "Capstone 4 reads 67 on E3 only when it is the last prefix"},
    {"JCXZ", "jcxz", "Capstone 4 reads 67 on E3 only when it is the last prefix"},
};

// ---- the difference lists -----------------------------------------------------------------

enum class Side : uint8_t {
  VmlabOnly,     // vmlab decodes it, Capstone rejects it (or decodes a later, non-i686 insn)
  CapstoneOnly,  // Capstone decodes an integer instruction, vmlab says #UD
  Name,          // both decode it with the same length under different names
  Length,        // both decode it, with different lengths (only ever a decoder bug entry)
  Operands,      // same length and name, different memory operand or immediate
};
enum class Form : uint8_t { Any, Reg, Mem };
constexpr uint8_t kAnyReg = 8;

struct Difference {
  Side side;
  uint8_t map, byte, reg;  // reg: ModRM.reg, or kAnyReg
  Form form;
  const char* reason;
};

// Cases where both decoders are right for their purpose, or the difference is harmless.
// "#UD at run time": vmlab decodes the form (so its length is known) and the handler raises #UD,
// which is what the CPU does; Capstone refuses to disassemble it.
constexpr Difference kKnownDifferences[] = {
    // Memory-only operands in register form: #UD on the CPU (SDM instruction pages).
    {Side::VmlabOnly, 0, 0x62, kAnyReg, Form::Reg, "BOUND Gv,Ma with a register: #UD at run time (bound)"},
    {Side::VmlabOnly, 0, 0x8D, kAnyReg, Form::Reg, "LEA Gv,M with a register: #UD at run time (lea)"},
    {Side::VmlabOnly, 0, 0xC4, kAnyReg, Form::Reg, "LES Gv,Mp with a register: #UD at run time (load_far_pointer)"},
    {Side::VmlabOnly, 0, 0xC5, kAnyReg, Form::Reg, "LDS Gv,Mp with a register: #UD at run time (load_far_pointer)"},
    {Side::VmlabOnly, 1, 0xB2, kAnyReg, Form::Reg, "LSS Gv,Mp with a register: #UD at run time (load_far_pointer)"},
    {Side::VmlabOnly, 1, 0xB4, kAnyReg, Form::Reg, "LFS Gv,Mp with a register: #UD at run time (load_far_pointer)"},
    {Side::VmlabOnly, 1, 0xB5, kAnyReg, Form::Reg, "LGS Gv,Mp with a register: #UD at run time (load_far_pointer)"},
    {Side::VmlabOnly, 0, 0xFF, 3, Form::Reg, "CALL FAR Mp with a register: #UD at run time (far_indirect)"},
    {Side::VmlabOnly, 0, 0xFF, 5, Form::Reg, "JMP FAR Mp with a register: #UD at run time (far_indirect)"},
    {Side::VmlabOnly, 1, 0xC7, 1, Form::Reg, "CMPXCHG8B Mq with a register: #UD at run time (cmpxchg8b)"},
    // 0F 01 register forms are later instructions (VMX, SGX, MONITOR/MWAIT, XGETBV, SWAPGS,
    // RDTSCP, ...) that a Pentium II does not have; Capstone rejects or names them.
    {Side::VmlabOnly, 1, 0x01, 0, Form::Reg, "SGDT with a register: #UD at run time on a P6 (sgdt_sidt)"},
    {Side::VmlabOnly, 1, 0x01, 1, Form::Reg, "SIDT with a register: #UD at run time on a P6 (sgdt_sidt)"},
    {Side::VmlabOnly, 1, 0x01, 2, Form::Reg, "LGDT with a register: #UD at run time on a P6 (lgdt_lidt)"},
    {Side::VmlabOnly, 1, 0x01, 3, Form::Reg, "LIDT with a register: #UD at run time on a P6 (lgdt_lidt)"},
    {Side::VmlabOnly, 1, 0x01, 7, Form::Reg, "INVLPG with a register: #UD at run time on a P6 (invlpg)"},
    {Side::Name, 1, 0x01, 0, Form::Reg, "Capstone names a post-P6 instruction (VMCALL...); #UD at run time here"},
    {Side::Name, 1, 0x01, 1, Form::Reg, "Capstone names a post-P6 instruction (MONITOR, ENCLS...); #UD at run time here"},
    {Side::Name, 1, 0x01, 2, Form::Reg, "Capstone names a post-P6 instruction (XGETBV, ENCLU...); #UD at run time here"},
    {Side::Name, 1, 0x01, 3, Form::Reg, "Capstone names a post-P6 instruction (VMRUN...); #UD at run time here"},
    {Side::Name, 1, 0x01, 7, Form::Reg, "Capstone names a post-P6 instruction (SWAPGS, RDTSCP); #UD at run time here"},
    // Segment register fields that name no segment register (6, 7): #UD at run time
    // (mov_E_sreg / mov_sreg_E); Capstone refuses them. (MOV CS,r/m is #UD too, Capstone accepts it.)
    {Side::VmlabOnly, 0, 0x8C, 6, Form::Any, "MOV Ev,Sw with Sw = 6: #UD at run time (mov_E_sreg)"},
    {Side::VmlabOnly, 0, 0x8C, 7, Form::Any, "MOV Ev,Sw with Sw = 7: #UD at run time (mov_E_sreg)"},
    {Side::VmlabOnly, 0, 0x8E, 6, Form::Any, "MOV Sw,Ew with Sw = 6: #UD at run time (mov_sreg_E)"},
    {Side::VmlabOnly, 0, 0x8E, 7, Form::Any, "MOV Sw,Ew with Sw = 7: #UD at run time (mov_sreg_E)"},
    // x87: vmlab decodes every ESC ModRM form (the length rule is uniform) and x87_escape decides;
    // Capstone has no name for reserved/undocumented x87 encodings (FSTP1, FNENI, D9 /1 mem...).
    {Side::VmlabOnly, 0, 0xD8, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    {Side::VmlabOnly, 0, 0xD9, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    {Side::VmlabOnly, 0, 0xDA, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    {Side::VmlabOnly, 0, 0xDB, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    {Side::VmlabOnly, 0, 0xDC, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    {Side::VmlabOnly, 0, 0xDD, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    {Side::VmlabOnly, 0, 0xDE, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    {Side::VmlabOnly, 0, 0xDF, kAnyReg, Form::Any, "x87 encoding Capstone does not name; x87_escape decides"},
    // Capstone 4.0.2 gaps: the hint NOPs 0F 18-1F (NOP Ev) with a register operand are valid
    // (SDM NOP; reserved-NOP space on P6), Capstone rejects most of them.
    {Side::VmlabOnly, 1, 0x18, kAnyReg, Form::Reg, "hint NOP 0F 18 with a register: Capstone 4 rejects it"},
    {Side::VmlabOnly, 1, 0x19, kAnyReg, Form::Reg, "hint NOP 0F 19 with a register: Capstone 4 rejects it"},
    {Side::VmlabOnly, 1, 0x1A, kAnyReg, Form::Reg, "hint NOP 0F 1A with a register: Capstone 4 rejects it"},
    {Side::VmlabOnly, 1, 0x1B, kAnyReg, Form::Reg, "hint NOP 0F 1B with a register: Capstone 4 rejects it"},
    {Side::VmlabOnly, 1, 0x1C, kAnyReg, Form::Reg, "hint NOP 0F 1C with a register: Capstone 4 rejects it"},
    {Side::VmlabOnly, 1, 0x1D, kAnyReg, Form::Reg, "hint NOP 0F 1D with a register: Capstone 4 rejects it"},
    {Side::VmlabOnly, 1, 0x1E, kAnyReg, Form::Reg, "hint NOP 0F 1E with a register: Capstone 4 rejects it"},
    {Side::VmlabOnly, 1, 0x1F, kAnyReg, Form::Reg, "NOP Ev with a register: Capstone 4 rejects it"},
    // MMX/SSE/SSE2 (opcodes_simd.def): one row per opcode decodes every ModRM form and every
    // mandatory prefix; cpu/simd raises #UD at run time for the forms that do not exist.
    {Side::VmlabOnly, 1, 0x13, kAnyReg, Form::Reg, "MOVLPS/MOVLPD Mq,Vq with a register: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0x17, kAnyReg, Form::Reg, "MOVHPS/MOVHPD Mq,Vq with a register: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0x2B, kAnyReg, Form::Reg, "MOVNTPS/MOVNTPD with a register: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0x50, kAnyReg, Form::Mem, "MOVMSKPS/PD with memory: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0x6C, kAnyReg, Form::Any, "PUNPCKLQDQ without 66 (no MMX form): #UD at run time (simd_int)"},
    {Side::VmlabOnly, 1, 0x6D, kAnyReg, Form::Any, "PUNPCKHQDQ without 66 (no MMX form): #UD at run time (simd_int)"},
    {Side::VmlabOnly, 1, 0x71, kAnyReg, Form::Mem, "MMX/SSE2 shift-by-immediate with memory: #UD at run time (simd_int)"},
    {Side::VmlabOnly, 1, 0x72, kAnyReg, Form::Mem, "MMX/SSE2 shift-by-immediate with memory: #UD at run time (simd_int)"},
    {Side::VmlabOnly, 1, 0x73, kAnyReg, Form::Mem, "MMX/SSE2 shift-by-immediate with memory: #UD at run time (simd_int)"},
    {Side::VmlabOnly, 1, 0x73, 3, Form::Reg, "PSRLDQ without 66 (no MMX form): #UD at run time (simd_int)"},
    {Side::VmlabOnly, 1, 0x73, 7, Form::Reg, "PSLLDQ without 66 (no MMX form): #UD at run time (simd_int)"},
    {Side::VmlabOnly, 1, 0xAE, 0, Form::Reg, "FXSAVE with a register: #UD at run time (x87 fxsave)"},
    {Side::VmlabOnly, 1, 0xAE, 1, Form::Reg, "FXRSTOR with a register: #UD at run time (x87 fxrstor)"},
    {Side::VmlabOnly, 1, 0xAE, 2, Form::Reg, "LDMXCSR with a register: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xAE, 3, Form::Reg, "STMXCSR with a register: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xAE, 5, Form::Reg, "LFENCE with ModRM.rm != 0: the CPU ignores rm, Capstone wants E8"},
    {Side::VmlabOnly, 1, 0xAE, 6, Form::Reg, "MFENCE with ModRM.rm != 0: the CPU ignores rm, Capstone wants F0"},
    {Side::VmlabOnly, 1, 0xAE, 7, Form::Reg, "SFENCE with ModRM.rm != 0: the CPU ignores rm, Capstone wants F8"},
    {Side::Name, 1, 0xAE, 5, Form::Mem, "0F AE /5 memory is XRSTOR (post-P6): #UD at run time (simd_move)"},
    {Side::Name, 1, 0xAE, 6, Form::Mem, "0F AE /6 memory is XSAVEOPT (post-P6): #UD at run time (simd_move)"},
    {Side::Name, 1, 0xAE, 7, Form::Any, "66 0F AE /7 is CLFLUSHOPT/PCOMMIT (post-P6): #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xC3, kAnyReg, Form::Reg, "MOVNTI with a register: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xC5, kAnyReg, Form::Mem, "PEXTRW with memory (SSE4.1 form only with 66 0F 3A): #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xD6, kAnyReg, Form::Any, "0F D6 without a prefix, or F3/F2 (MOVQ2DQ/MOVDQ2Q) with memory: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xE7, kAnyReg, Form::Reg, "MOVNTQ/MOVNTDQ with a register: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xD7, kAnyReg, Form::Mem, "PMOVMSKB with memory: #UD at run time (simd_move)"},
    {Side::VmlabOnly, 1, 0xE6, kAnyReg, Form::Any, "0F E6 without a prefix has no form: #UD at run time (simd_cvt)"},
    {Side::VmlabOnly, 1, 0xF7, kAnyReg, Form::Mem, "MASKMOVQ/MASKMOVDQU with memory: #UD at run time (simd_move)"},
    // Instructions newer than the modelled Pentium II (or from other vendors): #UD on it, so
    // vmlab is right to refuse them. Capstone decodes every x86 extension it knows.
    {Side::CapstoneOnly, 1, 0x05, kAnyReg, Form::Any, "SYSCALL: AMD only outside 64-bit mode; #UD on Intel P6"},
    {Side::CapstoneOnly, 1, 0x07, kAnyReg, Form::Any, "SYSRET: AMD only outside 64-bit mode; #UD on Intel P6"},
    {Side::CapstoneOnly, 1, 0x0D, kAnyReg, Form::Any, "PREFETCHW (3DNow!, Intel since Broadwell): #UD on P6"},
    {Side::CapstoneOnly, 1, 0x37, kAnyReg, Form::Any, "GETSEC (SMX): #UD on P6"},
    {Side::CapstoneOnly, 1, 0x38, kAnyReg, Form::Any, "0F 38 three-byte map (MOVBE, ...): #UD on P6"},
    {Side::CapstoneOnly, 1, 0x3A, kAnyReg, Form::Any, "0F 3A three-byte map: #UD on P6"},
    {Side::CapstoneOnly, 1, 0xA6, kAnyReg, Form::Any, "VIA PadLock: #UD on Intel"},
    {Side::CapstoneOnly, 1, 0xA7, kAnyReg, Form::Any, "VIA PadLock (XCRYPT*): #UD on Intel"},
    {Side::CapstoneOnly, 1, 0xAE, kAnyReg, Form::Any, "0F AE /4 XSAVE and other post-SSE2 0F AE forms: #UD"},
    {Side::CapstoneOnly, 1, 0xB8, kAnyReg, Form::Any, "POPCNT (F3 0F B8): reserved (JMPE) on P6; #UD"},
    {Side::CapstoneOnly, 1, 0xB9, kAnyReg, Form::Any, "UD1: #UD on both; Capstone 4 names it UD2B (and misses its ModRM)"},
    {Side::CapstoneOnly, 1, 0xFF, kAnyReg, Form::Any, "UD0: #UD on both; Capstone names it"},
    {Side::CapstoneOnly, 1, 0xC7, 3, Form::Any, "XRSTORS: #UD on P6"},
    {Side::CapstoneOnly, 1, 0xC7, 4, Form::Any, "XSAVEC: #UD on P6"},
    {Side::CapstoneOnly, 1, 0xC7, 5, Form::Any, "XSAVES: #UD on P6"},
    {Side::CapstoneOnly, 1, 0xC7, 6, Form::Any, "RDRAND (and VMPTRLD): #UD on P6"},
    {Side::CapstoneOnly, 1, 0xC7, 7, Form::Any, "RDSEED (and VMPTRST): #UD on P6"},
    {Side::Name, 1, 0xBD, kAnyReg, Form::Any, "F3 0F BD is LZCNT on ABM CPUs; a P6 ignores the F3 and runs BSR"},
};

// LOCK legality is checked by vmlab (SDM "LOCK": #UD unless the form is a read-modify-write
// with a memory destination); Capstone 4 accepts a stray LOCK when F2/F3 come with it.
constexpr Difference kLockNotChecked = {Side::CapstoneOnly, 0, 0, kAnyReg, Form::Any,
    "illegal LOCK: #UD on the CPU and in vmlab; Capstone does not check LOCK legality"};

// Decoder bugs found by this test and reported to the decoder's owner. Each entry is counted
// and printed when hit; remove it once the decoder is fixed.
// (Empty: the one bug found so far, 0F 18-1F hint NOPs decoding as #UD, was fixed in
// opcodes.def.) Mark each entry "// decoder bug, reported:" with the bytes and the SDM reference.
inline const std::vector<Difference> kKnownDecoderBugs = {
};

// Capstone 4 takes an F2/F3 prefix as an SSE mandatory prefix that swallows 66/67 even on
// integer instructions: "66 F3 A7" comes out as CMPSD (32-bit) and "67 F2 E3" as JECXZ, and
// some moffs MOVs are refused. On the CPU, F2/F3 change neither operand nor address size.
constexpr Difference kRepConfusesCapstone = {Side::Name, 0, 0, kAnyReg, Form::Any,
    "66/67 together with F2/F3: Capstone 4 drops the size override; vmlab is unaffected by F2/F3 "
    "and Capstone agrees once F2/F3 are removed"};

}  // namespace vmlab::cpu::xcheck
