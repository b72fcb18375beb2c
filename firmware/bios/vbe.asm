; INT 10h AX=4Fxxh: VESA BIOS Extensions 2.0 on the Bochs "dispi" interface (index port 0x1CE,
; data 0x1CF) of vmlab's VGA, with linear framebuffer modes only (the framebuffer is the VGA's
; PCI BAR0, 1234:1111, placed by pci.asm). Functions: 00h controller info, 01h mode info,
; 02h set mode (VBE modes, or a VGA mode number below 100h), 03h current mode. Anything else
; answers AX = 0100h ("not supported"); bank switching (05h), palette (09h) and the protected-
; mode interface (0Ah) are not implemented.

DISPI_INDEX  equ 0x1CE
DISPI_DATA   equ 0x1CF
DISPI_ID     equ 0
DISPI_XRES   equ 1
DISPI_YRES   equ 2
DISPI_BPP    equ 3
DISPI_ENABLE equ 4
DISPI_VIRT_WIDTH equ 6
DISPI_VIRT_HEIGHT equ 7
DISPI_X_OFFSET equ 8
DISPI_Y_OFFSET equ 9
DISPI_ENABLED   equ 0x01
DISPI_LFB       equ 0x40
DISPI_NOCLEAR   equ 0x80
VBE_MEMORY_64K  equ 256         ; 16 MiB of video memory

; Writes AX to dispi register BX.
dispi_write:
  push dx
  xchg ax, bx
  mov dx, DISPI_INDEX
  out dx, ax
  xchg ax, bx
  mov dx, DISPI_DATA
  out dx, ax
  pop dx
  ret

; Turns the dispi interface off (back to VGA timing); video_set_mode calls it.
vbe_disable:
  push ax
  push bx
  mov bx, DISPI_ENABLE
  xor ax, ax
  call dispi_write
  push ds
  mov ax, EBDA_SEG
  mov ds, ax
  mov word [EBDA_VBE_MODE], 0
  pop ds
  pop bx
  pop ax
  ret

; EAX = the framebuffer's address (BAR0 of the VGA), CF set when there is no such device.
vbe_lfb_address:
  push bx
  push di
  xor bx, bx
.scan:
  xor di, di
  call pci_read32
  cmp eax, 0x11111234
  je .found
  add bl, 8                    ; next device, function 0
  jnz .scan
  stc
  jmp .out
.found:
  mov di, 0x10
  call pci_read32
  and eax, 0xFFFFFFF0
  clc
.out:
  pop di
  pop bx
  ret

; CX = mode number (bits 0-8). SI = its vbe_modes entry; CF set when unknown.
vbe_find_mode:
  push ax
  mov ax, cx
  and ax, 0x01FF
  mov si, vbe_modes
.next:
  cmp word [cs:si], 0xFFFF
  je .none
  cmp [cs:si], ax
  je .found
  add si, VBE_MODE_ENTRY
  jmp .next
.none:
  pop ax
  stc
  ret
.found:
  pop ax
  clc
  ret

; Called by int10_video with its frame in BP.
vbe_service:
  mov al, F_AL
  cmp al, 0x00
  je .controller_info
  cmp al, 0x01
  je .mode_info
  cmp al, 0x02
  je .set_mode
  cmp al, 0x03
  je .get_mode
  mov F_AX, 0x0100             ; not supported
  ret
.failed:
  mov F_AX, 0x014F
  ret
.ok:
  mov F_AX, 0x004F
  ret

.controller_info:
  call vbe_lfb_address
  jc .failed
  mov es, [F_ES]
  mov di, [F_EDI]
  ; A caller asking for VBE 2.0 data puts "VBE2" in the block; either way 512 bytes are ours.
  push di
  mov cx, 512 / 2
  xor ax, ax
  rep stosw
  pop di
  mov dword [es:di], 'VESA'
  mov word [es:di + 4], 0x0200
  mov word [es:di + 6], vbe_oem_string
  mov word [es:di + 8], 0xF000
  mov dword [es:di + 10], 0    ; capabilities: fixed 6-bit DAC, VGA compatible
  mov word [es:di + 14], vbe_mode_numbers
  mov word [es:di + 16], 0xF000
  mov word [es:di + 18], VBE_MEMORY_64K
  mov word [es:di + 20], 0x0001           ; OEM software revision
  mov word [es:di + 22], vbe_oem_string   ; vendor, product, revision strings
  mov word [es:di + 24], 0xF000
  mov word [es:di + 26], vbe_oem_string
  mov word [es:di + 28], 0xF000
  mov word [es:di + 30], vbe_oem_string
  mov word [es:di + 32], 0xF000
  jmp .ok

