// Block -> host code (see translator.h). The emitted function mirrors the interpreter's loop
// (cpu/interpreter.cpp, run_insns_inline) instruction by instruction:
//
//   - EIP: r12d holds the block's first EIP; CpuState::eip is stored (r12 + the offset after the
//     instruction) before every handler call, as the loop does, and at the exit after inline
//     instructions. Inline instructions cannot fault, so nobody sees EIP in between.
//   - Retired instructions: counted at translation time and added to CpuState before a handler
//     call (a handler may read the count: RDTSC, the deterministic clock) and at every exit.
//   - A handler's kEipMoved (taken branch, REP slice) ends the block after it; any other fault
//     ends it on the faulting instruction (EIP put back there, *fault set); a code write by a
//     handler (run_end set to 0) ends it after that instruction.
//   - Which instructions are inline, which segments they use and whose flags are dead is
//     decided first (bt/block_plan.h). A block with inline memory accesses checks its segments
//     and #AC once where it starts (guard(): else it declines and the interpreter runs it);
//     then an access checks only its offset's wrap and a TLB entry of the right kind and
//     privilege holding every byte; if that fails, the instruction's handler runs instead, out
//     of line, and starts it over. Inline stores go through write TLB entries only, which exist
//     only for pages that are not code, so inline code never writes code.
//   - A block follows its chain links to the next block's host code itself (link()): after
//     inline code alone with the checks inline code could make fail, after a handler call with
//     all of run_chained's (may_link_after_handlers); see docs/bt.md.
#include "bt/translator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <xbyak/xbyak.h>

#include "bt/block_plan.h"
#include "cpu/fault.h"
#include "cpu/semantics/arith.h"
#include "cpu/vcpu.h"
#include "mmu/tlb.h"

namespace vmlab::bt {

using namespace cpu;
using Xbyak::Address;
using Xbyak::CodeGenerator;
using Xbyak::Label;
using Xbyak::Reg32;

CodeMemory::CodeMemory(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p != MAP_FAILED) {
    base_ = static_cast<uint8_t*>(p);
    size_ = bytes;
  }
}

CodeMemory::~CodeMemory() {
  if (base_) munmap(base_, size_);
}

void CodeMemory::commit(std::size_t bytes) {
  used_ += (bytes + 15) & ~std::size_t(15);
  if (used_ > size_) used_ = size_;
}

namespace {

// Where things are, as displacements from the Vcpu pointer the code receives in rbx. Measured
// on a real Vcpu (every Vcpu has the same layout).
struct Layout {
  int gpr, eip, eflags, result, aux, retired, cpl, cr0, tlb, attention;
  int seg_base[kNumSegRegs], seg_limit[kNumSegRegs], seg_attr[kNumSegRegs];
  explicit Layout(const Vcpu& v) {
    auto at = [&](const void* p) {
      return int(reinterpret_cast<const char*>(p) - reinterpret_cast<const char*>(&v));
    };
    const CpuState& s = v.s;
    gpr = at(&s.gpr[0]);
    eip = at(&s.eip);
    eflags = at(&s.eflags);
    result = at(&s.lazy.result);
    aux = at(&s.lazy.aux);
    retired = at(&s.instructions_retired);
    cpl = at(&s.cpl);
    cr0 = at(&s.cr0);
    tlb = at(&v.tlb.e[0][0][0]);
    attention = at(&v.attention);
    for (unsigned i = 0; i < kNumSegRegs; ++i) {
      seg_base[i] = at(&s.seg[i].base);
      seg_limit[i] = at(&s.seg[i].limit);
      seg_attr[i] = at(&s.seg[i].attr);
    }
  }
};

// What Interpreter::run_chained checks between blocks that only a handler can change, for a
// block that called one and would link: no code write (run_end 0: the generation moved, and
// this block may be retired), no TLB flush (the stamps the links are checked against moved),
// the same CPL and code size, and nothing for the dispatcher (an interrupt shadow, an NMI, HLT,
// TF, an interrupt a device now raises).
bool may_link_after_handlers(Vcpu* v, HostRun* run) {
  return run->run_end != 0 && v->tlb.epoch == run->tlb_epoch && code_mode(v->s) == run->mode &&
         !needs_dispatcher(*v);
}

// Bytes of the prologue that saves registers and takes the arguments; a block linked to is
// entered after them (push rbx, rbp, r12-r15: 10; sub rsp, 8: 4; three 64-bit moves: 9).
constexpr std::size_t kBodyOffset = 23;
constexpr int kTlbKindBytes = int(mmu::Tlb::kEntries * sizeof(mmu::TlbEntry));
static_assert(sizeof(mmu::TlbEntry) == 16, "the index scaling below assumes 16-byte entries");
static_assert(sizeof(Fault) == 8, "a handler's Fault comes back in rax");

class Emitter : public CodeGenerator {
 public:
  Emitter(std::size_t max, uint8_t* where, const Layout& lay) : CodeGenerator(max, where), L_(lay) {}

