# cmake -DEMU=<vmlab or qemu-system-i386> -DGUEST=<x.elf> [-DARGS=a;b] [-DEXPECT=1]
#       [-DTIMEOUT=25] -P run_guest.cmake
# Boots the guest with the debug-exit device (and -no-reboot: a triple fault ends the run)
# and checks the exit status exactly: a guest that
# writes V to port 0xF4 makes the emulator exit with (V << 1) | 1, so pass (V = 0) is 1.
# Prints the guest's serial output (always, so ctest --output-on-failure shows it).
if(NOT DEFINED EXPECT)
  set(EXPECT 1)
endif()
if(NOT DEFINED TIMEOUT)
  set(TIMEOUT 25)
endif()
execute_process(
  COMMAND ${EMU} -kernel ${GUEST} -display none -serial stdio
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot ${ARGS}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${TIMEOUT}
  INPUT_FILE /dev/null)
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
if(NOT "${status}" STREQUAL "${EXPECT}")
  if("${status}" MATCHES "^[0-9]+$" AND (status GREATER 1) AND (status LESS 256))
    math(EXPR code "${status} >> 1")
    set(why "guest wrote failure code ${code} to port 0xf4")
  else()
    set(why "no result written to port 0xf4 (timeout, crash or halt)")
  endif()
  message(FATAL_ERROR "${GUEST}: exit status '${status}', expected ${EXPECT}: ${why}")
endif()
