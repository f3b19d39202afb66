/*
 * sensor_overhead_loop.c - syscall cost probe for bench/sensor_overhead.sh.
 *   sensor_overhead_loop open N     ns per open+close of /dev/null (captured: openat)
 *   sensor_overhead_loop getppid N  ns per getppid (not captured)
 *   sensor_overhead_loop churn N    N short-lived processes (fork + _exit), prints ms
 * Prints one number on stdout. Best of 5 rounds, to damp scheduler noise.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
        if (argc != 3)
                return 2;
        long n = atol(argv[2]);
        if (n <= 0)
                return 2;
        if (strcmp(argv[1], "churn") == 0) {
                double t0 = now_ns();
                for (long i = 0; i < n; i++) {
                        pid_t p = fork();
                        if (p == 0)
                                _exit(0);
                        if (p > 0)
                                waitpid(p, NULL, 0);
                }
                printf("%.0f\n", (now_ns() - t0) / 1e6);
                return 0;
        }
        double best = 1e30;
        for (int round = 0; round < 5; round++) {
                double t0 = now_ns();
                if (strcmp(argv[1], "open") == 0) {
                        for (long i = 0; i < n; i++) {
                                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                                if (fd >= 0)
                                        close(fd);
                        }
                } else {
                        for (long i = 0; i < n; i++)
                                syscall(SYS_getppid);
                }
                double per = (now_ns() - t0) / (double)n;
                if (per < best)
                        best = per;
        }
        printf("%.1f\n", best);
        return 0;
}