  // False: the prologue did not come out kBodyOffset bytes long (no block can be linked to).
  bool block(const Block& b, BlockTranslator::Stats& st) {
    push(rbx); push(rbp); push(r12); push(r13); push(r14); push(r15);
    sub(rsp, 8);  // 6 pushes + return address: 16-byte aligned calls; [rsp] = "a handler ran"
    mov(rbx, rdi);
    mov(rbp, rsi);
    mov(r14, rdx);
    // A linked block jumps here, with the registers above as they are.
    if (getSize() != kBodyOffset) return false;
    mov(r12d, dword[rbx + L_.eip]);
    mov(byte[rsp], 0);
    const std::size_t n = b.insns.size();
    const std::vector<Plan> plans = plan_block(b);
    for (std::size_t k = 0; k < n; ++k) segs_ |= segments_used(b.insns[k], plans[k].kind);
    if (segs_) {  // not in the state inline memory accesses assume: the interpreter runs it
      Label* declined = new_late_label();
      guard(*declined);
      late_.push_back([this, declined] {
        L(*declined);
        mov(rax, kHostCodeDeclined);
        jmp(epilogue_, T_NEAR);
      });
    }
    const std::vector<bool> dead = dead_flags(b, plans);
    uint32_t off = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const Insn& in = b.insns[k];
      const uint32_t start = off;
      off += in.len;
      const Plan p = plans[k];
      flags_dead_ = dead[k];
      if (flags_dead_) ++st.flags_skipped;
      if (p.kind == Kind::Call) {
        callout(in, k, start, off, k + 1 == n);
        ++st.insns_callout;
      } else {
        inline_insn(in, p, k, start, off);
        ++st.insns_inline;
      }
    }
    exit_with(n, off);
    // Out-of-line paths: slow paths of inline instructions, fault and stop exits.
    // A path may add paths (its handler call's exits): run each from a copy, as the vector grows.
    for (std::size_t k = 0; k < late_.size(); ++k) {
      const std::function<void()> emit = std::move(late_[k]);
      emit();
    }
    link(b);
    L(epilogue_);
    add(rsp, 8);
    pop(r15); pop(r14); pop(r13); pop(r12); pop(rbp); pop(rbx);
    ret();
    return true;
  }

  // Where the block's code ends with every instruction done (rax = the instructions it
  // consumed): follow one of b's chain links to the next block's host code, with the checks
  // Interpreter::run_chained makes. Inline code can change only the attention bits (other
  // threads), which link it needs (address), the CS limit and the budget: checked here. What
  // else run_chained checks (events, TF, IF and pending interrupts, the mode, code writes and
  // TLB flushes) changes only in handlers: after a handler call may_link_after_handlers checks
  // it too.
  void link(const Block& b) {
    L(link_);
    Label checked;
    cmp(byte[rsp], 0);
    je(checked, T_NEAR);
    mov(r13, rax);
    mov(rdi, rbx);
    mov(rsi, r14);
    mov(rax, reinterpret_cast<uintptr_t>(&may_link_after_handlers));
    call(rax);
    test(al, al);
    mov(rax, r13);
    jz(epilogue_, T_NEAR);
    L(checked);
    cmp(dword[rbx + L_.attention], 0);
    jne(epilogue_, T_NEAR);
    mov(ecx, dword[rbx + L_.eip]);
    add(ecx, dword[rbx + L_.seg_base[CS]]);  // the linear address of the next instruction
    mov(edx, dword[r14 + offsetof(HostRun, mode)]);
    mov(rsi, reinterpret_cast<uintptr_t>(&b.next[0]));
    Label found, second;
    for (int k = 0; k < 2; ++k) {
      Label& miss = k == 0 ? second : epilogue_;
      cmp(dword[rsi + offsetof(ChainLink, lin)], ecx);
      jne(miss, T_NEAR);
      cmp(dword[rsi + offsetof(ChainLink, mode)], edx);
      jne(miss, T_NEAR);
      mov(r8, qword[rsi + offsetof(ChainLink, stamp)]);
      cmp(r8, qword[r14 + offsetof(HostRun, stamp_all)]);
      je(found, T_NEAR);
      cmp(r8, qword[r14 + offsetof(HostRun, stamp_global)]);
      jne(miss, T_NEAR);
      jmp(found, T_NEAR);
      if (k == 0) {
        L(second);
        add(rsi, int(sizeof(ChainLink)));
      }
    }
    L(found);
    mov(edx, dword[rbx + L_.eip]);  // CS limit: EIP + span - 1 <= limit, in 64 bits
    mov(r8d, dword[rsi + offsetof(ChainLink, span)]);
    lea(rdx, ptr[rdx + r8 - 1]);
    mov(r8d, dword[rbx + L_.seg_limit[CS]]);
    cmp(rdx, r8);
    ja(epilogue_, T_NEAR);
    mov(rdx, qword[r14 + offsetof(HostRun, left)]);  // the next block must fit the budget whole
    sub(rdx, rax);
    mov(r8d, dword[rsi + offsetof(ChainLink, count)]);
    cmp(r8, rdx);
    ja(epilogue_, T_NEAR);
    mov(rdi, qword[rsi + offsetof(ChainLink, block)]);
    mov(r9, qword[rdi + block_host_offset(b)]);
    test(r9, r9);
    jz(epilogue_, T_NEAR);
    mov(qword[r14 + offsetof(HostRun, left)], rdx);
    add(qword[r14 + offsetof(HostRun, linked)], rax);
    mov(qword[r14 + offsetof(HostRun, last)], rdi);
    add(qword[r14 + offsetof(HostRun, links)], 1);
    add(r9, int(kBodyOffset));
    jmp(r9);
  }

