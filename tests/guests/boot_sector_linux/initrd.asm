; The initrd the direct-Linux-boot test passes with -initrd: 5000 bytes, "INIT" ... "DONE".
  db "INIT"
  times 5000 - 8 db 0x11
  db "DONE"
