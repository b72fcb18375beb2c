# KVM guest tests, included by tests/guests/CMakeLists.txt.
#
# vmlab_add_kvm_guest_test(name elf args): test guest_kvm_<name> boots the guest on
# --backend kvm with the same pass rule as guest_<name> (run_guest_kvm.cmake). It is reported
# as skipped, with the reason printed, when /dev/kvm is absent and, on a kvm-pvm host, for the
# guests that host's KVM cannot run (the reasons are listed in docs/kvm.md).
set(VMLAB_KVM_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})

function(vmlab_add_kvm_guest_test name elf args)
  add_test(NAME guest_kvm_${name}
    COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=${elf} "-DARGS=${args}"
            -DNAME=${name} -P ${VMLAB_KVM_TEST_DIR}/run_guest_kvm.cmake)
  set_tests_properties(guest_kvm_${name} PROPERTIES LABELS guest_kvm TIMEOUT 40
                       SKIP_REGULAR_EXPRESSION "SKIPPED:")
endfunction()

# The I/O-exit guest: 1000 OUTs to port 0x80 must show as 1000 KVM I/O exits on that port in
# --stats (issue #7, acceptance 4); on the interpreter it passes as an ordinary guest.
vmlab_add_guest(guest_kvm_io_exits ${VMLAB_KVM_TEST_DIR}/guest_io_exits/main.c)
add_test(NAME guest_kvm_io_exits_interp
  COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_kvm_io_exits>
          -P ${CMAKE_CURRENT_LIST_DIR}/../guests/run_guest.cmake)
set_tests_properties(guest_kvm_io_exits_interp PROPERTIES LABELS guest TIMEOUT 30)
add_test(NAME guest_kvm_io_exits_counted
  COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_kvm_io_exits>
          -P ${VMLAB_KVM_TEST_DIR}/check_io_exits.cmake)
set_tests_properties(guest_kvm_io_exits_counted PROPERTIES LABELS guest_kvm TIMEOUT 40
                     SKIP_REGULAR_EXPRESSION "SKIPPED:")

# -smp on kvm (docs/kvm.md, "SMP on kvm"): guest_smp on one host thread per vCPU (the default)
# and on the one-thread round-robin loop (--kvm-threads off); the ping-pong guest needs two
# vCPUs running at the same time to finish each phase within its limit_ms (it runs alone:
# another test hogging the 2-core host would take a vCPU thread's core). Its round-robin and
# interpreter runs check only that the exchanges complete.
vmlab_add_guest(guest_smp_pingpong ${VMLAB_KVM_TEST_DIR}/guest_smp_pingpong/main.c
                ${CMAKE_SOURCE_DIR}/tests/guests/smp/ap_boot.S)
target_include_directories(guest_smp_pingpong PRIVATE ${CMAKE_SOURCE_DIR}/tests/guests/smp)
vmlab_add_kvm_guest_test(smp $<TARGET_FILE:guest_smp> "-smp;4;-append;cpus=4")
vmlab_add_kvm_guest_test(smp_round_robin $<TARGET_FILE:guest_smp> "-smp;4;--kvm-threads;off;-append;cpus=4")
# The timed variant: a missed time limit alone (a busy host) gets two more runs.
add_test(NAME guest_kvm_smp_pingpong
  COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_smp_pingpong>
          "-DARGS=-smp;2;-append;rounds=1000 limit_ms=700" -DNAME=smp_pingpong
          "-DRETRY_IF_ONLY=limit_ms$" -P ${VMLAB_KVM_TEST_DIR}/run_guest_kvm.cmake)
set_tests_properties(guest_kvm_smp_pingpong PROPERTIES LABELS guest_kvm TIMEOUT 120 RUN_SERIAL TRUE
                     SKIP_REGULAR_EXPRESSION "SKIPPED:")