  static int block_host_offset(const Block& b) {
    return int(reinterpret_cast<const char*>(&b.host) - reinterpret_cast<const char*>(&b));
  }

 private:
  const Layout& L_;
  Label epilogue_, link_;
  std::vector<std::function<void()>> late_;
  uint32_t segs_ = 0;     // segments (bit per register) that inline memory accesses use
  bool flags_dead_ = false;  // the instruction being emitted need not store its flags
  uint32_t pending_ = 0;  // instructions retired but not yet added to CpuState
  bool eip_stale_ = false;  // inline instructions ran since CpuState::eip was last stored

  Address gpr(unsigned r) { return dword[rbx + L_.gpr + int(r) * 4]; }
  Address gpr8(unsigned r) { return byte[rbx + L_.gpr + int(r & 3) * 4 + int(r >> 2)]; }
  // Register r as an operand of `bytes` (byte registers 4-7 are AH CH DH BH).
  Address reg_operand(unsigned r, unsigned bytes) {
    return bytes == 1 ? gpr8(r) : bytes == 2 ? word[rbx + L_.gpr + int(r) * 4] : gpr(r);
  }
  // The `bytes` at a host pointer.
  Address sized(const Xbyak::Reg64& base, unsigned bytes) {
    return bytes == 1 ? byte[base] : bytes == 2 ? word[base] : dword[base];
  }
  // MOV dst, src of `bytes` (not both memory) through al / ax / eax.
  void move(const Address& dst, const Address& src, unsigned bytes) {
    const Xbyak::Reg& a = bytes == 1 ? static_cast<const Xbyak::Reg&>(al)
                          : bytes == 2 ? static_cast<const Xbyak::Reg&>(ax)
                                       : static_cast<const Xbyak::Reg&>(eax);
    mov(a, src);
    mov(dst, a);
  }
  void load_zx(const Reg32& dst, const Address& a, unsigned bytes) {
    if (bytes == 1) movzx(dst, a);
    else mov(dst, a);
  }
  void store_sized(const Address& a, unsigned bytes) {  // eax's low `bytes`
    if (bytes == 1) mov(a, al);
    else mov(a, eax);
  }

  void add_retired(uint32_t n) {
    if (n) add(qword[rbx + L_.retired], n);
  }
  void store_eip(uint32_t off) {
    lea(eax, ptr[r12 + off]);
    mov(dword[rbx + L_.eip], eax);
  }
  // The state inline memory accesses are made for, checked where the block starts: every
  // segment in segs_ is a present, writable, expand-up data segment with a 4 GiB limit, and no
  // #AC is possible. Then an access needs only its offset's wrap past 4 GiB checked, besides the
  // TLB. Sets r15 = the TLB entries of the current privilege (user or supervisor). Else `fail`.
  // It holds for the whole block: what changes segments, CPL, CR0 or EFLAGS.AC at ring 3 is a
  // non-Plain instruction (cpu/decode/opcodes.def), and those end a decoded block.
  void guard(Label& fail) {
    for (unsigned sg = 0; sg < kNumSegRegs; ++sg) {
      if (!(segs_ & (1u << sg))) continue;
      movzx(ecx, word[rbx + L_.seg_attr[sg]]);
      and_(ecx, SEG_P | SEG_CODE | SEG_DC | SEG_RW);
      cmp(ecx, SEG_P | SEG_RW);
      jne(fail, T_NEAR);
      cmp(dword[rbx + L_.seg_limit[sg]], -1);
      jne(fail, T_NEAR);
    }
    Label supervisor, user;
    xor_(ecx, ecx);
    cmp(byte[rbx + L_.cpl], 3);
    jne(supervisor);
    test(dword[rbx + L_.cr0], CR0_AM);
    jz(user);
    test(dword[rbx + L_.eflags], AC);
    jnz(fail, T_NEAR);
    L(user);
    mov(ecx, 3 * kTlbKindBytes);
    L(supervisor);
    lea(r15, ptr[rbx + rcx + L_.tlb]);
  }

  // Leave after instruction k, a control transfer to the EIP in `target` (checked against the
  // CS limit already), with everything stored.
  void exit_to(const Reg32& target, std::size_t k) {
    mov(dword[rbx + L_.eip], target);
    add_retired(pending_ + 1);
    mov(eax, uint32_t(k + 1));
    jmp(link_, T_NEAR);
  }
  // eax = the branch target EIP of a relative transfer that ends at `end`; `slow` when it is past
  // the CS limit (the handler then raises #GP).
  void branch_target(const Insn& in, uint32_t end, Label& slow) {
    lea(eax, ptr[r12 + int32_t(end + in.imm)]);
    cmp(eax, dword[rbx + L_.seg_limit[CS]]);
    ja(slow, T_NEAR);
  }
  // `slow` unless SS is a 32-bit stack (SS.B): then ESP needs no masking, as in the fast handlers.
  void need_stack32(Label& slow) {
    test(word[rbx + L_.seg_attr[SS]], SEG_DB);
    jz(slow, T_NEAR);
  }

