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
vmlab_add_kvm_guest_test(smp $<TARGET_FILE:guest_smp> "-smp;4;-append;cpus=4")
vmlab_add_kvm_guest_test(smp_round_robin $<TARGET_FILE:guest_smp> "-smp;4;--kvm-threads;off;-append;cpus=4")
vmlab_add_kvm_guest_test(smp_pingpong $<TARGET_FILE:guest_smp_pingpong> "-smp;2;-append;rounds=1000 limit_ms=700")
set_tests_properties(guest_kvm_smp_pingpong PROPERTIES RUN_SERIAL TRUE)
vmlab_add_kvm_guest_test(smp_pingpong_round_robin $<TARGET_FILE:guest_smp_pingpong> "-smp;2;--kvm-threads;off")
add_test(NAME guest_smp_pingpong_interp
  COMMAND ${CMAKE_COMMAND} -DEMU=$<TARGET_FILE:vmlab> -DGUEST=$<TARGET_FILE:guest_smp_pingpong>
          "-DARGS=-smp;2;--deterministic" -P ${CMAKE_CURRENT_LIST_DIR}/../guests/run_guest.cmake)
set_tests_properties(guest_smp_pingpong_interp PROPERTIES LABELS guest TIMEOUT 30)
