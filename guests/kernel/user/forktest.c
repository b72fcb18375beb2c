/* forktest.c: fork several children that each compute something different in their own copy
 * of memory, then wait for all of them and check their exit codes. */
#include "ulib.h"

#define N 4
static int shared_looking = 100;   /* each child changes its own copy */

int main(const char *arg) {
    (void)arg;
    int pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] < 0) { printf("forktest: fork failed\n"); return 1; }
        if (pids[i] == 0) {
            shared_looking += i;
            for (volatile int spin = 0; spin < 20000; spin++) {}   /* long enough to be preempted */
            exit(shared_looking);
        }
    }
    sys(SYS_PS, 0, 0, 0);   /* the children are there, waiting for their time slice */
    int ok = 1;
    for (int n = 0; n < N; n++) {
        int status, pid = wait(&status);
        int i = 0;
        while (i < N && pids[i] != pid) i++;
        if (i == N || status != 100 + i) ok = 0;
        printf("forktest: child %d exited with %d\n", pid, status);
    }
    if (wait(0) != -1) ok = 0;
    if (shared_looking != 100) ok = 0;
    printf("forktest: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
