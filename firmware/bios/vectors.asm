; The interrupt vector table: every one of the 256 vectors points somewhere sensible.
;   software vectors without a service  -> default_iret (returns at once, CF untouched)
;   IRQ 0-7 (08h-0Fh), IRQ 8-15 (70h-77h) -> their handler, or one that just acknowledges
; Vector 1Dh/1Eh/1Fh are data pointers on a PC (video parameters, floppy table, graphics font);
; they stay 0:0 because nothing here provides them.

ivt_install:
  push ds
  xor ax, ax
  mov ds, ax
  ; Everything first to the default handler...
  xor bx, bx
  mov cx, 256
.all:
  mov word [bx], default_iret
  mov word [bx + 2], 0xF000
  add bx, 4
  loop .all
  ; ...unclaimed hardware IRQs to handlers that send the EOI the PIC waits for...
  mov bx, 0x08 * 4
  mov cx, 8
.master:
  mov word [bx], irq_master_default
  add bx, 4
  loop .master
  mov bx, 0x70 * 4
  mov cx, 8
.slave:
  mov word [bx], irq_slave_default
  add bx, 4
  loop .slave
  ; ...then the real services, from the table below.
  mov si, ivt_table
.service:
  mov bl, [cs:si]
  cmp bl, 0xFF
  je .done
  xor bh, bh
  shl bx, 2
  mov ax, [cs:si + 1]
  mov [bx], ax
  add si, 3
  jmp .service
.done:
  pop ds
  ret

ivt_table:
  db 0x00
  dw exc_divide_error          ; a real-mode fault would return to the faulting
  db 0x06                      ; instruction and fault forever: report it and stop
  dw exc_invalid_opcode
  db 0x08
  dw irq0_timer                ; time.asm
  db 0x09
  dw irq1_keyboard             ; keyboard.asm
  db 0x10
  dw int10_video               ; video.asm
  db 0x11
  dw int11_equipment           ; memory.asm
  db 0x12
  dw int12_memory_size         ; memory.asm
  db 0x13
  dw int13_disk                ; disk.asm
  db 0x15
  dw int15_system              ; memory.asm
  db 0x16
  dw int16_keyboard            ; keyboard.asm
  db 0x18
  dw int18_no_boot             ; boot.asm
  db 0x19
  dw int19_boot                ; boot.asm
  db 0x1A
  dw int1a_time                ; time.asm
  db 0x70
  dw irq8_rtc                  ; time.asm
  db 0xFF

default_iret:
  iret

; #DE and #UD in real mode: say where (CS:IP and the first opcode bytes), then halt.
exc_divide_error:
  push si
  mov si, msg_exc_divide
  jmp exc_report
exc_invalid_opcode:
  push si
  mov si, msg_exc_opcode
exc_report:
  call print_str
  push bp
  mov bp, sp
  push ds
  push ax
  push bx
  mov ax, [bp + 6]             ; CS (stack: bp, si, IP, CS, FLAGS)
  call print_hex16
  mov al, ':'
  call tty_putc
  mov ax, [bp + 4]             ; IP
  call print_hex16
  mov si, msg_exc_bytes
  call print_str
  mov bx, [bp + 4]
  mov ds, [bp + 6]
  mov si, 4
.byte:
  mov al, [bx]
  call print_hex8
  mov al, ' '
  call tty_putc
  inc bx
  dec si
  jnz .byte
  push cs
  pop ds
  mov si, msg_exc_halt
  call print_str
.halt:
  cli
  hlt
  jmp .halt

msg_exc_divide: db 13, 10, "vmlab BIOS: divide error (#DE) in real mode at ", 0
msg_exc_opcode: db 13, 10, "vmlab BIOS: invalid opcode (#UD) in real mode at ", 0
msg_exc_bytes:  db ", code bytes ", 0
msg_exc_halt:   db 13, 10, "Halted.", 13, 10, 0

irq_master_default:
  push ax
  mov al, 0x20                 ; non-specific EOI
  out PIC1_CMD, al
  pop ax
  iret

irq_slave_default:
  push ax
  mov al, 0x20
  out PIC2_CMD, al
  out PIC1_CMD, al
  pop ax
  iret
