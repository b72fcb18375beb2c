/* hello.c: the smallest program: prints its pid and argument. */
#include "ulib.h"

int main(const char *arg) {
    printf("hello from pid %d, argument '%s'\n", getpid(), arg);
    return 0;
}
