# cmake -DEMU=<vmlab or qemu-system-i386> -DIMAGE=<disk.img> -DCOPY=<scratch copy> [-DARGS=a;b]
#       [-DDRIVE=drive|hda|cdrom|none] [-DEXPECT=1] [-DEXPECT_REGEX=re] [-DINPUT=file for stdin]
#       -P run_disk_guest.cmake
# Boots a disk image through the firmware and checks the exit status and the serial output.
# The guest writes to its disk, so it runs on a fresh copy of the image every time.
if(NOT DEFINED EXPECT)
  set(EXPECT 1)
endif()
if(NOT DEFINED INPUT OR INPUT STREQUAL "")
  set(INPUT /dev/null)
endif()
if(NOT DEFINED DRIVE)
  set(DRIVE drive)
endif()
set(disk_args "")
if(DRIVE STREQUAL "drive")
  file(COPY_FILE ${IMAGE} ${COPY})
  set(disk_args -drive file=${COPY},index=0,media=disk,format=raw)
elseif(DRIVE STREQUAL "cdrom")
  set(disk_args -cdrom ${IMAGE} -boot d)
elseif(DRIVE STREQUAL "hda")
  file(COPY_FILE ${IMAGE} ${COPY})
  set(disk_args -hda ${COPY})
endif()
execute_process(
  COMMAND ${EMU} ${disk_args} -display none -serial stdio
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot ${ARGS}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60
  INPUT_FILE ${INPUT})
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
if(NOT "${status}" STREQUAL "${EXPECT}")
  message(FATAL_ERROR "exit status '${status}', expected ${EXPECT}")
endif()
if(DEFINED EXPECT_REGEX AND NOT "${out}" MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "the serial output does not match '${EXPECT_REGEX}'")
endif()
