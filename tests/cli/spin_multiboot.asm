; Spins forever with interrupts off: only a signal or --max-instructions stops it.
%include "multiboot_header.inc"
start:
    jmp start
