# cmake -DEMU=vmlab -DBIOS=<SeaBIOS bios.bin> -DIMAGE=<disk> -DCOPY=<scratch> -DEXPECT_REGEX=re
#       [-DEXTRA=KVM;args...] -P run_seabios.cmake
# Boots IMAGE with `-bios BIOS` through tests/guests/boot_sector/run_disk_guest.cmake; prints
# "SKIPPED: <reason>" (the test's skip expression) when BIOS is absent or, with KVM first in
# EXTRA, when --backend kvm cannot run here.
if(NOT EXISTS "${BIOS}")
  message("SKIPPED: ${BIOS} is absent (Debian package seabios, installed with qemu-system-x86)")
  return()
endif()
set(extra "${EXTRA}")
list(FIND extra KVM kvm_at)
if(NOT kvm_at EQUAL -1)
  list(REMOVE_AT extra ${kvm_at})
  include(${CMAKE_CURRENT_LIST_DIR}/../../kvm/kvm_usable.cmake)
  if(NOT KVM_SKIP_REASON STREQUAL "")
    message("SKIPPED: ${KVM_SKIP_REASON}")
    return()
  endif()
endif()
set(DRIVE hda)
set(EXPECT 1)
set(ARGS -bios ${BIOS} ${extra})
include(${CMAKE_CURRENT_LIST_DIR}/../boot_sector/run_disk_guest.cmake)