vmlab_add_kvm_guest_test(smp_pingpong_round_robin $<TARGET_FILE:guest_smp_pingpong> "-smp;2;--kvm-threads;off")
add_test(NAME guest_smp_pingpong_interp
  COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_smp_pingpong>
          "-DARGS=-smp;2;--deterministic" -P ${CMAKE_CURRENT_LIST_DIR}/../guests/run_guest.cmake)
set_tests_properties(guest_smp_pingpong_interp PROPERTIES LABELS guest TIMEOUT 30)
add_test(NAME guest_bt_smp_pingpong
  COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_smp_pingpong>
          "-DARGS=--backend;bt;--bt-hot-runs;1;-smp;2;--deterministic" -P ${CMAKE_CURRENT_LIST_DIR}/../guests/run_guest.cmake)
set_tests_properties(guest_bt_smp_pingpong PROPERTIES LABELS guest_bt TIMEOUT 30)

# --kvm-irqchip kernel (docs/kvm.md, "In-kernel irqchip"): KVM's 8259s, IOAPIC and local APICs.
# vmlab_add_kvm_irqchip_test(name script elf args [-Dvar=value...]): test guest_kvm_irqchip_<name>
# runs `script` on guest `elf` with vmlab arguments `args` after --backend kvm --kvm-irqchip
# kernel; SKIPPED without /dev/kvm or KVM_CAP_IRQCHIP.
function(vmlab_add_kvm_irqchip_test name script elf args)
  add_test(NAME guest_kvm_irqchip_${name}
    COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DSCRIPT=${script} -DGUEST=${elf}
            "-DARGS=${args}" ${ARGN} -P ${VMLAB_KVM_TEST_DIR}/run_kvm_irqchip.cmake)
  set_tests_properties(guest_kvm_irqchip_${name} PROPERTIES LABELS guest_kvm TIMEOUT 40
                       SKIP_REGULAR_EXPRESSION "SKIPPED:")
endfunction()
set(_run_guest ${CMAKE_SOURCE_DIR}/tests/guests/run_guest.cmake)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/kvm_irqchip_echo_input.txt "\nhello world q")
# The PIT (IRQ 0) and RTC (IRQ 8) through KVM's 8259 pair.
vmlab_add_kvm_irqchip_test(timer_irq ${_run_guest} $<TARGET_FILE:guest_timer_irq> "")
# COM1's receive interrupt (IRQ 4) through KVM's 8259: the piped text is echoed in upper case.
vmlab_add_kvm_irqchip_test(serial_echo ${CMAKE_SOURCE_DIR}/tests/guests/serial_echo/run_echo.cmake
  $<TARGET_FILE:guest_serial_echo> "-serial|stdio"
  -DINPUT=${CMAKE_CURRENT_BINARY_DIR}/kvm_irqchip_echo_input.txt -DEXPECT=1
  "-DREGEX=HELLO WORLD Q.*bye after 13 bytes, [1-9][0-9]* interrupts")
# INIT/STARTUP, IPIs and the PIT through KVM's IOAPIC (IRQ 0 on pin 2: the GSI routing) and
# local APICs, one host thread per vCPU.
vmlab_add_kvm_irqchip_test(smp ${_run_guest} $<TARGET_FILE:guest_smp> "-smp;4;-append;cpus=4")
# The ping-pong exchanges (memory, fixed IPIs waking HLT) complete; no time limit: the timing is
# guest_kvm_smp_pingpong's, and both depend on two idle host cores.
vmlab_add_kvm_irqchip_test(smp_pingpong ${_run_guest} $<TARGET_FILE:guest_smp_pingpong> "-smp;2")
# --stats: no injections, HLT or interrupt-window exits on the kernel irqchip; the opposite on user.
add_test(NAME guest_kvm_irqchip_stats
  COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_timer_irq>
          -P ${VMLAB_KVM_TEST_DIR}/check_irqchip_stats.cmake)
set_tests_properties(guest_kvm_irqchip_stats PROPERTIES LABELS guest_kvm TIMEOUT 60
                     SKIP_REGULAR_EXPRESSION "SKIPPED:")
