/*
 * tickwire-floor serve | load: see floor.h. What both modes share: option
 * parsing, the message layout, and the guard that stops a floor process
 * when its bench goes away.
 */
#define _GNU_SOURCE
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: tickwire-floor serve [--port P] [--tick-rate HZ] [--message-bytes B] [--max-seconds S]\n"
    "       tickwire-floor load --port P [--players N] [--reply-bytes R] [--seconds S]\n"
    "\n"
    "The fan-out floor: a plain C epoll server that writes one B-byte message per\n"
    "connection per tick on 127.0.0.1, and a load generator that answers every\n"
    "message with one R-byte reply. `tickwire bench --fan-out` runs both.\n"
    "serve prints `listening on 127.0.0.1:PORT` first, and a summary when it stops;\n"
    "load prints `connected N` once every connection is open, and a summary at the end.\n"
    "Both stop on SIGTERM, when their parent dies, and at end of file on stdin\n"
    "when stdin is a pipe.\n";

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) return floor_serve(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "load") == 0) return floor_load(argc, argv);
    fputs(usage, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}

void floor_fail(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fputs("tickwire-floor: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(2);
}

long floor_int_option(int argc, char **argv, int i, long min, long max) {
    if (i + 1 >= argc) floor_fail("%s needs a value", argv[i]);
    char *end = NULL;
    errno = 0;
    long value = strtol(argv[i + 1], &end, 10);
    if (errno != 0 || end == argv[i + 1] || *end != '\0' || value < min || value > max)
        floor_fail("%s must be an integer from %ld to %ld, not %s", argv[i], min, max, argv[i + 1]);
    return value;
}

double floor_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void floor_message(uint8_t *message, uint32_t bytes) {
    memset(message, 'x', bytes);
    message[0] = (uint8_t)bytes;
    message[1] = (uint8_t)(bytes >> 8);
    message[2] = (uint8_t)(bytes >> 16);
    message[3] = (uint8_t)(bytes >> 24);
}

/* The guard's epoll tags: their addresses tell its events apart. */
static char signals_tag, stdin_tag;
static int signals_fd = -1;

void floor_guard_start(int epoll) {
    /* Dies with the parent; if the parent is already gone, stop now. */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) exit(0);

    signal(SIGPIPE, SIG_IGN);
    sigset_t stopping;
    sigemptyset(&stopping);
    sigaddset(&stopping, SIGTERM);
    sigaddset(&stopping, SIGINT);
    sigaddset(&stopping, SIGHUP);
    sigprocmask(SIG_BLOCK, &stopping, NULL);
    signals_fd = signalfd(-1, &stopping, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signals_fd < 0) floor_fail("signalfd: %s", strerror(errno));
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &signals_tag};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, signals_fd, &event) != 0) floor_fail("epoll_ctl: %s", strerror(errno));

    struct stat in;
    if (fstat(STDIN_FILENO, &in) == 0 && (S_ISFIFO(in.st_mode) || S_ISSOCK(in.st_mode))) {
        struct epoll_event watch = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = &stdin_tag};
        epoll_ctl(epoll, EPOLL_CTL_ADD, STDIN_FILENO, &watch);
    }

    /* A thousand players are a thousand descriptors: the default soft limit is often 1024. */
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
}

int floor_guard_event(const struct epoll_event *event, int *stop) {
    if (event->data.ptr == &signals_tag) {
        struct signalfd_siginfo info;
        while (read(signals_fd, &info, sizeof info) == (ssize_t)sizeof info) *stop = 1;
        return 1;
    }
    if (event->data.ptr == &stdin_tag) {
        char bytes[512];
        ssize_t n = read(STDIN_FILENO, bytes, sizeof bytes);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) *stop = 1;
        return 1;
    }
    return 0;
}

void floor_socket_options(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}
