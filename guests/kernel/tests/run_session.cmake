# cmake -DEMU=vmlab -DKERNEL=kernel.elf -DCHECKS=file [-DINPUT=file] [-DAPPEND_FILE=file]
#       [-DKVM=1] [-DNO_KERNEL=1] -P run_session.cmake
# Boots the teaching kernel headless with the serial port on stdio (stdin from INPUT, else
# /dev/null; kernel command line from APPEND_FILE: it holds ';', which CMake lists would
# split), lets the session run to `poweroff`, and passes when vmlab exits with status 0 and
# every line of CHECKS (a regular expression) matches the serial output.
# With KVM=1 it runs on --backend kvm, or prints "SKIPPED: <reason>" when that cannot work here.
# With NO_KERNEL=1 vmlab gets no guest at all: it must find the bundled kernel by itself.
if(KVM)
  if(NOT EXISTS /dev/kvm)
    message("SKIPPED: /dev/kvm is absent on this host, so --backend kvm cannot run here")
    return()
  endif()
  if(EXISTS /sys/module/kvm_pvm)
    message("SKIPPED: this host's KVM is kvm-pvm, which has no 32-bit paging (MOV to CR0 with PG=1 raises #GP(0)); the kernel needs paging (docs/kvm.md)")
    return()
  endif()
endif()
set(ARGS "")
if(APPEND_FILE)
  file(READ ${APPEND_FILE} append)
  string(STRIP "${append}" append)
  string(REPLACE ";" "\\;" append "${append}")   # one list element, semicolons and all
  set(ARGS -append "${append}")
endif()
if(KVM)
  list(PREPEND ARGS --backend kvm)
endif()
if(NOT INPUT)
  set(INPUT /dev/null)
endif()
# isa-debug-exit: a kernel panic writes 3 there (status 7), never a clean 0.
set(guest -kernel ${KERNEL})
if(NO_KERNEL)
  set(guest "")
endif()
execute_process(
  COMMAND ${EMU} ${guest} -display none -serial stdio
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot ${ARGS}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100
  INPUT_FILE ${INPUT})
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
if(KVM AND status EQUAL 2 AND err MATCHES "kvm")
  message("SKIPPED: vmlab cannot use --backend kvm here: ${err}")
  return()
endif()
set(failed "")
file(STRINGS ${CHECKS} checks)
foreach(re ${checks})
  if(NOT out MATCHES "${re}")
    string(APPEND failed "\n  missing: ${re}")
  endif()
endforeach()
if(NOT "${status}" STREQUAL "0")
  string(APPEND failed "\n  exit status '${status}', expected 0 (7 = kernel panic)")
endif()
if(failed)
  message(FATAL_ERROR "kernel session failed:${failed}")
endif()
