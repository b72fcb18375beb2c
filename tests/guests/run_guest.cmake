# cmake -DEMU=<vmlab or qemu-system-i386> -DGUEST=<x.elf> [-DARGS=a;b] [-DEXPECT=1]
#       [-DTIMEOUT=25] [-DRETRY_IF_ONLY=<regex>] -P run_guest.cmake
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
# RETRY_IF_ONLY: for a guest that measures time on the host (a limit in ms). A run whose every
# FAIL line matches the regex only missed its time limit, which a busy host can cause, and runs
# again, three runs in all; any other failure counts at once.
set(attempts 1)
if(DEFINED RETRY_IF_ONLY)
  set(attempts 3)
endif()
foreach(attempt RANGE 1 ${attempts})
  execute_process(
    COMMAND ${EMU} -kernel ${GUEST} -display none -serial stdio
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot ${ARGS}
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${TIMEOUT}
    INPUT_FILE /dev/null)
  message("${out}")
  if(err)
    message("stderr:\n${err}")
  endif()
  if("${status}" STREQUAL "${EXPECT}" OR attempt EQUAL attempts)
    break()
  endif()
  string(REGEX MATCHALL "FAIL [^\n]*" fails "${out}")
  set(only_timing TRUE)
  if(NOT fails)
    set(only_timing FALSE)
  endif()
  foreach(f IN LISTS fails)
    if(NOT f MATCHES "${RETRY_IF_ONLY}")
      set(only_timing FALSE)
    endif()
  endforeach()
  if(NOT only_timing)
    break()
  endif()
  message("attempt ${attempt}: only the time limit was missed; running again")
endforeach()
if(NOT "${status}" STREQUAL "${EXPECT}")
  if("${status}" MATCHES "^[0-9]+$" AND (status GREATER 1) AND (status LESS 256))
    math(EXPR code "${status} >> 1")
    set(why "guest wrote failure code ${code} to port 0xf4")
  else()
    set(why "no result written to port 0xf4 (timeout, crash or halt)")
  endif()
  message(FATAL_ERROR "${GUEST}: exit status '${status}', expected ${EXPECT}: ${why}")
endif()
