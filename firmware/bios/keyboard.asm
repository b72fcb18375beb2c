; The keyboard: IRQ 1 (INT 09h) turns the 8042's scan codes (set 2 translated to set 1 by the
; controller) into BIOS key codes (scan << 8 | ASCII) in the BDA ring buffer 40:1E-40:3D;
; INT 16h hands them out. Bytes received on COM1 count as key presses too (ASCII, scan 0), so a
; guest run with -nographic can be typed at.

KB_RSHIFT equ 0x01
KB_LSHIFT equ 0x02
KB_CTRL   equ 0x04
KB_ALT    equ 0x08
KB_SCROLL equ 0x10
KB_NUM    equ 0x20
KB_CAPS   equ 0x40
KB_LAST_E0 equ 0x02             ; 40:96 bit 1: the previous byte was the E0 prefix

; POST: 8042 command byte 0x65 (keyboard interrupt on, system flag, mouse port off, set-1
; translation on), then drop any byte left in the output buffer.
kbc_init:
  call kbc_wait_input_empty
  mov al, 0x60
  out KBC_STATUS, al
  call kbc_wait_input_empty
  mov al, 0x65
  out KBC_DATA, al
  call kbc_wait_input_empty
  in al, KBC_STATUS
  test al, 0x01
  jz .empty
  in al, KBC_DATA
.empty:
  ret

irq1_keyboard:
  push ax
  push bx
  push ds
  mov ax, BDA_SEG
  mov ds, ax
  in al, KBC_DATA
  cmp al, 0xE0
  jne .not_prefix
  or byte [BDA_KB_MODE], KB_LAST_E0
  jmp .eoi
.not_prefix:
  mov ah, [BDA_KB_MODE]
  and byte [BDA_KB_MODE], ~KB_LAST_E0
  mov bl, al
  and bl, 0x7F                 ; the key, without the break bit
  ; Modifiers update 40:17 on make and break; Caps/Num/Scroll Lock toggle on make.
  mov bh, KB_LSHIFT
  cmp bl, 0x2A
  je .shift_key
  mov bh, KB_RSHIFT
  cmp bl, 0x36
  je .shift_key
  mov bh, KB_CTRL
  cmp bl, 0x1D
  je .shift_key
  mov bh, KB_ALT
  cmp bl, 0x38
  je .shift_key
  test al, 0x80
  jnz .eoi                     ; other breaks: nothing to do
  mov bh, KB_CAPS
  cmp bl, 0x3A
  je .toggle_key
  mov bh, KB_NUM
  cmp bl, 0x45
  je .toggle_key
  mov bh, KB_SCROLL
  cmp bl, 0x46
  je .toggle_key
  ; A key that produces a code.
  test ah, KB_LAST_E0
  jnz .extended
  cmp bl, 0x39
  ja .extended                 ; function keys, keypad: scan code only
  movzx bx, bl
  mov ah, bl                   ; scan code
  mov al, [cs:kb_normal + bx]
  test byte [BDA_KB_FLAGS], KB_LSHIFT | KB_RSHIFT
  jz .unshifted
  mov al, [cs:kb_shifted + bx]
.unshifted:
  mov bl, al
  or bl, 0x20
  cmp bl, 'a'
  jb .not_letter
  cmp bl, 'z'
  ja .not_letter
  test byte [BDA_KB_FLAGS], KB_CAPS
  jz .no_caps
  xor al, 0x20
.no_caps:
  test byte [BDA_KB_FLAGS], KB_CTRL
  jz .not_letter
  and al, 0x1F                 ; Ctrl-A = 01h ...
.not_letter:
  test byte [BDA_KB_FLAGS], KB_ALT
  jz .store
  xor al, al
  jmp .store
.extended:
  mov ah, bl
  xor al, al
.store:
  call kb_buffer_put
  jmp .eoi
.shift_key:
  test al, 0x80
  jnz .release
  or [BDA_KB_FLAGS], bh
  jmp .eoi
.release:
  not bh
  and [BDA_KB_FLAGS], bh
  jmp .eoi
.toggle_key:
  xor [BDA_KB_FLAGS], bh
