# cmake -DEMU=vmlab -DGUEST=x.elf -DNAME=<guest name> [-DARGS=a;b] -P run_guest_kvm.cmake
# A guest test on --backend kvm (see guests.cmake). Prints "SKIPPED: <reason>" instead of
# running when the host cannot run it; otherwise the pass rule of tests/guests/run_guest.cmake.
include(${CMAKE_CURRENT_LIST_DIR}/kvm_usable.cmake)
if(KVM_SKIP_REASON)
  message("SKIPPED: ${KVM_SKIP_REASON}")
  return()
endif()

# kvm-pvm (a software KVM: guest ring 3 runs natively on the host, guest ring 0 is emulated by
# the host kernel) cannot run these guests. Checked against qemu-system-i386 -accel kvm on
# the same guests; details in docs/kvm.md, "What this host's KVM cannot run".
set(pvm_paging "kvm-pvm has no 32-bit paging: MOV to CR0 with PG=1 raises #GP(0) (QEMU -accel kvm stops at the same instruction)")
set(pvm_ring3_int "kvm-pvm runs guest ring 3 natively and turns INT n from ring 3 into #UD, so ring 3 never returns to the guest kernel")
set(pvm_fninit "kvm-pvm emulates a ring-0 FNINIT/FNSTCW/FNSTSW on the VMM thread's FPU instead of the guest's, so the guest's x87 control word stays at its RESET value 0x0040 (all exceptions unmasked) and x87 results go wrong or raise #MF")
set(pvm_limited
  paging "${pvm_paging}"
  rep_movs_fault "${pvm_paging}"
  bench_mem_paging "${pvm_paging}"
  exceptions "${pvm_ring3_int} (INT 0x31 at CPL 3 gives #UD, not #GP), and ${pvm_paging}"
  privilege "${pvm_ring3_int}: call gates and INT gates from ring 3 fail"
  io_bitmap "kvm-pvm ignores the guest's TSS I/O permission bitmap and IOPL at ring 3: allowed ports raise #GP, and ${pvm_ring3_int}"
  v86 "kvm-pvm cannot run virtual-8086 mode natively under its 64-bit host: the V86 code never runs"
  task_switch "kvm-pvm's ring-0 emulator does not deliver #DF through a task gate (JMP/CALL/IRET task switches work through the interpreter fallback)"
  x87_table "${pvm_fninit}"
  x87_lazy "${pvm_fninit}"
  x87_save "${pvm_fninit}"
  sti_shadow "kvm-pvm opens the interrupt window vmlab asks for (request_interrupt_window, IRQ 0 pending at STI) late: the interrupt came 45 to 339 loop rounds after STI's one-instruction shadow (measured 2026-11-24; the interpreter, bt and QEMU TCG take it at once)")
if(EXISTS /sys/module/kvm_pvm)
  list(FIND pvm_limited "${NAME}" at)
  if(at GREATER_EQUAL 0)
    math(EXPR at "${at} + 1")
    list(GET pvm_limited ${at} reason)
    message("SKIPPED: guest '${NAME}' on this kvm-pvm host: ${reason}")
    return()
  endif()
endif()

list(PREPEND ARGS --backend kvm)
include(${CMAKE_CURRENT_LIST_DIR}/../guests/run_guest.cmake)
