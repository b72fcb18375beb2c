# cmake -DEMU=<vmlab or qemu-system-i386> -DIMAGES=<dir with boot.img, data.img> -DWORK=<scratch>
#       -P run_course_line.cmake
# Runs the course Makefile's line in a scratch directory holding fresh copies of boot.img and
# data.img (the line names them relative to the current directory, as a Makefile does).
#
# The line is the course's, unchanged, plus one option the harness needs to end the run with a
# verdict: `-device isa-debug-exit,iobase=0xf4,iosize=0x04`, through which the kernel exits
# (writing 0 -> exit status 1; a failure n -> 2n+1). Without it the guest could only halt, and
# the test would have to kill the emulator on a time-out and could not tell pass from hang.
# stdin is /dev/null: mon:stdio then sees end of input, which neither emulator treats as quit.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY_FILE ${IMAGES}/boot.img ${WORK}/boot.img)
file(COPY_FILE ${IMAGES}/data.img ${WORK}/data.img)
set(course_line
  -serial mon:stdio
  -drive file=data.img,index=1,media=disk,format=raw
  -drive file=boot.img,index=0,media=disk,format=raw
  -smp 2 -m 512 -nographic)
execute_process(
  COMMAND ${EMU} ${course_line} -device isa-debug-exit,iobase=0xf4,iosize=0x04
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60
  INPUT_FILE /dev/null)
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
if(NOT "${status}" STREQUAL "1")
  message(FATAL_ERROR "exit status '${status}', expected 1 (the kernel writes 0 to port 0xF4)")
endif()
# Every stage, in order: the boot sector's PIO load, the kernel's checks of both disks.
set(expect
  "boot: loading the kernel by IDE PIO.*kernel: loaded at 0x8000.*"
  "data disk: 300 sectors read in 3 commands, every dword checked.*"
  "slave LBA 257 and master LBA 0 read back correctly.*"
  "read past the end of the data disk fails with ERR.*course_makefile: PASS")
string(JOIN "" regex ${expect})
if(NOT "${out}" MATCHES "${regex}")
  message(FATAL_ERROR "the serial output does not match '${regex}'")
endif()
