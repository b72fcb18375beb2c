# cmake -DVMLAB=<vmlab> -DWORK=<scratch dir> -DKERNEL=<test_bzimage.bin> -DINITRD=<initrd.bin>
#       -P syslinux.cmake
# Issue 6, acceptance 2: a real boot loader from Debian boots from a disk image built here.
# A 16 MiB FAT16 "superfloppy" gets SYSLINUX (Debian's syslinux, mtools, dosfstools: the
# installed ones, or fetched with `apt-get download` and unpacked, no root needed), a
# syslinux.cfg and the project's test kernel; vmlab boots it through its BIOS, SYSLINUX loads the
# kernel and initrd with the Linux boot protocol, and the kernel checks what it got.
# Prints "SKIP: <reason>" (the test's skip pattern) when the tools cannot be had, e.g. offline.
set(tools ${WORK}/syslinux-debs/root)
find_program(SYSLINUX syslinux)
find_program(MCOPY mcopy)
find_program(MKFS_FAT mkfs.fat PATHS /sbin /usr/sbin)
if(NOT SYSLINUX OR NOT MCOPY OR NOT MKFS_FAT)
  if(NOT EXISTS ${tools}/usr/bin/syslinux)
    file(MAKE_DIRECTORY ${WORK}/syslinux-debs)
    execute_process(COMMAND apt-get download syslinux mtools dosfstools
                    WORKING_DIRECTORY ${WORK}/syslinux-debs
                    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE why TIMEOUT 180)
    file(GLOB debs ${WORK}/syslinux-debs/*.deb)
    if(NOT rc EQUAL 0 OR NOT debs)
      message("SKIP: syslinux/mtools/dosfstools are not installed and 'apt-get download' failed: ${why}")
      return()
    endif()
    foreach(deb ${debs})
      execute_process(COMMAND dpkg-deb -x ${deb} ${tools})
    endforeach()
  endif()
  set(SYSLINUX ${tools}/usr/bin/syslinux)
  set(MCOPY ${tools}/usr/bin/mcopy)
  set(MKFS_FAT ${tools}/sbin/mkfs.fat)
  set(ENV{PATH} "${tools}/usr/bin:$ENV{PATH}")  # the syslinux installer runs mtools commands
endif()
set(ENV{MTOOLS_SKIP_CHECK} 1)

set(img ${WORK}/syslinux.img)
file(REMOVE ${img})
file(WRITE ${WORK}/syslinux.cfg
  "DEFAULT test\nPROMPT 0\nTIMEOUT 0\nSERIAL 0 115200\nLABEL test\n"
  "  LINUX /test.bin\n  INITRD /initrd.bin\n  APPEND console=ttyS0 vmlab_test=42\n")
foreach(step
    "${MKFS_FAT};-C;-F;16;-n;VMLAB;${img};16384"
    "${SYSLINUX};--install;${img}"
    "${MCOPY};-i;${img};${WORK}/syslinux.cfg;::/syslinux.cfg"
    "${MCOPY};-i;${img};${KERNEL};::/test.bin"
    "${MCOPY};-i;${img};${INITRD};::/initrd.bin")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "building the disk image failed at '${step}': ${o}${e}")
  endif()
endforeach()

execute_process(
  COMMAND ${VMLAB} -drive file=${img},index=0,media=disk,format=raw -m 128 -display none
          -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120 INPUT_FILE /dev/null)
message("${out}")
if(NOT "${status}" STREQUAL "1")
  message(FATAL_ERROR "vmlab exited with '${status}' (1 = the test kernel passed): ${err}")
endif()
if(NOT out MATCHES "SYSLINUX" OR NOT out MATCHES "BOOT_IMAGE=/test.bin.*test_bzimage: PASS")
  message(FATAL_ERROR "SYSLINUX did not boot the test kernel")
endif()