  // Leave after `consumed` instructions with everything stored.
  void exit_with(std::size_t consumed, uint32_t off) {
    add_retired(pending_);
    if (eip_stale_) store_eip(off);
    mov(eax, uint32_t(consumed));
    jmp(link_, T_NEAR);
  }

  // Calls insn k's handler with CpuState as the interpreter's loop leaves it, then handles the
  // result as the loop does. `pend` retired instructions are added first. On success the code
  // goes on at the end (inline calls) or at `resume` after taking `pend` back (slow paths, so
  // that both paths reach the join with the same count pending).
  void call_handler(const Insn& in, std::size_t k, uint32_t start, uint32_t end, uint32_t pend,
                    bool last, Label* resume) {
    add_retired(pend);
    store_eip(end);
    mov(rdi, rbx);
    mov(rsi, reinterpret_cast<uintptr_t>(&in));
    mov(rax, reinterpret_cast<uintptr_t>(in.fn));
    call(rax);
    mov(byte[rsp], 1);  // a handler ran: link() checks what it may have changed
    Label* fault = new_late_label();
    cmp(al, kNoVector);
    jne(*fault, T_NEAR);
    late_.push_back([this, fault, k, start] {
      L(*fault);
      Label real;
      cmp(al, kEipMovedVector);
      jne(real);
      add_retired(1);  // the loop counts the instruction and leaves after it
      mov(eax, uint32_t(k + 1));
      jmp(epilogue_, T_NEAR);
      L(real);
      mov(qword[rbp], rax);
      store_eip(start);
      mov(eax, uint32_t(k));
      jmp(epilogue_, T_NEAR);
    });
    if (!last) {  // a code write retired blocks (maybe this one): stop after this instruction
      Label* stop = new_late_label();
      cmp(qword[r14], 0);
      je(*stop, T_NEAR);
      late_.push_back([this, stop, k] {
        L(*stop);
        add_retired(1);
        mov(eax, uint32_t(k + 1));
        jmp(epilogue_, T_NEAR);
      });
    }
    if (resume) {
      if (pend) sub(qword[rbx + L_.retired], pend);
      jmp(*resume, T_NEAR);
    }
  }

  std::vector<std::unique_ptr<Label>> labels_;
  Label* new_late_label() {
    labels_.push_back(std::make_unique<Label>());
    return labels_.back().get();
  }

  void callout(const Insn& in, std::size_t k, uint32_t start, uint32_t end, bool last) {
    call_handler(in, k, start, end, pending_, last, nullptr);
    pending_ = 1;
    eip_stale_ = false;
  }

  // An out-of-line handler call for insn k, joining at `join` with pending_ + 1 pending.
  Label* slow_path(const Insn& in, std::size_t k, uint32_t start, uint32_t end, Label* join) {
    Label* slow = new_late_label();
    const uint32_t pend = pending_;
    late_.push_back([this, &in, slow, k, start, end, pend, join] {
      L(*slow);
      call_handler(in, k, start, end, pend, false, join);
    });
    return slow;
  }

  // eax = the 32-bit offset of the memory operand.
  void effective_offset(const Insn& in) {
    const int32_t disp = int32_t(in.disp);
    const bool b = in.base != kNoReg, x = in.index != kNoReg;
    if (b) mov(eax, gpr(in.base));
    if (x) mov(ecx, gpr(in.index));
    if (b && x) lea(eax, ptr[rax + rcx * (1 << in.scale) + disp]);
    else if (b) { if (disp) add(eax, disp); }
    else if (x) lea(eax, ptr[rcx * (1 << in.scale) + disp]);
    else mov(eax, uint32_t(in.disp));
  }

  // rdx = host pointer of `size` bytes at seg:eax for access `kind`, or a jump to `slow`.
  // What the fast handlers' host_ptr checks, under guard(): the segment's checks hold already
  // (limit 4 GiB: only an offset whose last byte wraps past it is out), no #AC is possible,
  // and r15 points at this privilege's TLB entries. The compare of the last byte's page with the
  // tag of the first byte's slot checks both bytes' pages at once, as host_ptr's does.
  void host_pointer(unsigned sg, unsigned size, mmu::Access kind, Label& slow) {
    if (size > 1) {
      cmp(eax, uint32_t(0xFFFFFFFFu - (size - 1)));
      ja(slow, T_NEAR);
    }
    mov(edx, eax);
    add(edx, dword[rbx + L_.seg_base[sg]]);  // edx = linear address
    mov(esi, edx);
    shr(esi, 12);
    and_(esi, mmu::Tlb::kEntries - 1);
    shl(esi, 4);
    lea(ecx, ptr[rdx + size - 1]);
    and_(ecx, ~0xFFFu);
    const int at = int(unsigned(kind)) * kTlbKindBytes;
    cmp(ecx, dword[r15 + rsi + at + int(offsetof(mmu::TlbEntry, tag))]);
    jne(slow, T_NEAR);
    add(rdx, qword[r15 + rsi + at + int(offsetof(mmu::TlbEntry, addend))]);  // edx zero-extended
  }

