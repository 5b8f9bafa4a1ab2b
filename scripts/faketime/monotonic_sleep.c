/* Used by scripts/test-at only. libfaketime 0.9.10 with FAKETIME_DONT_FAKE_MONOTONIC=1 answers
   clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ...) with EINVAL, which Python 3.11's
   time.sleep uses. Sleeping on the monotonic clock is passed straight to the kernel. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_nanosleep(clockid_t clock, int flags, const struct timespec *request, struct timespec *remain) {
    if (clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_RAW || clock == CLOCK_BOOTTIME) {
        long done = syscall(SYS_clock_nanosleep, clock, flags, request, remain);
        return done == -1 ? errno : 0;
    }
    static int (*next)(clockid_t, int, const struct timespec *, struct timespec *);
    if (next == NULL) next = dlsym(RTLD_NEXT, "clock_nanosleep");
    return next(clock, flags, request, remain);
}
