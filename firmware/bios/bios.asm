; vmlab BIOS: the firmware a PC runs at power-on, for vmlab's i440FX/PIIX3 board.
;
; One 64 KiB real-mode image (nasm -f bin). vmlab maps the same bytes at 0xF0000-0xFFFFF (where
; real-mode code and the interrupt vectors point) and at 0xFFFF0000-0xFFFFFFFF (where the CPU
; fetches its first instruction: CS base 0xFFFF0000, IP 0xFFF0). The code runs with CS = F000
; and assumes offset = physical address - 0xF0000, hence `org 0`.
;
; The ROM is read-only, so every variable lives in RAM: the BIOS data area (BDA, segment 0x40)
; and one KiB of extended BIOS data area (EBDA, 0x9FC00). vmlab's host side builds the E820 map,
; the MP and the ACPI tables from the machine configuration (firmware/platform_tables.cpp) and
; hands them over through fw_cfg and RAM; the BIOS only uses them. docs/firmware.md tells the
; whole story; each included file is one job:
;   layout.inc     addresses and BDA/EBDA offsets shared by every file
;   post.asm       power-on self test: the order in which the machine is brought up
;   serial.asm     COM1 output (POST messages, INT 10h mirror)
;   print.asm      strings and numbers through the teletype
;   fw_cfg.asm     QEMU's fw_cfg interface at port 0x510
;   video.asm      INT 10h: text mode at 0xB8000, cursor, scroll, teletype
;   vga_modes.asm  VGA register tables for modes 03h and 13h
;   vbe.asm        INT 10h AX=4Fxxh: VESA 2.0 linear-framebuffer modes on the Bochs dispi ports
;   ata.asm        ATA PIO primitives for the primary IDE channel
;   atapi.asm      the ATAPI CD-ROM: PACKET + READ(10), 2048-byte sectors
;   disk.asm       INT 13h: CHS and EDD (41h-48h) services on top of ata.asm; drive E0h = CD
;   memory.asm     INT 15h (E820, E801, 88h, A20, 86h wait, C0h) and INT 11h/12h
;   keyboard.asm   IRQ1 handler (INT 09h) and INT 16h
;   time.asm       IRQ0 handler (INT 08h), INT 1Ah time-of-day and RTC
;   pci.asm        PCI enumeration (BARs, PIRQ routing) and the INT 1Ah PCI BIOS (B1xxh)
;   boot.asm       INT 19h (load the MBR) and INT 18h (nothing to boot)
;   vectors.asm    the interrupt vector table and the default handlers
bits 16
cpu 686
org 0

%include "layout.inc"

rom_start:
%include "post.asm"
%include "vectors.asm"
%include "serial.asm"
%include "print.asm"
%include "fw_cfg.asm"
%include "video.asm"
%include "vga_modes.asm"
%include "vbe.asm"
%include "ata.asm"
%include "atapi.asm"
%include "disk.asm"
%include "memory.asm"
%include "keyboard.asm"
%include "time.asm"
%include "pci.asm"
%include "boot.asm"

; ---- fixed locations at the top of the ROM (IBM PC/AT compatibility) ----
; (times with a negative count is an assembly error: the code must fit below the reset vector.)
times 0xFFF0 - ($ - $$) db 0xFF

; F000:FFF0: the CPU's first instruction after RESET.
reset_vector:
  jmp 0xF000:post
; F000:FFF5: the BIOS date, as programs that print it expect (mm/dd/yy).
  db "11/24/26"
  db 0
; F000:FFFE: the model byte; 0xFC = PC/AT.
  db 0xFC
  db 0xFF
