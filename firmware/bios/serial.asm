; COM1 (16550A at 0x3F8), output only: POST messages and a copy of everything INT 10h prints,
; so a machine run with -nographic / -display none still shows the firmware's screen.

; 115200 baud, 8N1, no UART interrupts (guests enable their own).
serial_init:
  mov dx, COM1 + 1
  xor al, al
  out dx, al                   ; IER: no interrupts
  mov dx, COM1 + 3
  mov al, 0x80
  out dx, al                   ; LCR: divisor latch access
  mov dx, COM1
  mov al, 1
  out dx, al                   ; divisor 1 = 115200 baud
  inc dx
  xor al, al
  out dx, al
  mov dx, COM1 + 3
  mov al, 0x03
  out dx, al                   ; 8 data bits, no parity, 1 stop bit
  ; FCR is left alone (FIFOs off): switching FIFO mode would drop a byte already received,
  ; such as a key typed on COM1 before the BIOS ran.
  mov dx, COM1 + 4
  mov al, 0x03
  out dx, al                   ; MCR: DTR, RTS
  ret

; AL = byte to send. Waits (boundedly) for the transmitter holding register to be empty.
; Preserves every register.
serial_putc:
  push dx
  push cx
  push ax
  mov dx, COM1 + 5
  mov cx, 0xFFFF
.wait:
  in al, dx
  test al, 0x20                ; LSR.THRE
  jnz .ready
  loop .wait
.ready:
  pop ax
  mov dx, COM1
  out dx, al
  pop cx
  pop dx
  ret
