; POST: bring the machine up in the order a PC BIOS does, then hand over to INT 19h.
; Every step is a call so the sequence below reads as the table of contents.

post:
  cli
  cld
  xor ax, ax
  mov ss, ax
  mov sp, POST_STACK
  mov ds, ax
  mov es, ax
  call post_a20_on
  call post_clear_low_memory
  call ivt_install             ; vectors.asm: every vector gets a handler
  call post_init_pics
  call post_init_pit
  call post_init_bda
  call kbc_init                ; keyboard.asm: scan code translation, IRQ 1
  call serial_init             ; serial.asm
  call video_init              ; video.asm: mode 03h, cleared screen
  mov si, msg_banner
  call print_str
  call post_memory             ; memory.asm: E820 from fw_cfg, usable top of RAM
  call post_boot_device
  call pci_init                ; pci.asm: BARs, PIRQ routing, interrupt lines
  call ata_detect_drives       ; ata.asm: IDENTIFY the primary channel's master and slave
  call atapi_detect            ; atapi.asm: the CD-ROM, if any
  sti
  int 0x19                     ; boot.asm: load the MBR and jump to it
  int 0x18                     ; INT 19h only returns when nothing could be booted
.halt:
  cli
  hlt
  jmp .halt

; A20 on through port 0x92 ("fast A20"); vmlab also starts with the 8042's A20 output on.
post_a20_on:
  in al, PORT92
  or al, 0x02
  and al, 0xFE                 ; bit 0 would reset the machine
  out PORT92, al
  ret

; The IVT (0x000-0x3FF) and the BDA (0x400-0x4FF) start as zeros. The EBDA is not cleared: the
; host has put the MP floating pointer and the RSDP there (layout.inc, EBDA_HOST_AREA).
post_clear_low_memory:
  xor ax, ax
  mov es, ax
  xor di, di
  mov cx, 0x500 / 2
  rep stosw
  ret

; Both 8259As: edge triggered, cascaded, vectors 08h-0Fh (master) and 70h-77h (slave) as the
; PC/AT BIOS puts them. Only the timer, the keyboard and the cascade start unmasked.
post_init_pics:
  mov al, 0x11                 ; ICW1: edge, cascade, ICW4 follows
  out PIC1_CMD, al
  out PIC2_CMD, al
  mov al, 0x08                 ; ICW2: vector base
  out PIC1_DATA, al
  mov al, 0x70
  out PIC2_DATA, al
  mov al, 0x04                 ; ICW3: slave on master IRQ 2
  out PIC1_DATA, al
  mov al, 0x02                 ; ICW3: slave identity 2
  out PIC2_DATA, al
  mov al, 0x01                 ; ICW4: 8086 mode, normal EOI
  out PIC1_DATA, al
  out PIC2_DATA, al
  mov al, 0xF8                 ; IRQ 0, 1, 2 open
  out PIC1_DATA, al
  mov al, 0xFF
  out PIC2_DATA, al
  ret

; PIT channel 0, mode 3, count 65536: IRQ 0 at 1193182 / 65536 = 18.2 Hz.
post_init_pit:
  mov al, 0x36
  out PIT_CMD, al
  xor al, al
  out PIT_CH0, al
  out PIT_CH0, al
  ret

post_init_bda:
  push ds
  mov ax, BDA_SEG
  mov ds, ax
  mov word [BDA_COM1], COM1
  ; Equipment: x87 present (bit 1), 80x25 colour (bits 5-4 = 10b), one serial port (bits 11-9).
  mov word [BDA_EQUIPMENT], 0x0222
  mov word [BDA_BASE_KIB], 640 - EBDA_KIB
  mov word [BDA_EBDA_SEG], EBDA_SEG
  mov word [BDA_KB_HEAD], BDA_KB_BUF
  mov word [BDA_KB_TAIL], BDA_KB_BUF
  mov word [BDA_KB_START], BDA_KB_BUF
  mov word [BDA_KB_END], BDA_KB_BUF + 32
  mov byte [BDA_KB_MODE], 0x10  ; enhanced (101-key) keyboard installed
  mov ax, EBDA_SEG
  mov ds, ax
  mov byte [EBDA_SIZE], EBDA_KIB
  pop ds
  ret

; fw_cfg key 0x000D: the boot device QEMU's -boot gives ('c' disk, 'd' CD-ROM).
post_boot_device:
  push ds
  mov ax, FWCFG_BOOT_DEV
  call fw_cfg_select
  call fw_cfg_read_byte
  mov dx, EBDA_SEG
  mov ds, dx
  mov [EBDA_BOOT_DEV], al
  pop ds
  ret

msg_banner:
  db "vmlab BIOS (built from firmware/bios/) starting", 13, 10, 0
