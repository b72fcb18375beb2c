# cmake -DEMU=vmlab -DSCRIPT=<a run script> [its -D variables, ARGS among them] -P run_kvm_irqchip.cmake
# Runs SCRIPT (tests/guests/run_guest.cmake, serial_echo's run_echo.cmake) with
# "--backend kvm --kvm-irqchip kernel" in front of its ARGS; prints "SKIPPED: <reason>" instead
# when the host has no usable KVM or no in-kernel irqchip.
include(${CMAKE_CURRENT_LIST_DIR}/kvm_irqchip_usable.cmake)
if(KVM_SKIP_REASON)
  message("SKIPPED: ${KVM_SKIP_REASON}")
  return()
endif()
list(PREPEND ARGS --backend kvm --kvm-irqchip kernel)
include(${SCRIPT})
