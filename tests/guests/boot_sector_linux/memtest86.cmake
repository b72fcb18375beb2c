# cmake -DVMLAB=<vmlab> -DWORK=<scratch dir> -P memtest86.cmake
# Issue 6, acceptance 3: Debian's memtest86+ boots through vmlab's BIOS with the Linux boot
# protocol (its memtest86+ia32.bin is a bzImage) and starts its first test, shown on the serial
# console. Uses the installed package, or fetches it with `apt-get download` (no root needed);
# prints "SKIP: <reason>" (the test's skip pattern) when neither works, e.g. offline.
set(candidates /boot/memtest86+ia32.bin ${WORK}/memtest86/boot/memtest86+ia32.bin)
set(image "")
foreach(c ${candidates})
  if(EXISTS ${c})
    set(image ${c})
    break()
  endif()
endforeach()
if(NOT image)
  file(MAKE_DIRECTORY ${WORK}/memtest86)
  execute_process(COMMAND apt-get download memtest86+ WORKING_DIRECTORY ${WORK}/memtest86
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE why TIMEOUT 120)
  file(GLOB debs ${WORK}/memtest86/memtest86+_*.deb)
  if(NOT rc EQUAL 0 OR NOT debs)
    message("SKIP: memtest86+ is not installed and 'apt-get download memtest86+' failed: ${why}")
    return()
  endif()
  list(GET debs 0 deb)
  execute_process(COMMAND dpkg-deb -x ${deb} ${WORK}/memtest86 RESULT_VARIABLE rc)
  set(image ${WORK}/memtest86/boot/memtest86+ia32.bin)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${image})
    message("SKIP: the memtest86+ package has no boot/memtest86+ia32.bin")
    return()
  endif()
endif()
# About 300 million instructions bring memtest86+ to its first test; stop a little later (with
# --deterministic, so its TSC-timed delays are counted in instructions, not host time; with
# -DSMP=2, later still: the second CPU's first test).
set(LIMIT 400000000)
set(SMP_ARGS "")
if(SMP)
  set(LIMIT 1500000000)
  set(SMP_ARGS -smp ${SMP})
endif()
execute_process(
  COMMAND ${VMLAB} -kernel ${image} -append "console=ttyS0,115200" -m 64 -display none
          -serial stdio --deterministic --max-instructions ${LIMIT} ${SMP_ARGS}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120 INPUT_FILE /dev/null)
string(REGEX REPLACE "\e\\[[0-9;?]*[A-Za-z]" " " plain "${out}")
message("${plain}")
if(NOT "${status}" STREQUAL "0")
  message(FATAL_ERROR "vmlab exited with '${status}': ${err}")
endif()
if(NOT plain MATCHES "Memtest86\\+" OR NOT plain MATCHES "Address test")
  message(FATAL_ERROR "memtest86+ did not reach its first test on the serial console")
endif()
# With -smp 2 memtest86+ starts the AP from the MP/ACPI tables (INIT, STARTUP, STARTUP) and
# hands it tests: the status line then names core #1 or "All Cores".
if(SMP AND NOT plain MATCHES "Using: +(Core +#1|All +Cores)")
  message(FATAL_ERROR "memtest86+ with -smp ${SMP} never ran a test on the second CPU")
endif()
