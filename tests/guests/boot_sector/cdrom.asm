; A minimal El Torito CD image (ISO 9660 skeleton, 2048-byte sectors), built by the project:
;   16 primary volume descriptor (a stub: only its type and "CD001"), 17 boot record volume
;   descriptor -> catalog at 19, 18 terminator, 19 boot catalog (validation entry + a bootable
;   no-emulation default entry: 4 x 512 bytes from sector 20), 20 the boot image, 21 a pattern.
; The boot image checks DL = E0h, reads sector 21 with INT 13h AH=42h on the CD (2048-byte
; blocks), asks AX=4B01h for the emulation packet, prints, and exits through port 0xF4 (0 = pass).
bits 16
SECTOR equ 2048
%define test_no byte [cs:test_no_var]

  times 16 * SECTOR db 0
pvd:
  db 1, "CD001", 1
  times SECTOR - ($ - pvd) db 0
brvd:
  db 0, "CD001", 1, "EL TORITO SPECIFICATION"
  times 0x47 - ($ - brvd) db 0
  dd 19                        ; boot catalog LBA
  times SECTOR - ($ - brvd) db 0
terminator:
  db 255, "CD001", 1
  times SECTOR - ($ - terminator) db 0
catalog:
  db 1, 0                      ; validation entry: header id, platform 80x86
  dw 0
  times 24 db 0                ; id string
  dw 0x55AA                    ; checksum: the entry's words sum to 0
  db 0x55, 0xAA
  db 0x88, 0                   ; default entry: bootable, no emulation
  dw 0                         ; load segment: 07C0h
  db 0, 0                      ; system type, unused
  dw 4                         ; 512-byte sectors to load
  dd 20                        ; image LBA
  times SECTOR - ($ - catalog) db 0

image:
section boot vstart=0x7C00 follows=.text
boot:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7C00
  sti
  mov test_no, 1
  cmp dl, 0xE0
  jne fail
  mov [drive], dl
  mov si, msg_hello
  call puts
  mov test_no, 2
  mov ah, 0x41
  mov bx, 0x55AA
  mov dl, [drive]
  int 0x13
  jc fail
  cmp bx, 0xAA55
  jne fail
  mov test_no, 3
  mov ah, 0x42
  mov dl, [drive]
  mov si, dap
  int 0x13
  jc fail
  cmp word [dap + 2], 1
  jne fail
  cmp dword [0x9000], 'CD21'
  jne fail
  cmp byte [0x9000 + 2047], 0x21
  jne fail
  mov test_no, 4
  mov ax, 0x4B01
  mov dl, [drive]
  mov si, spec
  int 0x13
  jc fail
  cmp byte [spec + 2], 0xE0
  jne fail
  cmp dword [spec + 4], 20
  jne fail
  mov si, msg_pass
  call puts
  xor al, al
  out 0xF4, al
  cli
  hlt
fail:
  mov si, msg_fail
  call puts
  mov al, test_no
  add al, '0'
  mov ah, 0x0E
  int 0x10
  mov al, test_no
  out 0xF4, al
  cli
  hlt
puts:
  pusha
.next:
  lodsb
  test al, al
  jz .done
  mov ah, 0x0E
  mov bx, 7
  int 0x10
  jmp .next
.done:
  popa
  ret
test_no_var: db 0
drive: db 0
dap:
  db 16, 0
  dw 1                         ; one 2048-byte block
  dw 0x9000, 0                 ; to 0000:9000
  dq 21
spec: times 20 db 0
msg_hello: db "cdrom: El Torito image running from drive E0h", 13, 10, 0
msg_pass:  db "cdrom: PASS", 13, 10, 0
msg_fail:  db "cdrom: FAIL ", 0
  times SECTOR - ($ - $$) db 0
section pattern follows=boot vstart=0
  db "CD21"
  times SECTOR - 5 db 0x5A
  db 0x21
  times 8 * SECTOR db 0
