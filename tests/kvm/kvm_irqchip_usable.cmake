# include(kvm_irqchip_usable.cmake) with EMU set: sets KVM_SKIP_REASON to why --backend kvm
# --kvm-irqchip kernel cannot run on this host ("" when it can): kvm_usable.cmake's reasons,
# then vmlab itself is asked (KVM_CAP_IRQCHIP missing, KVM_CREATE_IRQCHIP refused).
include(${CMAKE_CURRENT_LIST_DIR}/kvm_usable.cmake)
if(NOT KVM_SKIP_REASON)
  execute_process(
    COMMAND ${EMU} --backend kvm --kvm-irqchip kernel --max-instructions 1 -display none -serial null
    RESULT_VARIABLE probe_status OUTPUT_VARIABLE probe_out ERROR_VARIABLE probe_err TIMEOUT 20
    INPUT_FILE /dev/null)
  if(probe_err MATCHES "--kvm-irqchip kernel: ([^\n]*); use --kvm-irqchip user")
    set(KVM_SKIP_REASON "the in-kernel irqchip is not usable here: ${CMAKE_MATCH_1}")
  endif()
endif()