  // ecx = 1 when condition cc holds (cc 10/11, parity, is never asked: those are handler calls).
  void condition(int cc) {
    const Address res = dword[rbx + L_.result], aux = dword[rbx + L_.aux];
    auto of = [&](const Reg32& r) {  // r = aux[31] ^ aux[30]
      mov(r, aux);
      mov(r8d, r);
      shl(r8d, 1);
      xor_(r, r8d);
      shr(r, 31);
    };
    auto sf = [&](const Reg32& r) {  // r = result[31] ^ aux[0]
      mov(r, res);
      shr(r, 31);
      mov(r8d, aux);
      xor_(r, r8d);
      and_(r, 1);
    };
    auto zf = [&](const Reg32& r) {
      xor_(r, r);
      cmp(res, 0);
      sete(r.cvt8());
    };
    switch (cc >> 1) {
      case 0: of(ecx); break;
      case 1: mov(ecx, aux); shr(ecx, 31); break;
      case 2: zf(ecx); break;
      case 3: mov(ecx, aux); shr(ecx, 31); zf(edx); or_(ecx, edx); break;
      case 4: sf(ecx); break;
      case 6: sf(ecx); of(edx); xor_(ecx, edx); break;
      case 7: sf(ecx); of(edx); xor_(ecx, edx); zf(edx); or_(ecx, edx); break;
      default: break;
    }
    if (cc & 1) xor_(ecx, 1);
  }

  // Lazy flags of r = a op b: r9d = a, r10d = b, eax = r on entry (operands and result zero-
  // extended from `bytes`); stores the flags as set_flags_add/sub/logic<T> do. Leaves rdx (a
  // memory operand's host pointer) and eax alone.
  void alu_flags(int op, unsigned bytes) {
    const Address res = dword[rbx + L_.result], aux = dword[rbx + L_.aux];
    if (bytes == 1) { movsx(ecx, al); mov(res, ecx); }
    else mov(res, eax);
    const bool add_like = op == sem::kAdd || op == sem::kAdc;
    if (add_like || op == sem::kSub || op == sem::kSbb || op == sem::kCmp) {
      if (add_like) {  // carries (a & b) | ((a | b) & ~r)
        mov(ecx, r9d); and_(ecx, r10d);
        mov(r8d, r9d); or_(r8d, r10d);
        mov(r11d, eax); not_(r11d); and_(r8d, r11d);
      } else {  // borrows (~a & b) | ((~a | b) & r)
        mov(ecx, r9d); not_(ecx);
        mov(r8d, ecx); and_(ecx, r10d);
        or_(r8d, r10d); and_(r8d, eax);
      }
      or_(ecx, r8d);
      if (bytes == 4) {
        and_(ecx, 0xC0000008u);
      } else {  // pack_carries<uint8_t>: carries 7 and 6 to aux 31 and 30 (nothing above bit 7)
        mov(r8d, ecx);
        and_(ecx, 8);
        shr(r8d, 6);
        shl(r8d, 30);
        or_(ecx, r8d);
      }
      mov(aux, ecx);
    } else {
      mov(aux, 0);
    }
  }

  // eax = r9d op r10d (zero-extended from `bytes`, and so is the result) with flags.
  void alu(int op, unsigned bytes = 4) {
    mov(eax, r9d);
    switch (op) {
      case sem::kAdd: add(eax, r10d); break;
      case sem::kAdc: mov(ecx, dword[rbx + L_.aux]); shr(ecx, 31); add(eax, r10d); add(eax, ecx); break;
      case sem::kSbb: mov(ecx, dword[rbx + L_.aux]); shr(ecx, 31); sub(eax, r10d); sub(eax, ecx); break;
      case sem::kSub: case sem::kCmp: sub(eax, r10d); break;
      case sem::kAnd: case sem::kTest: and_(eax, r10d); break;
      case sem::kOr: or_(eax, r10d); break;
      default: xor_(eax, r10d); break;
    }
    if (bytes == 1) movzx(eax, al);
    if (!flags_dead_) alu_flags(op, bytes);
  }