.mode_info:
  mov cx, [F_ECX]
  call vbe_find_mode
  jc .failed
  call vbe_lfb_address
  jc .failed
  mov ebx, eax                 ; (MUL below clobbers DX)
  mov es, [F_ES]
  mov di, [F_EDI]
  push di
  mov cx, 256 / 2
  xor ax, ax
  rep stosw
  pop di
  mov word [es:di + 0], 0x009B  ; supported, colour, graphics, LFB; (bit 1 reserved = 1)
  mov byte [es:di + 2], 0x07    ; window A: exists, readable, writable
  mov word [es:di + 4], 64      ; window granularity, KiB
  mov word [es:di + 6], 64      ; window size, KiB
  mov word [es:di + 8], 0xA000  ; window A segment
  movzx ax, byte [cs:si + 6]    ; bits per pixel
  shr ax, 3
  mul word [cs:si + 2]          ; bytes per scan line = xres * bytes per pixel
  mov [es:di + 16], ax
  mov [es:di + 50], ax          ; LinBytesPerScanLine
  mov ax, [cs:si + 2]
  mov [es:di + 18], ax          ; XResolution
  mov ax, [cs:si + 4]
  mov [es:di + 20], ax          ; YResolution
  mov byte [es:di + 22], 8      ; character cell
  mov byte [es:di + 23], 16
  mov byte [es:di + 24], 1      ; planes
  mov al, [cs:si + 6]
  mov [es:di + 25], al          ; BitsPerPixel
  mov byte [es:di + 26], 1      ; banks
  mov byte [es:di + 27], 4      ; memory model: packed pixel ...
  cmp al, 8
  je .model_done
  mov byte [es:di + 27], 6      ; ... or direct colour
  ; Colour fields (size, position) x R, G, B, reserved: 5:6:5 for 16 bpp, 8:8:8:8 for 32.
  mov word [es:di + 31], 0x0B05
  mov word [es:di + 33], 0x0506
  mov word [es:di + 35], 0x0005
  mov word [es:di + 37], 0x0000
  cmp al, 16
  je .colours_done
  mov word [es:di + 31], 0x1008
  mov word [es:di + 33], 0x0808
  mov word [es:di + 35], 0x0008
  mov word [es:di + 37], 0x1808
.colours_done:
  ; the same, for the linear framebuffer (VBE 3.0 fields)
  mov ax, [es:di + 31]
  mov [es:di + 54], ax
  mov ax, [es:di + 33]
  mov [es:di + 56], ax
  mov ax, [es:di + 35]
  mov [es:di + 58], ax
  mov ax, [es:di + 37]
  mov [es:di + 60], ax
.model_done:
  mov byte [es:di + 29], 0      ; image pages - 1
  mov byte [es:di + 30], 1      ; reserved, 1 in VBE 1.2+
  mov [es:di + 40], ebx         ; PhysBasePtr
  jmp .ok

.set_mode:
  mov cx, [F_EBX]
  test cx, 0xFE00 & ~0xC000    ; bits 9-13 must be 0
  jnz .failed
  cmp cx, 0x100
  jae .vbe_mode
  mov al, cl                   ; a VGA mode
  call video_set_mode
  jmp .ok
.vbe_mode:
  test cx, 0x0800              ; a CRTC information block: not supported
  jnz .failed
  call vbe_find_mode
  jc .failed
  call vbe_lfb_address
  jc .failed
  mov bx, DISPI_ENABLE
  xor ax, ax
  call dispi_write
  mov bx, DISPI_XRES
  mov ax, [cs:si + 2]
  call dispi_write
  mov bx, DISPI_VIRT_WIDTH
  call dispi_write
  mov bx, DISPI_YRES
  mov ax, [cs:si + 4]
  call dispi_write
  mov bx, DISPI_VIRT_HEIGHT
  call dispi_write
  mov bx, DISPI_BPP
  movzx ax, byte [cs:si + 6]
  call dispi_write
  mov bx, DISPI_X_OFFSET
  xor ax, ax
  call dispi_write
  mov bx, DISPI_Y_OFFSET
  call dispi_write
  mov ax, DISPI_ENABLED | DISPI_LFB
  test cx, 0x8000
  jz .clear
  or ax, DISPI_NOCLEAR
.clear:
  mov bx, DISPI_ENABLE
  call dispi_write
  push ds
  mov ax, EBDA_SEG
  mov ds, ax
  and cx, 0x41FF               ; remember the mode and its LFB bit
  mov [EBDA_VBE_MODE], cx
  mov ax, BDA_SEG
  mov ds, ax
  mov byte [BDA_VIDEO_MODE], 0x7F   ; not a VGA mode: the teletype writes to COM1 only
  pop ds
  jmp .ok

.get_mode:
  push ds
  mov ax, EBDA_SEG
  mov ds, ax
  mov cx, [EBDA_VBE_MODE]
  mov ax, BDA_SEG
  mov ds, ax
  test cx, cx
  jnz .have
  movzx cx, byte [BDA_VIDEO_MODE]
.have:
  pop ds
  mov F_BX, cx
  jmp .ok

; mode number, x resolution, y resolution, bits per pixel
VBE_MODE_ENTRY equ 7
vbe_modes:
  dw 0x101, 640, 480
  db 8
  dw 0x103, 800, 600
  db 8
  dw 0x105, 1024, 768
  db 8
  dw 0x111, 640, 480
  db 16
  dw 0x114, 800, 600
  db 16
  dw 0x117, 1024, 768
  db 16
  dw 0x112, 640, 480
  db 32
  dw 0x115, 800, 600
  db 32
  dw 0x118, 1024, 768
  db 32
  dw 0x11B, 1280, 1024
  db 32
  dw 0xFFFF
vbe_mode_numbers:
  dw 0x101, 0x103, 0x105, 0x111, 0x114, 0x117, 0x112, 0x115, 0x118, 0x11B, 0xFFFF
vbe_oem_string: db "vmlab VBE (Bochs dispi)", 0
