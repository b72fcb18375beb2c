# include(kvm_usable.cmake) with EMU set: sets KVM_SKIP_REASON to why --backend kvm cannot run
# on this host ("" when it can). Absent /dev/kvm is decided without running anything; for the
# rest (no permission, an old or incomplete KVM) vmlab itself is asked, with the BIOS and an
# instruction limit so it stops after its first slice. KVM_PROBE_ARGS (optional) are added to
# that probe: `--kvm-irqchip kernel` also asks whether the in-kernel irqchip can be created.
set(KVM_SKIP_REASON "")
if(NOT EXISTS /dev/kvm)
  set(KVM_SKIP_REASON "/dev/kvm is absent on this host, so --backend kvm cannot run here")
else()
  execute_process(
    COMMAND ${EMU} --backend kvm ${KVM_PROBE_ARGS} --max-instructions 1 -display none -serial null
    RESULT_VARIABLE probe_status OUTPUT_VARIABLE probe_out ERROR_VARIABLE probe_err TIMEOUT 20
    INPUT_FILE /dev/null)
  if(probe_err MATCHES "KVM is not available here \\(([^\n]*)\\); use")
    set(KVM_SKIP_REASON "KVM is not usable here: ${CMAKE_MATCH_1}")
  elseif(probe_err MATCHES "--kvm-irqchip kernel: ([^\n]*); use --kvm-irqchip user")
    set(KVM_SKIP_REASON "the in-kernel irqchip is not usable here: ${CMAKE_MATCH_1}")
  endif()
endif()
