; Message output through the teletype (screen + COM1).

; CS:SI = NUL-terminated string. Preserves every register.
print_str:
  push si
  push ax
.next:
  mov al, [cs:si]
  test al, al
  jz .done
  call tty_putc
  inc si
  jmp .next
.done:
  pop ax
  pop si
  ret

; EAX printed in decimal. Preserves every register.
print_dec32:
  pushad
  mov ebx, 10
  xor cx, cx
.divide:
  xor edx, edx
  div ebx
  push dx                      ; digits come out lowest first
  inc cx
  test eax, eax
  jnz .divide
.print:
  pop ax
  add al, '0'
  call tty_putc
  loop .print
  popad
  ret

; AX printed as four hex digits. Preserves every register.
print_hex16:
  pusha
  mov cx, 4
  mov bx, ax
.digit:
  rol bx, 4
  mov al, bl
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 'A' - '9' - 1
.out:
  call tty_putc
  loop .digit
  popa
  ret

; AL printed as two hex digits. Preserves every register.
print_hex8:
  push ax
  push cx
  mov cx, 2
  mov ah, al
.digit:
  rol ah, 4
  mov al, ah
  and al, 0x0F
  add al, '0'
  cmp al, '9'
  jbe .out
  add al, 'A' - '9' - 1
.out:
  call tty_putc
  loop .digit
  pop cx
  pop ax
  ret