.eoi:
  mov al, 0x20
  out PIC1_CMD, al
  pop ds
  pop bx
  pop ax
  iret

; AX = key code into the ring buffer (DS = BDA); a full buffer drops it. CF set when full.
kb_buffer_put:
  push bx
  push si
  mov bx, [BDA_KB_TAIL]
  mov si, bx
  add si, 2
  cmp si, [BDA_KB_END]
  jb .no_wrap
  mov si, [BDA_KB_START]
.no_wrap:
  cmp si, [BDA_KB_HEAD]
  je .full
  mov [bx], ax
  mov [BDA_KB_TAIL], si
  clc
  jmp .out
.full:
  stc
.out:
  pop si
  pop bx
  ret

; A byte waiting in COM1's receiver becomes a key (ASCII, scan 0; CR keeps Enter's scan 1Ch).
; DS = BDA.
kb_poll_serial:
  push ax
  push dx
  mov dx, COM1 + 5
  in al, dx
  test al, 0x01                ; LSR.DR
  jz .none
  mov dx, COM1
  in al, dx
  xor ah, ah
  cmp al, 13
  jne .put
  mov ah, 0x1C
.put:
  call kb_buffer_put
.none:
  pop dx
  pop ax
  ret

int16_keyboard:
  sti
  SERVICE_ENTER
  mov ax, BDA_SEG
  mov ds, ax
  mov ax, [F_EAX]
  cmp ah, 0x00
  je .read
  cmp ah, 0x10
  je .read
  cmp ah, 0x01
  je .peek
  cmp ah, 0x11
  je .peek
  cmp ah, 0x02
  je .flags
  cmp ah, 0x12
  je .flags
  cmp ah, 0x05
  je .push_key
  cmp ah, 0x0A
  je .keyboard_id
  jmp .leave                   ; 03h typematic rate and the rest: nothing to set
.read:
  ; Wait with HLT: the next interrupt (a key, or the 18.2 Hz tick for the serial poll) wakes
  ; us. STI's one-instruction shadow keeps a key from slipping in between the check and HLT.
  cli
  call kb_poll_serial
  mov bx, [BDA_KB_HEAD]
  cmp bx, [BDA_KB_TAIL]
  jne .take
  sti
  hlt
  jmp .read
.take:
  mov ax, [bx]
  add bx, 2
  cmp bx, [BDA_KB_END]
  jb .no_wrap
  mov bx, [BDA_KB_START]
.no_wrap:
  mov [BDA_KB_HEAD], bx
  sti
  mov F_AX, ax
  jmp .leave
.peek:
  cli
  call kb_poll_serial
  mov bx, [BDA_KB_HEAD]
  cmp bx, [BDA_KB_TAIL]
  sti
  je .empty
  mov ax, [bx]
  mov F_AX, ax
  and word [F_FLAGS], ~0x0040  ; ZF clear: a key is waiting
  jmp .leave
.empty:
  or word [F_FLAGS], 0x0040    ; ZF set: no key
  jmp .leave
.flags:
  mov al, [BDA_KB_FLAGS]
  mov F_AL, al
  cmp byte [F_EAX + 1], 0x12
  jne .leave
  mov al, [BDA_KB_FLAGS2]
  mov F_AH, al
  jmp .leave
.push_key:
  mov ax, [F_ECX]
  cli
  call kb_buffer_put
  sti
  mov F_AL, 0
  jnc .leave
  mov F_AL, 1
  jmp .leave
.keyboard_id:
  mov F_BX, 0x83AB             ; MF2 keyboard
.leave:
  SERVICE_LEAVE

; Set-1 scan code -> ASCII, 00h-39h, without and with Shift.
kb_normal:
  db 0, 27, "1234567890-=", 8, 9
  db "qwertyuiop[]", 13, 0, "asdfghjkl;'`", 0, "\zxcvbnm,./", 0, "*", 0, " "
kb_shifted:
  db 0, 27, "!@#$%^&*()_+", 8, 0
  db "QWERTYUIOP{}", 13, 0, 'ASDFGHJKL:"~', 0, "|ZXCVBNM<>?", 0, "*", 0, " "