  // Flags after a rotate (ROL/ROR) of eax = r: CF and OF new, SF ZF PF AF kept, in
  // set_arith_flags' encoding, as update_flags(CF | OF) gives them.
  void rotate_flags(bool left) {
    const Address res = dword[rbx + L_.result], aux = dword[rbx + L_.aux];
    mov(r9d, res);
    mov(r10d, aux);
    mov(ecx, r9d); shr(ecx, 31); xor_(ecx, r10d); and_(ecx, 1);  // SF -> aux[0]
    mov(r8d, r10d); and_(r8d, 8); or_(ecx, r8d);                   // AF -> aux[3]
    mov(r8d, r10d); shr(r8d, 8); xor_(r8d, r9d); test(r8b, r8b);  // odd parity -> aux[8]
    setnp(r8b); movzx(r8d, r8b); shl(r8d, 8); or_(ecx, r8d);
    if (left) {  // CF = r[0]; CF ^ OF = r[31]
      mov(r8d, eax); shl(r8d, 31); or_(ecx, r8d);
      mov(r8d, eax); shr(r8d, 31); shl(r8d, 30); or_(ecx, r8d);
    } else {     // CF = r[31]; CF ^ OF = r[30]
      mov(r8d, eax); and_(r8d, 0xC0000000u); or_(ecx, r8d);
    }
    mov(aux, ecx);
    xor_(r8d, r8d); test(r9d, r9d); setnz(r8b); shl(r8d, 8);       // ZF: result 0, else 0x100
    mov(res, r8d);
  }

  static bool writes_back(int op) { return op != sem::kCmp && op != sem::kTest; }

