/*
 * tickwire-floor load: the floor's players. One thread, one epoll set:
 * N connections to the floor server on 127.0.0.1, each reading the
 * server's messages (floor.h) and answering every complete one with one
 * R-byte write, as Tickwire's load generator answers every snapshot with
 * one input.
 *
 * It checks what it reads: every message's length must be the first one's
 * (the server shares one payload); connections that got no whole message
 * are counted as silent; and any failure (a refused connection, a close by
 * the server, a reply that did not fit the socket) is counted as an error
 * in the summary line.
 */
#define _GNU_SOURCE
#include "floor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct player {
    int fd;              /* -1 once closed */
    uint8_t header[4];
    uint32_t have;       /* header bytes read of the current message */
    uint32_t left;       /* body bytes still to read, once the header is in */
    int heard;           /* a whole message arrived */
};

static struct {
    uint64_t messages, replies, bytes_read, errors;
    uint32_t length;     /* of the first message: every other must match it */
    int connected;
    const char *first_error;
} load;

static uint8_t reading[65536];

static void error(const char *what) {
    load.errors++;
    if (load.first_error == NULL) load.first_error = what;
}

static void close_player(struct player *p) {
    if (p->fd < 0) return;
    close(p->fd);
    p->fd = -1;
}

/* Reads what is there; answers each message it completes. */
static void read_player(struct player *p, const uint8_t *reply, uint32_t reply_bytes) {
    ssize_t n = read(p->fd, reading, sizeof reading);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        error(n == 0 ? "the server closed a connection" : "a read failed");
        close_player(p);
        return;
    }
    load.bytes_read += (uint64_t)n;
    uint32_t completed = 0;
    for (ssize_t i = 0; i < n;) {
        if (p->have < 4) {
            uint32_t take = 4 - p->have;
            if ((ssize_t)take > n - i) take = (uint32_t)(n - i);
            memcpy(p->header + p->have, reading + i, take);
            p->have += take;
            i += take;
            if (p->have < 4) break;
            uint32_t length = p->header[0] | (uint32_t)p->header[1] << 8 | (uint32_t)p->header[2] << 16 | (uint32_t)p->header[3] << 24;
            if (length < 4 || length > FLOOR_MAX_MESSAGE || (load.length != 0 && length != load.length)) {
                error("a message of the wrong length");
                close_player(p);
                return;
            }
            load.length = length;
            p->left = length - 4;
        } else {
            uint32_t take = p->left;
            if ((ssize_t)take > n - i) take = (uint32_t)(n - i);
            p->left -= take;
            i += take;
        }
        if (p->have == 4 && p->left == 0) {
            completed++;
            p->have = 0;
        }
    }
    load.messages += completed;
    if (completed > 0) p->heard = 1;
    for (uint32_t k = 0; k < completed; k++) {
        if (write(p->fd, reply, reply_bytes) == (ssize_t)reply_bytes) load.replies++;
        else error("a reply did not fit the socket");
    }
}

int floor_load(int argc, char **argv) {
    long port = -1, players = 1, reply_bytes = 24, seconds = 5;
    for (int i = 2; i < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) port = floor_int_option(argc, argv, i, 1, 65535);
        else if (strcmp(argv[i], "--players") == 0) players = floor_int_option(argc, argv, i, 1, 1000000);
        else if (strcmp(argv[i], "--reply-bytes") == 0) reply_bytes = floor_int_option(argc, argv, i, 4, FLOOR_MAX_MESSAGE);
        else if (strcmp(argv[i], "--seconds") == 0) seconds = floor_int_option(argc, argv, i, 0, 86400);
        else floor_fail("load: unknown option %s (see tickwire-floor --help)", argv[i]);
    }
    if (port < 0) floor_fail("load: --port is required");

    int epoll = epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0) floor_fail("epoll_create1: %s", strerror(errno));
    floor_guard_start(epoll);
    uint8_t *reply = malloc((size_t)reply_bytes);
    struct player *all = calloc((size_t)players, sizeof *all);
    if (reply == NULL || all == NULL) floor_fail("out of memory");
    floor_message(reply, (uint32_t)reply_bytes);

    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (long i = 0; i < players; i++) {
        struct player *p = &all[i];
        /* A blocking connect: on loopback it returns once the server's kernel queued it. */
        p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (p->fd < 0 || connect(p->fd, (struct sockaddr *)&address, sizeof address) != 0) {
            error("a connection failed");
            if (p->fd >= 0) close_player(p);
            p->fd = -1;
            continue;
        }
        floor_socket_options(p->fd);
        struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = p};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, p->fd, &event) != 0) {
            error("epoll_ctl failed");
            close_player(p);
            continue;
        }
        load.connected++;
    }
    printf("connected %d\n", load.connected);
    fflush(stdout);

    double started = floor_now(), end = started + (double)seconds;
    struct epoll_event events[512];
    int stop = 0;
    for (double now = started; !stop && now < end; now = floor_now()) {
        int timeout = (int)((end - now) * 1000) + 1;
        int ready = epoll_wait(epoll, events, 512, timeout);
        if (ready < 0) {
            if (errno == EINTR) continue;
            floor_fail("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < ready; i++) {
            if (floor_guard_event(&events[i], &stop)) continue;
            struct player *p = events[i].data.ptr;
            if (p->fd >= 0) read_player(p, reply, (uint32_t)reply_bytes);
        }
    }
    double elapsed = floor_now() - started;
    long silent = 0;
    for (long i = 0; i < players; i++) {
        if (!all[i].heard) silent++;
        close_player(&all[i]);
    }

    printf("floor load: players=%ld connected=%d messages=%llu replies=%llu bytes_read=%llu "
           "message_bytes=%u silent=%ld errors=%llu seconds=%.3f\n",
           players, load.connected, (unsigned long long)load.messages, (unsigned long long)load.replies,
           (unsigned long long)load.bytes_read, load.length, silent,
           (unsigned long long)load.errors, elapsed);
    if (load.first_error != NULL) fprintf(stderr, "tickwire-floor load: first error: %s\n", load.first_error);
    fflush(stdout);
    return 0;
}
