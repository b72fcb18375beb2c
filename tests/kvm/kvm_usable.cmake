# include(kvm_usable.cmake) with EMU set: sets KVM_SKIP_REASON to why --backend kvm cannot run
# on this host ("" when it can). Absent /dev/kvm is decided without running anything; for the
# rest (no permission, an old or incomplete KVM) vmlab itself is asked, with the BIOS and an
# instruction limit so it stops after its first slice.
set(KVM_SKIP_REASON "")
if(NOT EXISTS /dev/kvm)
  set(KVM_SKIP_REASON "/dev/kvm is absent on this host, so --backend kvm cannot run here")
else()
  execute_process(
    COMMAND ${EMU} --backend kvm --max-instructions 1 -display none -serial null
    RESULT_VARIABLE probe_status OUTPUT_VARIABLE probe_out ERROR_VARIABLE probe_err TIMEOUT 20
    INPUT_FILE /dev/null)
  if(probe_err MATCHES "KVM is not available here \\(([^\n]*)\\); use")
    set(KVM_SKIP_REASON "KVM is not usable here: ${CMAKE_MATCH_1}")
  endif()
endif()