  void inline_insn(const Insn& in, const Plan& p, std::size_t k, uint32_t start, uint32_t end) {
    // Out-of-line paths jump back here after the code is emitted: the label must outlive this.
    Label& join = *new_late_label();
    auto mem = [&](unsigned size, mmu::Access kind) {  // rdx = host pointer of the r/m operand
      effective_offset(in);
      host_pointer(in.seg, size, kind, *slow_path(in, k, start, end, &join));
    };
    switch (p.kind) {
      case Kind::Nop: break;
      case Kind::MovRR: {
        const unsigned dst = in.opcode & 2 ? in.reg : in.rm, src = in.opcode & 2 ? in.rm : in.reg;
        move(reg_operand(dst, p.bytes), reg_operand(src, p.bytes), p.bytes);
        break;
      }
      case Kind::MovRI: mov(gpr(in.opcode & 7), in.imm); break;
      case Kind::MovLoad:
        mem(p.bytes, mmu::Access::Read);
        move(reg_operand(in.reg, p.bytes), sized(rdx, p.bytes), p.bytes);
        break;
      case Kind::MovStore:
        mem(p.bytes, mmu::Access::Write);
        move(sized(rdx, p.bytes), reg_operand(in.reg, p.bytes), p.bytes);
        break;
      case Kind::MovStoreImm:
        mem(p.bytes, mmu::Access::Write);
        mov(sized(rdx, p.bytes), p.bytes == 4 ? in.imm : in.imm & ((1u << (8 * p.bytes)) - 1));
        break;
      case Kind::Lea: effective_offset(in); mov(gpr(in.reg), eax); break;
      case Kind::AluGE:  // reg = reg op r/m
        if (in.is_mem) { mem(p.bytes, mmu::Access::Read); load_zx(r10d, sized(rdx, p.bytes), p.bytes); }
        else load_zx(r10d, reg_operand(in.rm, p.bytes), p.bytes);
        load_zx(r9d, reg_operand(in.reg, p.bytes), p.bytes);
        alu(p.op, p.bytes);
        if (writes_back(p.op)) store_sized(reg_operand(in.reg, p.bytes), p.bytes);
        break;
      case Kind::AluEG:  // r/m = r/m op reg; a read-modify-write uses the write entry alone
      case Kind::AluEI:
        if (in.is_mem) {
          mem(p.bytes, writes_back(p.op) ? mmu::Access::Write : mmu::Access::Read);
          load_zx(r9d, sized(rdx, p.bytes), p.bytes);
        } else {
          load_zx(r9d, reg_operand(in.rm, p.bytes), p.bytes);
        }
        if (p.kind == Kind::AluEG) load_zx(r10d, reg_operand(in.reg, p.bytes), p.bytes);
        else mov(r10d, p.bytes == 1 ? in.imm & 0xFF : in.imm);
        alu(p.op, p.bytes);
        if (writes_back(p.op)) {
          if (in.is_mem) store_sized(sized(rdx, p.bytes), p.bytes);
          else store_sized(reg_operand(in.rm, p.bytes), p.bytes);
        }
        break;
      case Kind::AluAI:
        load_zx(r9d, reg_operand(EAX, p.bytes), p.bytes);
        mov(r10d, p.bytes == 1 ? in.imm & 0xFF : in.imm);
        alu(p.op, p.bytes);
        if (writes_back(p.op)) store_sized(reg_operand(EAX, p.bytes), p.bytes);
        break;
      case Kind::NotNeg:  // NOT: no flags; NEG: the flags of 0 - x
        if (in.is_mem) mem(4, mmu::Access::Write);
        if (p.op == 2) {
          if (in.is_mem) not_(dword[rdx]);
          else not_(gpr(in.rm));
          break;
        }
        xor_(r9d, r9d);
        if (in.is_mem) mov(r10d, dword[rdx]);
        else mov(r10d, gpr(in.rm));
        alu(sem::kSub);
        if (in.is_mem) mov(dword[rdx], eax);
        else mov(gpr(in.rm), eax);
        break;
      case Kind::IncDec: {  // flags of a +/- 1, then CF put back (set_flags_inc / _dec)
        // 40-4F name the register in the opcode; FF /0 /1 take an r/m operand.
        if (in.opcode == 0xFF && in.is_mem) mem(4, mmu::Access::Write);
        const Address operand = in.opcode != 0xFF ? gpr(in.opcode & 7)
                                : in.is_mem        ? dword[rdx]
                                                   : gpr(in.rm);
        mov(r9d, operand);
        mov(r10d, 1);
        mov(r13d, dword[rbx + L_.aux]);  // the old CF
        alu(p.op ? sem::kSub : sem::kAdd);
        mov(operand, eax);
        if (flags_dead_) break;
        mov(ecx, dword[rbx + L_.aux]);
        xor_(r13d, ecx);
        and_(r13d, 0x80000000u);  // CF changed: flip aux[31] and aux[30] (keeps OF)
        mov(edx, r13d);
        shr(edx, 1);
        or_(r13d, edx);
        xor_(ecx, r13d);
        mov(dword[rbx + L_.aux], ecx);
        break;
      }
      case Kind::Shift: {
        const unsigned cnt = (in.opcode == 0xD1 ? 1u : in.imm & 0xFF) & 31;
        if (cnt == 0) break;  // nothing changes, flags included
        if (p.op <= 1) {  // ROL/ROR: CF and OF only
          mov(eax, gpr(in.rm));
          if (p.op == 0) rol(eax, uint8_t(cnt));
          else ror(eax, uint8_t(cnt));
          mov(gpr(in.rm), eax);
          rotate_flags(p.op == 0);
          break;
        }
        mov(eax, gpr(in.rm));
        mov(ecx, eax);
        if (p.op == 4 || p.op == 6) {  // SHL/SAL: CF = last bit out, OF = msb(r) ^ CF
          shr(ecx, 32 - cnt);
          and_(ecx, 1);
          shl(eax, cnt);
          mov(edx, eax);
          shr(edx, 31);
          shl(ecx, 31);
          shl(edx, 30);  // aux[30] = CF ^ OF = msb(r)
          or_(ecx, edx);
        } else if (p.op == 5) {  // SHR: OF = msb(x) for count 1, else 0
          if (cnt > 1) shr(ecx, cnt - 1);
          and_(ecx, 1);
          if (cnt == 1) { mov(edx, eax); shr(edx, 31); xor_(edx, ecx); }
          else mov(edx, ecx);
          shr(eax, cnt);
          shl(ecx, 31);
          shl(edx, 30);
          or_(ecx, edx);
        } else {  // SAR: OF = 0
          if (cnt > 1) sar(ecx, cnt - 1);
          and_(ecx, 1);
          mov(edx, ecx);
          sar(eax, cnt);
          shl(ecx, 31);
          shl(edx, 30);
          or_(ecx, edx);
        }
        mov(gpr(in.rm), eax);
        if (!flags_dead_) {
          mov(dword[rbx + L_.result], eax);
          mov(dword[rbx + L_.aux], ecx);
        }
        break;
      }
      case Kind::Imul:  // CF = OF = the product does not fit; aux = CF << 31
        if (in.is_mem) { mem(4, mmu::Access::Read); mov(r10d, dword[rdx]); }
        else mov(r10d, gpr(in.rm));
        mov(eax, gpr(in.reg));
        imul(eax, r10d);
        mov(gpr(in.reg), eax);
        if (!flags_dead_) {
          seto(cl);
          movzx(ecx, cl);
          shl(ecx, 31);
          mov(dword[rbx + L_.result], eax);
          mov(dword[rbx + L_.aux], ecx);
        }
        break;
      case Kind::Movx: {
        const unsigned bytes = p.op & 0xF;
        const bool sx = p.op & 0x10;
        if (in.is_mem) {
          mem(bytes, mmu::Access::Read);
          if (bytes == 1) { if (sx) movsx(eax, byte[rdx]); else movzx(eax, byte[rdx]); }
          else { if (sx) movsx(eax, word[rdx]); else movzx(eax, word[rdx]); }
        } else if (bytes == 1) {
          if (sx) movsx(eax, gpr8(in.rm)); else movzx(eax, gpr8(in.rm));
        } else {
          if (sx) movsx(eax, word[rbx + L_.gpr + int(in.rm) * 4]);
          else movzx(eax, word[rbx + L_.gpr + int(in.rm) * 4]);
        }
        mov(gpr(in.reg), eax);
        break;
      }
      case Kind::Cmov: {  // the source is read whatever the condition (and may fault)
        if ((p.op >> 1) == 5) { callout(in, k, start, end, false); return; }
        if (in.is_mem) { mem(4, mmu::Access::Read); mov(r10d, dword[rdx]); }
        else mov(r10d, gpr(in.rm));
        condition(p.op);
        Label no;
        test(ecx, ecx);
        jz(no);
        mov(gpr(in.reg), r10d);
        L(no);
        break;
      }
      case Kind::Setcc:
        if ((p.op >> 1) == 5) { callout(in, k, start, end, false); return; }
        condition(p.op);
        mov(gpr8(in.rm), cl);
        break;
      case Kind::Jcc: {  // taken with a 16-bit operand size (target wraps): the handler jumps
        if ((p.op >> 1) == 5) { callout(in, k, start, end, false); return; }
        Label* slow = slow_path(in, k, start, end, &join);
        condition(p.op);
        test(ecx, ecx);
        if (!in.op32) {
          jnz(*slow, T_NEAR);
          break;
        }
        Label* taken = new_late_label();
        jnz(*taken, T_NEAR);
        late_.push_back([this, &in, taken, slow, k, end, pend = pending_] {
          L(*taken);
          branch_target(in, end, *slow);
          const uint32_t keep = pending_;
          pending_ = pend;
          exit_to(eax, k);
          pending_ = keep;
        });
        break;
      }
      case Kind::Push:
      case Kind::PushImm: {  // PUSH ESP pushes the value before the push
        Label& slow = *slow_path(in, k, start, end, &join);
        need_stack32(slow);
        mov(eax, gpr(ESP));
        sub(eax, 4);
        host_pointer(SS, 4, mmu::Access::Write, slow);
        if (p.kind == Kind::Push) { mov(ecx, gpr(in.opcode & 7)); mov(dword[rdx], ecx); }
        else mov(dword[rdx], in.imm);
        mov(gpr(ESP), eax);
        break;
      }
      case Kind::Pop: {  // ESP moves first, so POP ESP leaves the popped value in ESP
        Label& slow = *slow_path(in, k, start, end, &join);
        need_stack32(slow);
        mov(eax, gpr(ESP));
        host_pointer(SS, 4, mmu::Access::Read, slow);
        mov(ecx, dword[rdx]);
        add(eax, 4);
        mov(gpr(ESP), eax);
        mov(gpr(in.opcode & 7), ecx);
        break;
      }
      case Kind::JmpRel:
      case Kind::CallRel:
      case Kind::Ret: {
        // The handler path (a check failed) sets EIP itself and joins below, for the block's end.
        Label& slow = *slow_path(in, k, start, end, &join);
        if (p.kind == Kind::JmpRel) {
          branch_target(in, end, slow);
          exit_to(eax, k);
        } else if (p.kind == Kind::CallRel) {
          need_stack32(slow);
          branch_target(in, end, slow);
          mov(eax, gpr(ESP));
          sub(eax, 4);
          host_pointer(SS, 4, mmu::Access::Write, slow);
          lea(ecx, ptr[r12 + int32_t(end)]);
          mov(dword[rdx], ecx);
          mov(gpr(ESP), eax);
          lea(eax, ptr[r12 + int32_t(end + in.imm)]);
          exit_to(eax, k);
        } else {
          need_stack32(slow);
          mov(eax, gpr(ESP));
          host_pointer(SS, 4, mmu::Access::Read, slow);
          mov(ecx, dword[rdx]);
          cmp(ecx, dword[rbx + L_.seg_limit[CS]]);
          ja(slow, T_NEAR);
          add(eax, 4);
          mov(gpr(ESP), eax);
          exit_to(ecx, k);
        }
        L(join);
        ++pending_;
        eip_stale_ = false;
        return;
      }
      case Kind::Call: break;
    }
    L(join);
    ++pending_;
    eip_stale_ = true;
  }
};

}  // namespace

