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
