# cmake -DEMU=vmlab -DGUEST=guest_kvm_io_exits.elf -P check_io_exits.cmake
# The guest does 1000 OUTs to port 0x80: --stats on --backend kvm must show exactly 1000 KVM
# I/O exits on that port, and the guest must pass.
include(${CMAKE_CURRENT_LIST_DIR}/kvm_usable.cmake)
if(KVM_SKIP_REASON)
  message("SKIPPED: ${KVM_SKIP_REASON}")
  return()
endif()
execute_process(
  COMMAND ${EMU} --backend kvm -kernel ${GUEST} -display none -serial stdio --stats
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30 INPUT_FILE /dev/null)
message("${out}\n${err}")
if(NOT status EQUAL 1)
  message(FATAL_ERROR "exit status '${status}', expected 1 (guest passed)")
endif()
if(NOT err MATCHES "kvm\\.io_exits\\.port\\.0x0080 +1000\n")
  message(FATAL_ERROR "--stats does not show 1000 I/O exits on port 0x80")
endif()
if(NOT err MATCHES "io\\.port\\.0x0084\\.writes +64\n")
  message(FATAL_ERROR "--stats does not show the 64 string OUTs to port 0x84")
endif()
if(NOT out MATCHES "technique id 3")
  message(FATAL_ERROR "CPUID 0x40000001 does not report technique 3 (kvm)")
endif()