Translator::Translator(std::size_t code_bytes) : mem_(code_bytes) {}

Translator::~Translator() {
  if (perf_map_) std::fclose(perf_map_);
}

bool Translator::write_perf_map() {
  if (!perf_map_) perf_map_ = std::fopen(fmt::format("/tmp/perf-{}.map", getpid()).c_str(), "a");
  return perf_map_ != nullptr;
}

void Translator::reset() {
  mem_.clear();
  full_ = false;
  stats_.code_bytes = 0;
  ++stats_.resets;
}

HostCode Translator::translate(const Vcpu& v, const Block& b) {
  if (full_ || !mem_.ok() || b.insns.empty()) return nullptr;
  // Worst case about 400 bytes an instruction; a block that does not fit ends the filling.
  const std::size_t budget = b.insns.size() * 512 + 256;
  if (mem_.left() < budget) {
    full_ = true;
    return nullptr;
  }
  static_assert(sizeof(void*) == 8);
  const Layout lay(v);
  try {
    Emitter e(budget, mem_.cursor(), lay);
    BlockTranslator::Stats st = stats_;
    if (!e.block(b, st)) return nullptr;
    auto code = reinterpret_cast<HostCode>(const_cast<uint8_t*>(e.getCode()));
    if (perf_map_) {  // code made after a reset reuses addresses: perf takes the latest name
      fmt::print(perf_map_, "{:x} {:x} bt_pa{:x}_{}insns\n", reinterpret_cast<uintptr_t>(e.getCode()),
                 e.getSize(), b.key >> 1, b.insns.size());
      std::fflush(perf_map_);  // perf reads it after vmlab exits, however vmlab exits
    }
    mem_.commit(e.getSize());
    stats_ = st;
    ++stats_.blocks;
    stats_.code_bytes = mem_.used();
    return code;
  } catch (const Xbyak::Error&) {
    full_ = true;  // did not fit after all: start over at the next flush
    return nullptr;
  }
}

}  // namespace vmlab::bt
